/**
 * ClientTrafficPolicy's HTTP protocol fields on the wire (real Envoy, standalone). Two backends: an HTTP/1 one
 * that answers with the raw header lines it received (and a mixed-case response header), and an h2c one (route
 * /h2) that answers with the :scheme it received and a response trailer. Each effect is checked before (no
 * policy) and after:
 * - http1.preserveHeaderCase: raw HTTP/1.1 request and response header names keep their case both ways (the
 *   backend's cluster gets the upstream formatter too);
 * - http1.ignoredUpgradeTypes: an `Upgrade: foo` request (403 before: an upgrade the listener does not allow) is
 *   proxied as plain HTTP/1.1 without its Upgrade header; other upgrade types are still refused;
 * - http1.http10 (useDefaultHost): an HTTP/1.0 request without Host is served (426 before), with the listener's
 *   hostname as Host;
 * - http1.enableTrailers: the h2c backend's trailer reaches an HTTP/1.1 client;
 * - http2: the SETTINGS and connection WINDOW_UPDATE node:http2 receives; onInvalidMessage: a bad stream resets the
 *   stream (TerminateStream) or closes the connection (TerminateConnection);
 * - scheme: Preserve passes the client's :scheme to an h2 backend, MatchBackend (and the default) the backend's;
 * - healthCheck.path: Envoy answers 200 itself, the backend never sees it.
 */
