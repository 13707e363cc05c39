/**
 * ClientTrafficPolicy on the wire (real Envoy, standalone): the policy file is read from the config folder,
 * its status says Accepted, and its settings change what clients see — an idle HTTP connection is closed
 * after timeout.http.idleTimeout (Envoy then drains the HTTP/1 connection: its drain_timeout, 5 s, and the
 * delayed close, 1 s, pass before the socket closes, so ~7 s for a 1 s idle timeout), a request that does not arrive in full within requestReceivedTimeout gets
 * 408, an idle TCP connection is closed after timeout.tcp.idleTimeout, and accepted connections carry TCP
 * keepalive (seen with `ss`). Each effect is checked absent before the policy is written.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";
/** Long enough for a 1 s idle timeout plus Envoy's HTTP/1 drain (5 s) and delayed close (1 s). */
const IDLE_WINDOW_MS = 9000;

/** `ss -o` of Envoy's side of a fresh connection to `port` (its timers: keepalive when SO_KEEPALIVE is on). */
function keepaliveTimers(port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      try {
        const filter = `( sport = :${port} and dport = :${s.localPort} )`;
        resolve(execFileSync("ss", ["-tnoH", "state", "established", filter], { encoding: "utf8" }));
      } catch (err) {
        reject(err as Error);
      } finally {
        s.destroy();
      }
    });
    s.on("error", reject);
  });
}

function policyYaml(spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
${spec}`;
}

/** Opens a connection, sends `data`, and resolves with everything read and how long until the peer closed. */
function exchange(port: number, data: string, waitMs: number): Promise<{ text: string; closedAfterMs?: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s: Socket = connect(port, "127.0.0.1", () => s.write(data));
    let text = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text });
    }, waitMs);
    s.on("data", (d: Buffer) => (text += d.toString()));
    // A reset (the old listener draining away) counts as closed; the caller checks the text.
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

describe("standalone: ClientTrafficPolicy timeouts and keepalive (real Envoy)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;
  let tcpBackend: Server | undefined;
  let http = 0;
  let tcp = 0;

  before(async () => {
    backend = await startEchoBackend({ name: "echo" });
    tcpBackend = createServer((s) => s.on("data", (d: Buffer) => s.write(d)));
    await new Promise<void>((r) => tcpBackend?.listen(0, "127.0.0.1", r));
    const tcpPort = (tcpBackend.address() as { port: number }).port;
    http = await freePort();
    tcp = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${http} }\n    - { name: tcp, protocol: TCP, port: ${tcp} }`,
      ),
      "routes.yaml": `${backendYaml("echo", backend.port)}---\n${backendYaml("tcp-echo", tcpPort)}---\n${routeYaml("r", HOST, "echo")}---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: t, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tcp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tcp-echo }] }]
`,
    });
    await eventually(async () => (await httpGet(http, HOST)).status === 200, 15_000, "the HTTP route");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
    await new Promise<void>((r) => (tcpBackend ? tcpBackend.close(() => r()) : r()));
  });

  it("without a policy: an idle connection stays open, a slow request waits, no keepalive timer", async () => {
    const [idle, slow, idleTcp] = await Promise.all([
      exchange(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, IDLE_WINDOW_MS),
      exchange(http, `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100\r\n\r\nabc`, 2500),
      exchange(tcp, "ping", 2500),
    ]);
    assert.match(idle.text, /^HTTP\/1.1 200/);
    assert.equal(idle.closedAfterMs, undefined, "closed without a policy");
    assert.equal(slow.text, "", "answered a request that never arrived in full");
    assert.equal(idleTcp.text, "ping");
    assert.equal(idleTcp.closedAfterMs, undefined);
    assert.doesNotMatch(await keepaliveTimers(http), /timer:\(keepalive,/);
  });

  it("with the policy: Accepted; idle HTTP and TCP connections closed, 408 for a slow request, keepalive on", async () => {
    await t?.write(
      "policy.yaml",
      policyYaml(`  tcpKeepalive: { idleTime: 20m, interval: 60s, probes: 3 }
  timeout:
    http: { idleTimeout: 1s, requestReceivedTimeout: 1s }
    tcp: { idleTimeout: 1s }
`),
    );
    await eventually(
      async () => {
        const s = t?.gw.statuses.get("ClientTrafficPolicy", "default", "client")?.status as
          { ancestors?: { conditions: { type: string; status: string }[] }[] } | undefined;
        return s?.ancestors?.[0]?.conditions.some((c) => c.type === "Accepted" && c.status === "True") === true;
      },
      10_000,
      "the policy Accepted",
    );
    // Envoy replaces the listener (its socket options changed): wait until new connections get the timeout.
    await eventually(
      async () =>
        /^HTTP\/1.1 408/.test(
          (await exchange(http, `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 9\r\n\r\na`, 3000)).text,
        ),
      20_000,
      "408 for a request that does not arrive in full within 1 s",
    );
    const [idle, slow] = await Promise.all([
      exchange(http, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, IDLE_WINDOW_MS),
      exchange(http, `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100\r\n\r\nabc`, 4000),
    ]);
    assert.match(idle.text, /^HTTP\/1.1 200/);
    assert.ok(idle.closedAfterMs !== undefined && idle.closedAfterMs >= 900, `closed after ${idle.closedAfterMs} ms`);
    assert.match(slow.text, /^HTTP\/1.1 408/, slow.text);

    const idleTcp = await exchange(tcp, "ping", 4000);
    assert.equal(idleTcp.text, "ping");
    assert.ok(
      idleTcp.closedAfterMs !== undefined && idleTcp.closedAfterMs >= 900,
      `TCP closed after ${idleTcp.closedAfterMs}`,
    );

    // TCP keepalive: Envoy's side of an accepted connection runs a keepalive timer (ss -o shows it).
    assert.match(await keepaliveTimers(http), /timer:\(keepalive,/);
  });
});
