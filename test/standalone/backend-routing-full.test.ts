/**
 * Backend endpoints and kinds against real Envoy (issue 16): a fallback Backend that takes traffic only once the
 * primary fails (priority groups, with outlier detection from a BackendTrafficPolicy as in Envoy Gateway's failover
 * task); a unix socket endpoint (allowed by UnixSocket); appProtocols h2c (HTTP/2 upstream) and ws (HTTP/1.1 and
 * WebSocket upgrades, even next to h2c); and a DynamicResolver Backend (dynamic forward proxy) reaching two test
 * hostnames that a DNS server of this test resolves to 127.0.0.2 and 127.0.0.3, while loopback Hosts are denied.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createH2cServer, type Http2Server } from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Condition } from "../../operator/src/resources/meta";
import { startDnsServer, type TestDnsServer } from "../support/dns-server";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** An HTTP/1 server answering `<name> <httpVersion>` and accepting WebSocket upgrades (101, then `ws-ok`). */
function versionServer(name: string): Server {
  const server = createServer((req, res) => res.end(`${name} ${req.httpVersion}`));
  server.on("upgrade", (_req, sock) => {
    sock.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nws-ok");
    sock.end();
  });
  return server;
}

/** Sends a WebSocket upgrade request for `host` to the gateway; resolves with what came back within 1.5 s. */
function upgrade(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const s = connect(port, "127.0.0.1", () =>
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`),
    );
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined);
    setTimeout(() => {
      s.destroy();
      resolve(text);
    }, 1500);
  });
}

/** Listens on `port` of `host`, or on a unix socket path. */
function listen(server: Server | Http2Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve) => {
    server.listen("path" in where ? { path: where.path } : { port: where.port, host: where.host }, resolve);
  });
}

/** A Backend `default/<name>` with the given spec lines. */
function backend(name: string, spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec:
${spec.replace(/^/gm, "  ")}
`;
}

const FAILOVER_POLICY = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: failover, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: failover }]
  healthCheck:
    passive:
      baseEjectionTime: 30s
      interval: 2s
      maxEjectionPercent: 100
      consecutive5XxErrors: 1
      consecutiveLocalOriginFailures: 1
      splitExternalLocalOriginErrors: false
  retry:
    numRetries: 3
    retryOn: { triggers: [connect-failure, retriable-status-codes], httpStatusCodes: [503] }