import * as assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import * as http2 from "node:http2";
import { connect } from "node:net";
import { eventually, freePort } from "../support/http";
import { gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";

function policyYaml(spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: protocol, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
${spec}`;
}

/** Sends `request` over a raw connection; resolves with everything that came back before the close (or 5 s). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write(request));
    let text = "";
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const get11 = (path: string, extra = ""): string =>
  `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}Connection: close\r\n\r\n`;

/** A raw HTTP/1.1 request asking to upgrade to `type`. */
const upgrade = (type: string): string =>
  `GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: ${type}\r\nConnection: Upgrade, close\r\n\r\n`;

/** A kept-alive raw HTTP/1.1 connection: `get` sends a request and resolves with its response (JSON body). */
interface KeepAlive {
  get(path: string): Promise<string>;
  /** Resolves with Date.now() when the connection is closed (by either side). */
  readonly closed: Promise<number>;
  destroy(): void;
}

function keepAlive(port: number): KeepAlive {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => undefined);
  let text = "";
  let waiter: ((r: string) => void) | undefined;
  s.on("data", (d: Buffer) => {
    text += d.toString();
    if (waiter && /\r\n\r\n[\s\S]*\}/.test(text)) {
      const w = waiter;
      waiter = undefined;
      const r = text;
      text = "";
      w(r);
    }
  });
  const closed = new Promise<number>((resolve) => s.on("close", () => resolve(Date.now())));
  return {
    get: (path) =>
      new Promise<string>((resolve) => {
        waiter = resolve;
        s.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
        void closed.then(() => resolve(text));
      }),
    closed,
    destroy: () => s.destroy(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The header names (as sent) of a raw HTTP/1 response. */
const responseHeaderNames = (response: string): string[] =>
  response
    .split("\r\n\r\n")[0]
    .split("\r\n")
    .slice(1)
    .map((line) => line.split(":")[0]);

/** The JSON body of a raw HTTP/1 response (chunked or not). */
function bodyOf(response: string): Record<string, unknown> | undefined {
  const body = response.split("\r\n\r\n").slice(1).join("\r\n\r\n");
  const json = /\{[\s\S]*\}/.exec(body)?.[0];
  try {
    return json ? (JSON.parse(json) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface H2Probe {
  settings: http2.Settings;
  /** The connection window Envoy gave (SETTINGS' initial 65535 plus its WINDOW_UPDATE on stream 0). */
  connectionWindow: number;
}

/** Opens an h2c session to Envoy (prior knowledge) and reads its SETTINGS and connection window. */
async function h2Probe(port: number): Promise<H2Probe> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("error", reject);
    });
    // The connection WINDOW_UPDATE follows the SETTINGS frame: a round trip (PING) makes sure it arrived.
    await new Promise<void>((resolve) => session.ping(() => resolve()));
    return { settings: session.remoteSettings, connectionWindow: session.state.remoteWindowSize ?? -1 };
  } finally {
    session.destroy();
  }
}

/**
 * Sends, on one h2c session, a POST whose content-length (10) does not match its body (3 bytes, an invalid HTTP
 * message), then a GET: resolves with whether the session was closed (GOAWAY) and the GET's status (0 if none).
 */
async function invalidThenValid(port: number): Promise<{ goaway: boolean; next: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  let goaway = false;
  session.on("goaway", () => (goaway = true));
  session.on("error", () => undefined);
  try {
    await new Promise<void>((resolve) => {
      const bad = session.request({ ":method": "POST", ":path": "/", ":authority": HOST, "content-length": "10" });
      bad.on("error", () => undefined);
      bad.on("close", () => resolve());
      bad.on("response", () => undefined);
      bad.resume();
      bad.end("abc");
    });
    await new Promise((r) => setTimeout(r, 200));
    const next = await new Promise<number>((resolve) => {
      if (session.closed || session.destroyed) return resolve(0);
      const ok = session.request({ ":path": "/", ":authority": HOST });
      ok.on("response", (h) => resolve(Number(h[":status"])));
      ok.on("error", () => resolve(0));
      ok.resume();
      ok.end();
    });
    return { goaway, next };
  } finally {
    session.destroy();
  }
}

/** An HTTP/2 frame: 9-byte header (length, type, flags, stream id) and the payload. */
function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name" (no Huffman; names and values under 127 bytes). */
function hpackLiteral(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0, name.length]),
    Buffer.from(name),
    Buffer.from([value.length]),
    Buffer.from(value),
  ]);
}

/** What Envoy answered to an invalid HTTP/2 request. */
interface InvalidHeaderAnswer {
  /** Envoy reset the stream (RST_STREAM on stream 1). */
  readonly reset: boolean;
  /** Envoy closed the connection within 3 s. */
  readonly closed: boolean;
}

/**
 * Sends, over a raw h2c connection, a GET whose header name has upper-case letters (an invalid HTTP/2 message
 * that node:http2 refuses to send), then a SETTINGS frame; resolves with whether Envoy reset the stream and
 * whether it closed the connection.
 */
function invalidHeaderAnswer(port: number): Promise<InvalidHeaderAnswer> {
  const headers = [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", HOST],
    ["X-Upper", "1"],
  ];
  const block = Buffer.concat(headers.map(([n, v]) => hpackLiteral(n, v)));
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const out = Buffer.concat([preface, h2Frame(4, 0, 0, Buffer.alloc(0)), h2Frame(1, 0x5, 1, block)]);
  return new Promise((resolve) => {
    let reset = false;
    let closed = false;
    let buf = Buffer.alloc(0);
    const socket = connect(port, "127.0.0.1", () => socket.write(out));
    const done = (): void => {
      socket.destroy();
      resolve({ reset, closed });
    };
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        if (buf.readUInt8(3) === 3 && buf.readUInt32BE(5) === 1) reset = true;
        buf = buf.subarray(9 + buf.readUIntBE(0, 3));
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      done();
    });
    setTimeout(done, 3000);
  });
}

describe("standalone: ClientTrafficPolicy http1, http2, scheme, healthCheck (real Envoy)", function () {
  this.timeout(180_000);
  let t: TestGateway | undefined;
  let h1: Server | undefined;
  let h2: http2.Http2Server | undefined;
  let port = 0;
  /** Paths the HTTP/1 backend received. */
  const seen: string[] = [];

  const apply = async (spec: string): Promise<void> => {
    await t?.write("policy.yaml", policyYaml(spec));
  };

  before(async () => {
    h1 = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push(req.url ?? "");
      res.setHeader("X-Backend-Mixed-Case", "yes");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ rawHeaders: req.rawHeaders, httpVersion: req.httpVersion, host: req.headers.host }));
    });
    h2 = http2.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.addTrailers({ "x-backend-trailer": "done" });
      res.end(JSON.stringify({ scheme: req.headers[":scheme"] }));
    });
    await new Promise<void>((r) => h1?.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => h2?.listen(0, "127.0.0.1", r));
    const h1Port = (h1.address() as { port: number }).port;
    const h2Port = (h2.address() as { port: number }).port;
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${port}, hostname: ${HOST} }`,
      ),
      "routes.yaml": `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: h1, namespace: default }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${h1Port} } }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: h2, namespace: default }
spec:
  appProtocols: [gateway.envoyproxy.io/h2c]
  endpoints: [{ ip: { address: 127.0.0.1, port: ${h2Port} } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [${HOST}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /h2 } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: h2 }]
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: h1 }]
`,
    });
    await eventually(async () => /^HTTP\/1.1 200/.test(await raw(port, get11("/"))), 15_000, "the HTTP route");
  });

  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (h1 ? h1.close(() => r()) : r()));
    await new Promise<void>((r) => (h2 ? h2.close(() => r()) : r()));
  });

  it("without a policy: header case lowered, HTTP/1.0 refused, no trailers, default HTTP/2 settings, /healthz routed", async () => {
    const r = await raw(port, get11("/", "X-Client-Mixed-Case: 1\r\n"));
    assert.match(r, /^HTTP\/1.1 200/);
    assert.match(r, /\r\nx-backend-mixed-case: yes\r\n/);
    assert.ok((bodyOf(r)?.rawHeaders as string[]).includes("x-client-mixed-case"), r);
    assert.match(await raw(port, upgrade("foo")), /^HTTP\/1.1 403/, "an upgrade the listener does not allow");
    assert.match(await raw(port, "GET / HTTP/1.0\r\n\r\n"), /^HTTP\/1.1 426/);
    const withTrailer = await raw(port, get11("/h2"));
    assert.match(withTrailer, /^HTTP\/1.1 200/);
    assert.doesNotMatch(withTrailer, /x-backend-trailer/);
    const p = await h2Probe(port);
    assert.equal(p.settings.maxConcurrentStreams, 100);
    assert.equal(p.settings.initialWindowSize, 65_536);
    assert.equal(p.connectionWindow, 1_048_576);
    seen.length = 0;
    assert.match(await raw(port, get11("/healthz")), /^HTTP\/1.1 200/);
    assert.deepEqual(seen, ["/healthz"], "the backend answered /healthz");
  });

  it("http1 preserveHeaderCase, http10 useDefaultHost, enableTrailers, ignoredUpgradeTypes; healthCheck.path", async () => {
    await apply(`  http1:
    preserveHeaderCase: true
    enableTrailers: true
    http10: { useDefaultHost: true }
    ignoredUpgradeTypes: [{ value: foo }]
  healthCheck: { path: /healthz }
`);
    const http10 = /^HTTP\/1.[01] 200/;
    await eventually(async () => http10.test(await raw(port, "GET / HTTP/1.0\r\n\r\n")), 20_000, "HTTP/1.0");
    const r10 = await raw(port, "GET / HTTP/1.0\r\n\r\n");
    assert.equal(bodyOf(r10)?.host, HOST, r10);
    // preserveHeaderCase: the request header's case reaches the backend, the backend's response header's the client.
    const sentCase = async (): Promise<string> => await raw(port, get11("/", "X-MiXeD-Case: 1\r\n"));
    await eventually(async () => /\r\nX-Backend-Mixed-Case: yes\r\n/.test(await sentCase()), 20_000, "header case");
    const cased = await sentCase();
    assert.ok((bodyOf(cased)?.rawHeaders as string[]).includes("X-MiXeD-Case"), cased);
    assert.ok(responseHeaderNames(cased).includes("X-Backend-Mixed-Case"), cased);
    // ignoredUpgradeTypes: `Upgrade: foo` is dropped and the request proxied; other types are still refused.
    const ignored = await raw(port, upgrade("foo"));
    assert.match(ignored, /^HTTP\/1.1 200/, ignored);
    const names = ((bodyOf(ignored)?.rawHeaders as string[]) ?? []).map((h) => h.toLowerCase());
    assert.ok(!names.includes("upgrade"), ignored);
    assert.match(await raw(port, upgrade("bar")), /^HTTP\/1.1 403/);
    const withTrailer = await raw(port, get11("/h2", "TE: trailers\r\n"));
    assert.match(withTrailer, /\r\n0\r\nx-backend-trailer: done\r\n/i, withTrailer);
    seen.length = 0;
    const health = await raw(port, get11("/healthz"));
    assert.match(health, /^HTTP\/1.1 200/, health);
    assert.deepEqual(seen, [], "Envoy answered /healthz itself");
    assert.match(await raw(port, get11("/healthz/more")), /^HTTP\/1.1 200/);
    assert.deepEqual(seen, ["/healthz/more"], "only the exact path is the health check");
  });

  it("connectionLimit.maxConnectionDuration: an HTTP/1 connection is closed after its next response (safe)", async () => {
    await apply(`  connection: { connectionLimit: { maxConnectionDuration: 1s } }
`);
    const closesAfterNext = async (): Promise<boolean> => {
      const c = keepAlive(port);
      try {
        await c.get("/");
        await sleep(1500);
        return /\r\nconnection: close\r\n/i.test(await c.get("/"));
      } finally {
        c.destroy();
      }
    };
    await eventually(closesAfterNext, 30_000, "max connection duration");
    const c = keepAlive(port);
    const first = await c.get("/");
    assert.match(first, /^HTTP\/1.1 200/);
    assert.doesNotMatch(first, /\r\nconnection: close\r\n/i);
    // Past the duration, the idle connection stays open (Envoy waits for the next request) ...
    const early = await Promise.race([c.closed, sleep(7000).then(() => 0)]);
    assert.equal(early, 0, "Envoy closed the idle connection");
    // ... which is answered with Connection: close, and the connection closed after it.
    const second = await c.get("/");
    assert.match(second, /^HTTP\/1.1 200/);
    assert.match(second, /\r\nconnection: close\r\n/i, second);
    const sent = Date.now();
    assert.ok((await Promise.race([c.closed, sleep(3000).then(() => 0)])) - sent < 3000, "closed after the response");
  });

  it("http1.disableSafeMaxConnectionDuration: the idle connection is drained and closed without a request", async () => {
    await apply(`  connection: { connectionLimit: { maxConnectionDuration: 1s } }
  http1: { disableSafeMaxConnectionDuration: true }
  healthCheck: { path: /ready }
`);
    // The health check path tells when the new listener config is live.
    const envoyAnswersReady = async (): Promise<boolean> => {
      seen.length = 0;
      return /^HTTP\/1.1 200/.test(await raw(port, get11("/ready"))) && !seen.includes("/ready");
    };
    await eventually(envoyAnswersReady, 30_000, "the new policy");
    const c = keepAlive(port);
    const opened = Date.now();
    assert.match(await c.get("/"), /^HTTP\/1.1 200/);
    // Envoy drains at 1 s and closes once drain_timeout (Envoy's default 5 s) and delayed_close_timeout (1 s) have
    // passed: measured 7.0 s after the connection was opened.
    const closedAt = await Promise.race([c.closed, sleep(12_000).then(() => 0)]);
    c.destroy();
    assert.ok(closedAt > 0, "Envoy did not close the idle connection");
    const after = closedAt - opened;
    assert.ok(after >= 5000 && after < 10_000, `closed ${after} ms after it was opened`);
  });

  it("http2 windows, concurrent streams and onInvalidMessage: TerminateStream", async () => {
    await apply(`  http2:
    initialStreamWindowSize: 128Ki
    initialConnectionWindowSize: 2Mi
    maxConcurrentStreams: 7
    onInvalidMessage: TerminateStream
`);
    await eventually(async () => (await h2Probe(port)).settings.maxConcurrentStreams === 7, 20_000, "new SETTINGS");
    const p = await h2Probe(port);
    assert.equal(p.settings.initialWindowSize, 131_072);
    assert.equal(p.connectionWindow, 2_097_152);
    const r = await invalidThenValid(port);
    assert.deepEqual(r, { goaway: false, next: 200 }, "only the bad stream was reset");
    assert.deepEqual(
      await invalidHeaderAnswer(port),
      { reset: true, closed: false },
      "an invalid header: stream reset",
    );
  });

  it("http2 onInvalidMessage: TerminateConnection closes the connection on an invalid header", async () => {
    await apply(`  http2:
    onInvalidMessage: TerminateConnection
`);
    const closes = async (): Promise<boolean> => (await invalidHeaderAnswer(port)).closed;
    await eventually(closes, 20_000, "the connection closed on an invalid header");
    assert.deepEqual(await invalidHeaderAnswer(port), { reset: false, closed: true }, "closed, no stream reset");
  });

  it("scheme: the default and MatchBackend send the backend's scheme, Preserve the client's", async () => {
    const schemeSeen = async (): Promise<unknown> => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => undefined);
      try {
        return await new Promise((resolve) => {
          const s = session.request({ ":path": "/h2", ":authority": HOST, ":scheme": "https" });
          let body = "";
          s.on("data", (d: Buffer) => (body += d.toString()));
          s.on("end", () => resolve((JSON.parse(body || "{}") as { scheme?: string }).scheme));
          s.on("error", () => resolve(undefined));
          s.end();
        });
      } finally {
        session.destroy();
      }
    };
    await t?.remove("policy.yaml");
    await eventually(async () => (await schemeSeen()) === "http", 20_000, "default: match_upstream");
    await apply(`  scheme: Preserve
`);
    await eventually(async () => (await schemeSeen()) === "https", 20_000, "Preserve: the client's scheme");
    await apply(`  scheme: MatchBackend
`);
    await eventually(async () => (await schemeSeen()) === "http", 20_000, "MatchBackend: the backend's scheme");
  });
});

