/**
 * ClientTrafficPolicy timeouts and per-connection HTTP limits on the wire (real Envoy, standalone). Each effect is
 * checked absent before the policy is written, then present:
 * - timeout.http.requestHeadersReceivedTimeout 1s: request headers sent in two parts 2 s apart are answered 408
 *   (without the policy: 200);
 * - timeout.tcp.connectionInspectionTimeout 1s: a connection to the HTTPS listener that sends nothing is closed by
 *   Envoy after about 1 s (the TLS inspector gives up; without the policy it is still open after 3 s);
 * - timeout.tcp.tlsHandshakeTimeout 1500ms: a TLS client whose ClientHello reaches Envoy and nothing after it (a
 *   relay drops the rest) is closed after about 1.5 s (without: open after 3 s);
 * - connection.connectionLimit.maxRequestsPerConnection 2: on one keep-alive connection the 2nd response carries
 *   `connection: close` and Envoy closes the connection (without: 3 answers, none with `connection: close`);
 * - connection.connectionLimit.maxStreamDuration 1s: a request the backend answers after 3 s gets 504 (Gateway Timeout) after about
 *   1 s (without: 200);
 * - http2.connectionKeepalive interval 1s: an h2c client (node:http2) receives PING frames from Envoy (without: none).
 */
import * as assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect as h2connect } from "node:http2";
import { connect, createServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";

interface Condition {
  type: string;
  status: string;
}

/** A backend answering 200 at once, or after 3 s on /slow. */
function startBackend(): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer((req, res) => {
    const answer = (): void => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
      res.end("ok");
    };
    if (req.url === "/slow") setTimeout(answer, 3000);
    else answer();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/** Sends `parts` on one plain connection, `gapMs` apart; resolves with what it read once Envoy closes or after `waitMs`. */
function rawExchange(port: number, parts: readonly string[], gapMs: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const s = connect(port, "127.0.0.1", () => {
      parts.forEach((p, i) => setTimeout(() => s.writable && s.write(p), i * gapMs));
    });
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, waitMs);
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined);
    s.on("close", done);
  });
}

/** Opens a connection that sends nothing: ms until Envoy closes it, or undefined if still open after `waitMs`. */
function silentConnection(port: number, waitMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, waitMs);
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/**
 * A TLS client whose first flight (the ClientHello) reaches Envoy and nothing after it: a relay forwards the
 * client's first chunk, drops the rest, and reports ms until Envoy closes the relayed connection (undefined if
 * still open after `waitMs`).
 */
async function stalledHandshake(port: number, ca: string, waitMs: number): Promise<number | undefined> {
  let relay: Server | undefined;
  let client: Socket | undefined;
  try {
    return await new Promise<number | undefined>((resolve) => {
      relay = createServer((down) => {
        const up = connect(port, "127.0.0.1");
        let started = 0;
        let first = true;
        down.on("data", (d: Buffer) => {
          if (!first) return;
          first = false;
          started = Date.now();
          up.write(d);
        });
        up.on("data", (d: Buffer) => down.writable && down.write(d));
        const timer = setTimeout(() => resolve(undefined), waitMs);
        up.on("error", () => undefined);
        down.on("error", () => undefined);
        up.on("close", () => {
          clearTimeout(timer);
          resolve(Date.now() - started);
        });
      });
      relay.listen(0, "127.0.0.1", () => {
        const relayPort = (relay?.address() as { port: number }).port;
        client = tlsConnect({ host: "127.0.0.1", port: relayPort, servername: HOST, ca });
        client.on("error", () => undefined);
      });
    });
  } finally {
    client?.destroy();
    await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
  }
}

/** Sends GETs one after the other on one keep-alive connection; returns each answer's head until Envoy closes. */
function keepAliveHeads(port: number, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    const heads: string[] = [];
    let buf = "";
    const s = connect(port, "127.0.0.1", () => send());
    const send = (): void => void s.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    s.on("data", (d: Buffer) => {
      buf += d.toString();
      // Each answer is "ok" with a content-length: split on it.
      while (buf.includes("\r\n\r\nok")) {
        const i = buf.indexOf("\r\n\r\nok");
        heads.push(buf.slice(0, i).toLowerCase());
        buf = buf.slice(i + 6);
        if (heads.length < n) send();
        else s.destroy();
      }
    });
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(buf === "" ? heads : [...heads, buf.toLowerCase()]);
    });
  });
}

/** PING frames an h2c client receives from Envoy within `ms`. */
async function pingsReceived(port: number, ms: number): Promise<number> {
  const session = h2connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  let pings = 0;
  session.on("ping", () => pings++);
  try {
    const req = session.request({ ":path": "/", ":authority": HOST });
    req.on("error", () => undefined);
    req.resume();
    await new Promise((r) => {
      req.on("close", r);
      setTimeout(r, 3000);
    });
    await new Promise((r) => setTimeout(r, ms));
    return pings;
  } finally {
    session.destroy();
  }
}

