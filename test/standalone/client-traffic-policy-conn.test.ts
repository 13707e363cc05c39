/**
 * ClientTrafficPolicy `connection`, `clientIPDetection.directSourceIP` and a deprecated field on the wire (real
 * Envoy, standalone). Each effect is checked absent before the policy is written:
 * - connectionLimit 2: with two connections open, a third one to the TCP listener, the HTTP listener and the
 *   HTTPS listener is closed without an answer (over TLS: before the handshake completes); with closeDelay 1500ms (and a limit of 1) the connection over the limit is
 *   closed only after the delay;
 * - bufferLimit 4Ki: the router keeps a request body for a retry only up to the connection's buffer limit, so a
 *   POST of 8 KiB that the backend answers 503 first is not retried (the client gets the 503), while a 1 KiB
 *   one is (200) — with Envoy Gateway's default 32 KiB both are retried;
 * - socketBufferLimit 48Ki: accepted sockets have SO_RCVBUF / SO_SNDBUF of 48 KiB, which Linux doubles
 *   (`ss -m`: rb98304, tb98304);
 * - directSourceIP: a spoofed X-Forwarded-For is not the client address: Envoy appends the peer (for a loopback
 *   peer, this host's address);
 * - maxAcceptPerSocketEvent 0 (unlimited): not observable from a client, so checked in Envoy's own listener config
 *   (admin `config_dump`): every listener has Envoy Gateway's default of 1 before, none (unlimited) after;
 * - headers.preserveXRequestID (deprecated): still applied (the client's x-request-id reaches the backend), and the
 *   status carries Envoy Gateway's Warning condition (reason DeprecatedField).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml, tcpRouteYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";
/** A keep-alive GET, with an empty attempt key (the backend answers it 200 at once). */
const GET = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nx-attempt-key: \r\n\r\n`;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/**
 * A backend that answers 503 to the first request of each `x-attempt-key` and 200 to the next (after reading
 * the whole body), with the request's headers and body size as JSON.
 */
function startFlakyBackend(): Promise<{ server: HttpServer; port: number }> {
  const seen = new Set<string>();
  const server = createHttpServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on("data", (d: Buffer) => (bytes += d.length));
    req.on("end", () => {
      const key = String(req.headers["x-attempt-key"] ?? "");
      const first = key !== "" && !seen.has(key);
      seen.add(key);
      res.writeHead(first ? 503 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ bytes, headers: req.headers }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/** An open connection: what it has read so far and whether the peer closed it. */
interface Conn {
  readonly socket: Socket;
  text(): string;
  closed(): boolean;
}

/** Opens a connection (over TLS with SNI www.example.com when `ca` is given) and sends `data`. */
function open(port: number, data: string, ca?: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    let text = "";
    let closed = false;
    const ready = (): void => {
      s.write(data);
      resolve({ socket: s, text: () => text, closed: () => closed });
    };
    const s: Socket = ca
      ? tlsConnect({ host: "127.0.0.1", port, servername: HOST, ca }, ready)
      : connect(port, "127.0.0.1", ready);
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined); // a reset counts as closed
    s.on("close", () => {
      closed = true;
      // A TLS connection closed before its handshake: resolve so the caller sees it closed.
      resolve({ socket: s, text: () => text, closed: () => closed });
    });
    s.once("error", (err) => (ca ? undefined : reject(err)));
  });
}

/** Opens `n` connections one after the other, each waiting for `answer` before the next one. */
async function openAnswered(port: number, data: string, answer: RegExp, n: number, ca?: string): Promise<Conn[]> {
  const out: Conn[] = [];
  for (let i = 0; i < n; i++) {
    const c = await open(port, data, ca);
    await eventually(async () => answer.test(c.text()), 5000, `connection ${i + 1} answered`);
    out.push(c);
  }
  return out;
}

/** A third connection while `held` stay open: resolves with what it read and whether Envoy closed it. */
async function third(port: number, data: string, ca?: string): Promise<{ text: string; closed: boolean }> {
  const c = await open(port, data, ca);
  await new Promise((r) => setTimeout(r, 1000));
  const result = { text: c.text(), closed: c.closed() };
  c.socket.destroy();
  return result;
}

/**
 * A connection answered `ping`, once Envoy has a free slot: after a previous check, Envoy may still count the
 * connections that check closed (it sees their FIN later), so a connection refused or held for that is retried.
 */
async function answeredWhenFree(port: number): Promise<Conn> {
  let conn: Conn | undefined;
  await eventually(
    async () => {
      const c = await open(port, "ping");
      const answered = await eventually(async () => /ping/.test(c.text()), 2000, "answered").then(
        () => true,
        () => false,
      );
      if (answered) conn = c;
      else c.socket.destroy();
      return answered;
    },
    10_000,
    "a connection answered within the limit",
  );
  return conn as Conn;
}

/** With one connection open and answered, a second one: what it read and when Envoy closed it (ms after opening). */
async function overLimit(port: number, waitMs: number): Promise<{ text: string; closedAfterMs?: number }> {
  const first = await answeredWhenFree(port);
  const started = Date.now();
  const c = await open(port, "ping");
  try {
    await eventually(async () => c.closed(), waitMs, "the second connection closed").catch(() => undefined);
    return { text: c.text(), ...(c.closed() ? { closedAfterMs: Date.now() - started } : {}) };
  } finally {
    c.socket.destroy();
    first.socket.destroy();
  }
}

/** `ss -m` of Envoy's side of a fresh connection to `port`: its socket memory (rb = receive, tb = send buffer). */
function socketMemory(port: number): Promise<{ rb: number; tb: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      try {
        const filter = `( sport = :${port} and dport = :${s.localPort} )`;
        const out = execFileSync("ss", ["-tmnH", "state", "established", filter], { encoding: "utf8" });
        const m = /rb(\d+),t\d+,tb(\d+)/.exec(out);
        if (!m) throw new Error(`no skmem in ss output (ss is in iproute2: apt-get install iproute2): ${out}`);
        resolve({ rb: Number(m[1]), tb: Number(m[2]) });
      } catch (err) {
        reject(err as Error);
      } finally {
        s.destroy();
      }
    });
    s.on("error", reject);
  });
}

/** POSTs `size` bytes with a fresh attempt key (the backend answers its first attempt 503). */
async function postOnce(port: number, size: number): Promise<number> {
  const key = `k-${size}-${Date.now()}-${Math.random()}`;
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () =>
      s.write(
        `POST / HTTP/1.1\r\nHost: ${HOST}\r\nx-attempt-key: ${key}\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n${"a".repeat(size)}`,
      ),
    );
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined);
    s.on("close", () => resolve(Number(/^HTTP\/1.1 (\d{3})/.exec(text)?.[1] ?? 0)));
  });
}

/** This host's addresses (what Envoy appends to X-Forwarded-For for a loopback peer). */
function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}

/** The ClientTrafficPolicy `default/client` on Gateway eg with `spec` (indented by two spaces) below targetRefs. */
function policyYaml(spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
${spec}`;
}