/**
 * preserveHeaderCase on one listener of two that route to the same backend (one cluster, shared): the listener
 * with the setting keeps the case both ways; requests through the other still reach the backend lowercase (their
 * headers carry no recorded case), but the response header names it sends are the backend's (the cluster's
 * formatter recorded them). Measured with Envoy 1.36; docs/behaviour.md.
 */
describe("standalone: ClientTrafficPolicy http1.preserveHeaderCase on one of two listeners sharing a backend", function () {
  this.timeout(120_000);
  let t: TestGateway | undefined;
  let backend: Server | undefined;
  let withPort = 0;
  let withoutPort = 0;

  before(async () => {
    backend = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("X-Backend-Mixed-Case", "yes");
      res.end(JSON.stringify({ rawHeaders: req.rawHeaders }));
    });
    await new Promise<void>((r) => backend?.listen(0, "127.0.0.1", r));
    const backendPort = (backend.address() as { port: number }).port;
    withPort = await freePort();
    withoutPort = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: with, protocol: HTTP, port: ${withPort} }
    - { name: without, protocol: HTTP, port: ${withoutPort} }`,
      ),
      "routes.yaml": `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: b, namespace: default }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${backendPort} } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: b }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: with, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: with }]
  http1: { preserveHeaderCase: true }
`,
    });
  });

  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
  });

  it("the listener with the setting keeps the case both ways; the other sends requests lowercase", async () => {
    const via = async (p: number): Promise<string> => await raw(p, get11("/", "X-MiXeD-Case: 1\r\n"));
    await eventually(async () => /\r\nX-Backend-Mixed-Case: yes\r\n/.test(await via(withPort)), 20_000, "with");
    await eventually(async () => /^HTTP\/1.1 200/.test(await via(withoutPort)), 20_000, "without");
    const kept = await via(withPort);
    assert.ok((bodyOf(kept)?.rawHeaders as string[]).includes("X-MiXeD-Case"), kept);
    const lowered = await via(withoutPort);
    assert.ok((bodyOf(lowered)?.rawHeaders as string[]).includes("x-mixed-case"), lowered);
    // The shared cluster recorded the backend's response header case: the other listener sends it as is.
    assert.ok(responseHeaderNames(lowered).includes("X-Backend-Mixed-Case"), lowered);
  });
});