function policyYaml(spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
${spec}`;
}

function accepted(t: TestGateway): boolean {
  const s = t.gw.statuses.get("ClientTrafficPolicy", "default", "client")?.status as
    { ancestors?: { conditions: Condition[] }[] } | undefined;
  return (s?.ancestors?.[0]?.conditions ?? []).some((c) => c.type === "Accepted" && c.status === "True");
}

const SPLIT_HEADERS = [`GET / HTTP/1.1\r\nHost: ${HOST}\r\n`, "x-late: 1\r\nConnection: close\r\n\r\n"];
const SLOW = `GET /slow HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;

describe("standalone: ClientTrafficPolicy timeouts and per-connection HTTP limits (real Envoy)", function () {
  this.timeout(120_000);
  let t: TestGateway | undefined;
  let backend: HttpServer | undefined;
  let http = 0;
  let https = 0;
  let ca: TestCa;

  before(async () => {
    ca = makeCa("egts ctp-timeouts CA");
    const b = await startBackend();
    backend = b.server;
    http = await freePort();
    https = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${http} }
    - { name: https, protocol: HTTPS, port: ${https}, tls: { certificateRefs: [{ name: cert }] } }`,
      ),
      "secrets.yaml": tlsSecretYaml("cert", ca.issue(HOST)),
      "routes.yaml": `${backendYaml("app", b.port)}---
${httpRouteYaml("r", HOST, `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]`)}`,
    });
    await eventually(async () => (await httpGet(http, HOST, "/")).status === 200, 15_000, "the HTTP route");
  });

  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
  });

  it("without a policy: slow headers and a slow answer are served, silent and stalled TLS connections stay open, no PINGs", async () => {
    assert.match(
      await rawExchange(http, SPLIT_HEADERS, 2000, 5000),
      /^HTTP\/1.1 200/,
      "headers in two parts 2 s apart",
    );
    assert.equal(await silentConnection(https, 3000), undefined, "a silent connection is open after 3 s");
    assert.equal(await stalledHandshake(https, ca.cert, 3000), undefined, "a stalled handshake is open after 3 s");
    const heads = await keepAliveHeads(http, 3);
    assert.equal(heads.length, 3, "three answers on one connection");
    assert.ok(!heads.some((h) => h.includes("connection: close")), heads.join("\n---\n"));
    assert.match(await rawExchange(http, [SLOW], 0, 6000), /^HTTP\/1.1 200/, "an answer after 3 s");
    assert.equal(await pingsReceived(http, 2500), 0, "no PING in 2.5 s");
  });

  it("with the policy: 408 for slow headers, 504 for a long stream, inspection and handshake timeouts, 2 requests a connection, PINGs", async () => {
    await t?.write(
      "policy.yaml",
      policyYaml(`  timeout:
    http: { requestHeadersReceivedTimeout: 1s }
    tcp: { connectionInspectionTimeout: 1s, tlsHandshakeTimeout: 1500ms }
  connection: { connectionLimit: { maxRequestsPerConnection: 2, maxStreamDuration: 1s } }
  http2: { connectionKeepalive: { interval: 1s, timeout: 500ms } }
`),
    );
    const gw = t as TestGateway;
    await eventually(async () => accepted(gw), 10_000, "the policy Accepted");
    // Envoy replaces the listeners: wait until a silent connection is closed by the new one.
    await eventually(async () => ((await silentConnection(https, 3000)) ?? 9999) < 2500, 30_000, "inspection timeout");

    const started = Date.now();
    const split = await rawExchange(http, SPLIT_HEADERS, 2000, 5000);
    assert.match(split, /^HTTP\/1.1 408/, `headers in two parts 2 s apart: ${split.slice(0, 80)}`);
    const splitMs = Date.now() - started;

    const silentMs = await silentConnection(https, 5000);
    assert.ok(
      silentMs !== undefined && silentMs >= 900 && silentMs < 2500,
      `silent connection closed after ${silentMs} ms`,
    );
    const stalledMs = await stalledHandshake(https, ca.cert, 5000);
    assert.ok(
      stalledMs !== undefined && stalledMs >= 1400 && stalledMs < 3000,
      `stalled handshake closed after ${stalledMs} ms`,
    );

    const heads = await keepAliveHeads(http, 3);
    assert.equal(heads.length, 2, `answers on one connection: ${heads.length}`);
    assert.ok(!heads[0].includes("connection: close"), heads[0]);
    assert.ok(heads[1].includes("connection: close"), heads[1]);

    const slowStarted = Date.now();
    const slow = await rawExchange(http, [SLOW], 0, 6000);
    const slowMs = Date.now() - slowStarted;
    assert.match(slow, /^HTTP\/1.1 504/, `a 3 s answer: ${slow.slice(0, 80)}`);
    assert.ok(slowMs >= 900 && slowMs < 2500, `504 after ${slowMs} ms`);

    const pings = await pingsReceived(http, 2500);
    assert.ok(pings >= 1, `${pings} PINGs in 2.5 s`);
    console.log(
      `      measured: split headers 408 after ${splitMs} ms; silent closed ${silentMs} ms; stalled handshake closed ${stalledMs} ms; max stream 504 after ${slowMs} ms; ${pings} PINGs in 2.5 s`,
    );
  });
});