function policyConditions(t: TestGateway): Condition[] {
  const s = t.gw.statuses.get("ClientTrafficPolicy", "default", "client")?.status as
    { ancestors?: { conditions: Condition[] }[] } | undefined;
  return s?.ancestors?.[0]?.conditions ?? [];
}

describe("standalone: ClientTrafficPolicy connection, directSourceIP, deprecated fields (real Envoy)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let backend: HttpServer | undefined;
  let tcpBackend: Server | undefined;
  let held: Conn[] = [];
  let http = 0;
  let https = 0;
  let tcp = 0;
  let ca: TestCa;

  before(async () => {
    ca = makeCa("egts ctp-conn CA");
    const flaky = await startFlakyBackend();
    backend = flaky.server;
    tcpBackend = createServer((s) => s.on("data", (d: Buffer) => s.write(d)));
    await new Promise<void>((r) => tcpBackend?.listen(0, "127.0.0.1", r));
    const tcpPort = (tcpBackend.address() as { port: number }).port;
    http = await freePort();
    tcp = await freePort();
    https = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${http} }
    - { name: https, protocol: HTTPS, port: ${https}, tls: { certificateRefs: [{ name: cert }] } }
    - { name: tcp, protocol: TCP, port: ${tcp} }`,
      ),
      "secrets.yaml": tlsSecretYaml("cert", ca.issue(HOST)),
      "routes.yaml": `${backendYaml("flaky", flaky.port)}---\n${backendYaml("tcp-echo", tcpPort)}---
${httpRouteYaml(
  "r",
  HOST,
  `    - retry: { codes: [503], attempts: 1, backoff: 10ms }
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: flaky }]`,
)}---
${tcpRouteYaml("t", "tcp", "tcp-echo")}`,
    });
    await eventually(
      async () => (await httpGet(http, HOST, "/", { headers: { "x-attempt-key": "" } })).status === 200,
      15_000,
      "the HTTP route",
    );
  });

  afterEach(() => {
    for (const c of held) c.socket.destroy();
    held = [];
  });

  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
    await new Promise<void>((r) => (tcpBackend ? tcpBackend.close(() => r()) : r()));
  });

  it("without a policy: a third connection is served, an 8 KiB body is retried, default socket buffers", async () => {
    held = await openAnswered(tcp, "ping", /ping/, 2);
    const tcp3 = await third(tcp, "ping");
    assert.equal(tcp3.text, "ping", "a third TCP connection is proxied");
    held.push(...(await openAnswered(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /^HTTP\/1.1 200/, 2)));
    const http3 = await third(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.match(http3.text, /^HTTP\/1.1 200/, "a third HTTP connection is answered");
    held.push(...(await openAnswered(https, GET, /^HTTP\/1.1 200/, 2, ca.cert)));
    const https3 = await third(https, GET, ca.cert);
    assert.match(https3.text, /^HTTP\/1.1 200/, "a third HTTPS connection is answered");

    assert.equal(await postOnce(http, 8192), 200, "8 KiB body retried (buffer limit 32 KiB)");
    assert.deepEqual(await acceptPerSocketEvent(t as TestGateway), [1, 1, 1], "Envoy Gateway's default: 1");
    const mem = await socketMemory(tcp);
    assert.notEqual(mem.rb, 98_304, `rb ${mem.rb}`);
    assert.notEqual(mem.tb, 98_304, `tb ${mem.tb}`);

    const r = await httpGet(http, HOST, "/", { headers: { "x-request-id": "client-chosen-id", "x-attempt-key": "" } });
    assert.notEqual(
      (JSON.parse(r.body) as { headers: Record<string, string> }).headers["x-request-id"],
      "client-chosen-id",
    );
  });

  it("with the policy: Accepted with a Warning; connection limit, buffer limit, socket buffers, direct source IP", async () => {
    await t?.write(
      "policy.yaml",
      policyYaml(`  clientIPDetection: { directSourceIP: {} }
  headers: { preserveXRequestID: true }
  connection:
    connectionLimit: { value: 2 }
    bufferLimit: 4Ki
    socketBufferLimit: 48Ki
    maxAcceptPerSocketEvent: 0
`),
    );
    const gw = t as TestGateway;
    await eventually(
      async () => policyConditions(gw).some((c) => c.type === "Accepted" && c.status === "True"),
      10_000,
      "the policy Accepted",
    );
    const warning = policyConditions(gw).find((c) => c.type === "Warning");
    assert.deepEqual(warning && { status: warning.status, reason: warning.reason, message: warning.message }, {
      status: "True",
      reason: "DeprecatedField",
      message: "spec.headers.preserveXRequestID is deprecated, use spec.headers.requestID instead",
    });
    // Envoy replaces the listeners (their socket options changed): wait until new connections get them.
    // (A connection caught by the old listener draining away is reset: try again.)
    const rb = async (port: number): Promise<number> => (await socketMemory(port).catch(() => ({ rb: 0 }))).rb;
    await eventually(async () => (await rb(tcp)) === 98_304, 20_000, "SO_RCVBUF on the TCP listener");
    await eventually(async () => (await rb(http)) === 98_304, 20_000, "SO_RCVBUF on the HTTP listener");
    assert.deepEqual(await socketMemory(http), { rb: 98_304, tb: 98_304 });
    assert.deepEqual(await acceptPerSocketEvent(gw), [0, 0, 0], "maxAcceptPerSocketEvent 0: Envoy's field unset");

    // Connection limit 2: a third connection is closed unanswered.
    held = await openAnswered(tcp, "ping", /ping/, 2);
    const tcp3 = await third(tcp, "ping");
    assert.deepEqual(tcp3, { text: "", closed: true }, "the third TCP connection");
    held.push(...(await openAnswered(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /^HTTP\/1.1 200/, 2)));
    const http3 = await third(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.deepEqual(http3, { text: "", closed: true }, "the third HTTP connection");
    held.push(...(await openAnswered(https, GET, /^HTTP\/1.1 200/, 2, ca.cert)));
    const https3 = await third(https, GET, ca.cert);
    assert.deepEqual(https3, { text: "", closed: true }, "the third HTTPS connection");
    for (const c of held) c.socket.destroy();
    held = [];
    await new Promise((r) => setTimeout(r, 300)); // Envoy sees the closes

    // Buffer limit 4 KiB: the router keeps at most that much body for a retry.
    assert.equal(await postOnce(http, 1024), 200, "1 KiB body retried");
    assert.equal(await postOnce(http, 8192), 503, "8 KiB body not retried (over the 4 KiB buffer limit)");

    // directSourceIP: the peer is the client; a spoofed X-Forwarded-For is kept but the peer is appended.
    const r = await httpGet(http, HOST, "/", {
      headers: { "x-forwarded-for": "203.0.113.9", "x-request-id": "client-chosen-id", "x-attempt-key": "" },
    });
    const seen = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    // Envoy appends the peer; for a loopback peer it appends its own host address instead (Envoy's rule).
    const [spoofed, appended, ...more] = String(seen["x-forwarded-for"]).split(",");
    assert.deepEqual({ spoofed, more }, { spoofed: "203.0.113.9", more: [] }, seen["x-forwarded-for"]);
    assert.ok(localAddresses().includes(appended), `appended ${appended}: not this host's address`);
    assert.notEqual(seen["x-envoy-external-address"], "203.0.113.9");
    assert.equal(seen["x-request-id"], "client-chosen-id", "preserveXRequestID (deprecated) still applies");
  });

  it("connectionLimit.closeDelay: the connection over the limit is closed after the delay", async () => {
    await t?.write(
      "policy.yaml",
      policyYaml(`  connection:
    connectionLimit: { value: 1, closeDelay: 1500ms }
`),
    );
    // Until Envoy has the new limit the second connection is served (limit 2) or, under the old limit, closed at once.
    await eventually(
      async () => ((await overLimit(tcp, 4000)).closedAfterMs ?? 0) >= 1000,
      30_000,
      "a delayed close",
      200,
    );
    const r = await overLimit(tcp, 4000);
    assert.equal(r.text, "", "the connection over the limit is not proxied");
    assert.ok(
      r.closedAfterMs !== undefined && r.closedAfterMs >= 1400 && r.closedAfterMs < 3000,
      `closed after ${r.closedAfterMs} ms`,
    );
  });
});

/**
 * `max_connections_to_accept_per_socket_event` of each active listener in Envoy's own config (admin config_dump),
 * sorted; 0 where unset (Envoy: no limit).
 */
async function acceptPerSocketEvent(t: TestGateway): Promise<number[]> {
  const admin = await t.gw.runner?.adminUrl("default/eg");
  assert.ok(admin, "the Envoy of default/eg has an admin address");
  const dump = (await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).json()) as {
    configs: { active_state?: { listener?: { max_connections_to_accept_per_socket_event?: number } } }[];
  };
  return dump.configs
    .filter((c) => c.active_state?.listener)
    .map((c) => Number(c.active_state?.listener?.max_connections_to_accept_per_socket_event ?? 0))
    .sort();
}