`;

describe("Backend fallback, unix sockets, appProtocols and DynamicResolver (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let primary: EchoBackend;
  let fallback: EchoBackend;
  let dns: TestDnsServer;
  let dfpPort: number;
  let socketDir: string;
  const servers: (Server | Http2Server)[] = [];

  before(async function () {
    primary = await startEchoBackend({ name: "primary" });
    fallback = await startEchoBackend({ name: "fallback" });
    socketDir = mkdtempSync(join(tmpdir(), "egts-uds-"));
    const socketPath = join(socketDir, "app.sock");
    const onSocket = versionServer("on-socket");
    const h2c = createH2cServer((req, res) => res.end(`h2c ${req.httpVersion}`));
    const ws = versionServer("ws");
    const dfpA = versionServer("a.test");
    const dfpB = versionServer("b.test");
    servers.push(onSocket, h2c, ws, dfpA, dfpB);
    const [h2cPort, wsPort] = [await freePort(), await freePort()];
    dfpPort = await freePort();
    await listen(onSocket, { path: socketPath });
    await listen(h2c, { port: h2cPort, host: "127.0.0.1" });
    await listen(ws, { port: wsPort, host: "127.0.0.1" });
    await listen(dfpA, { port: dfpPort, host: "127.0.0.2" });
    await listen(dfpB, { port: dfpPort, host: "127.0.0.3" });
    dns = await startDnsServer({ "a.test": "127.0.0.2", "b.test": "127.0.0.3" });
    port = await freePort();
    const rule = (...names: string[]): string =>
      `    - backendRefs:\n${names.map((n) => `        - { group: gateway.envoyproxy.io, kind: Backend, name: ${n} }`).join("\n")}`;
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "backends.yaml": [
          backendYaml("primary", primary.port),
          backend("secondary", `fallback: true\nendpoints: [{ ip: { address: 127.0.0.1, port: ${fallback.port} } }]`),
          httpRouteYaml("failover", "failover.example.com", rule("primary", "secondary")),
          FAILOVER_POLICY,
          backend("socket", `endpoints: [{ unix: { path: ${socketPath} } }]`),
          routeYaml("socket", "socket.example.com", "socket"),
          backend(
            "h2c",
            `appProtocols: [gateway.envoyproxy.io/h2c]\nendpoints: [{ ip: { address: 127.0.0.1, port: ${h2cPort} } }]`,
          ),
          routeYaml("h2c", "h2c.example.com", "h2c"),
          backend(
            "ws",
            `appProtocols: [gateway.envoyproxy.io/h2c, gateway.envoyproxy.io/ws]\nendpoints: [{ ip: { address: 127.0.0.1, port: ${wsPort} } }]`,
          ),
          routeYaml("ws", "ws.example.com", "ws"),
          backend("dynamic", "type: DynamicResolver"),
          httpRouteYaml("dynamic", "a.test, b.test, c.test, localhost, 127.0.0.1", rule("dynamic")),
        ].join("---\n"),
      },
      {
        backends: { enabled: true, allow: ["Loopback", "UnixSocket"], dnsResolvers: [dns.address] },
      },
    );
    await eventually(
      async () => (await httpGet(port, "failover.example.com")).status === 200,
      20_000,
      "failover route",
    );
  });

  after(async function () {
    await t?.close();
    await primary?.close().catch(() => undefined); // the fallback test stops it
    await fallback?.close();
    await dns?.close();
    for (const s of servers) s.close();
    rmSync(socketDir, { recursive: true, force: true });
  });

  it("fallback: the primary takes all traffic while it is up; once it is down, the fallback Backend does", async function () {
    for (let i = 0; i < 10; i++) {
      const r = await httpGet(port, "failover.example.com");
      assert.equal(JSON.parse(r.body).backend, "primary");
    }
    assert.equal(fallback.requests, 0);
    await primary.close();
    await eventually(
      async () => {
        const r = await httpGet(port, "failover.example.com");
        return r.status === 200 && JSON.parse(r.body).backend === "fallback";
      },
      10_000,
      "the fallback Backend to answer",
    );
    for (let i = 0; i < 10; i++) {
      const r = await httpGet(port, "failover.example.com");
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body).backend, "fallback");
    }
  });

  it("unix socket endpoint: the server on the socket answers", async function () {
    const r = await httpGet(port, "socket.example.com");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "on-socket 1.1");
  });

  it("appProtocols h2c: HTTP/2 upstream without TLS", async function () {
    const r = await httpGet(port, "h2c.example.com");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "h2c 2.0");
  });

  it("appProtocols ws: HTTP/1.1 upstream even with h2c listed, and WebSocket upgrades go through", async function () {
    const r = await httpGet(port, "ws.example.com");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "ws 1.1");
    const answer = await upgrade(port, "ws.example.com");
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.match(answer, /ws-ok/);
  });

  it("DynamicResolver: the Host names the upstream, resolved by the test DNS server", async function () {
    const a = await httpGet(port, `a.test:${dfpPort}`);
    assert.equal(a.status, 200, a.body);
    assert.equal(a.body, "a.test 1.1");
    const b = await httpGet(port, `b.test:${dfpPort}`);
    assert.equal(b.body, "b.test 1.1");
    assert.ok(dns.queries.includes("a.test") && dns.queries.includes("b.test"), dns.queries.join(","));
    assert.equal((await httpGet(port, `c.test:${dfpPort}`)).status, 503); // NXDOMAIN
  });

  it("DynamicResolver: loopback Hosts are denied (403), as in Envoy Gateway", async function () {
    for (const host of [`localhost:${dfpPort}`, `127.0.0.1:${dfpPort}`]) {
      const r = await httpGet(port, host);
      assert.equal(r.status, 403, `${host}: ${r.body}`);
    }
  });

  it("every Backend is Accepted", function () {
    for (const name of ["primary", "secondary", "socket", "h2c", "ws", "dynamic"]) {
      const status = t.gw.statuses.get("Backend", "default", name)?.status as { conditions: Condition[] } | undefined;
      assert.equal(status?.conditions.find((c) => c.type === "Accepted")?.status, "True", name);
    }
  });
});
