/**
 * Envoy Gateway's default listener behaviour, which users rely on without writing a policy, on the wire
 * against real Envoy (operator/src/xds/translate/listener-defaults.ts, docs/behaviour.md): paths normalised
 * and slashes merged before routing, escaped slashes redirected, the client address appended to
 * X-Forwarded-For, a request ID, X-Forwarded-Host on a host rewrite, no Server or x-envoy-* headers added,
 * headers with underscores refused, Envoy Gateway's HTTP/2 settings, and a JSON access log line on stdout;
 * and an EnvoyProxy's access log settings replacing that default.
 */
import assert from "node:assert/strict";
import { connect } from "node:http2";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "defaults.example";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function to(backend: string): string {
  return `backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`;
}

const ROUTES = `${httpRouteYaml(
  "defaults",
  HOST,
  `    - matches: [{ path: { type: PathPrefix, value: /login } }]
      ${to("login")}
    - matches: [{ path: { type: PathPrefix, value: /admin } }]
      ${to("admin")}
    - matches: [{ path: { type: PathPrefix, value: /a/b } }]
      ${to("ab")}
    - ${to("root")}
`,
)}---
${httpRouteYaml(
  "rewrite",
  "rewrite.example",
  `    - filters: [{ type: URLRewrite, urlRewrite: { hostname: backend.internal } }]
      ${to("root")}
`,
)}`;

function echo(res: HttpResult): EchoResponse {
  assert.equal(res.status, 200, `status of ${res.body}`);
  return JSON.parse(res.body) as EchoResponse;
}

describe("Envoy Gateway's default listener behaviour (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;
  const backends: EchoBackend[] = [];
  const stdout: string[] = [];

  before(async function () {
    const names = ["login", "admin", "ab", "root"];
    for (const name of names) backends.push(await startEchoBackend({ name }));
    port = await freePort();
    const backendDocs = names.map((n, i) => backendYaml(n, backends[i].port)).join("---\n");
    t = await startTestGateway(
      { "gateway.yaml": gatewayYaml(port), "routes.yaml": `${backendDocs}---\n${ROUTES}` },
      { envoyStdout: stdout },
    );
    await eventually(async () => (await httpGet(port, HOST, "/login")).status === 200, 20_000, "the routes");
    await eventually(async () => (await httpGet(port, "rewrite.example")).status === 200, 10_000, "the rewrite route");
  });

  after(async function () {
    await t?.close();
    for (const b of backends) await b.close();
  });

  it("normalises /login/../admin to /admin before routing: the /admin rule's backend gets /admin", async function () {
    const body = echo(await httpGet(port, HOST, "/login/../admin"));
    assert.equal(body.backend, "admin");
    assert.equal(body.path, "/admin");
  });

  it("normalises percent-encoded dot segments too (/login/%2e%2e/admin)", async function () {
    const body = echo(await httpGet(port, HOST, "/login/%2e%2e/admin"));
    assert.equal(body.backend, "admin");
    assert.equal(body.path, "/admin");
  });

  it("merges adjacent slashes: //a//b is routed and forwarded as /a/b", async function () {
    const body = echo(await httpGet(port, HOST, "//a//b"));
    assert.equal(body.backend, "ab");
    assert.equal(body.path, "/a/b");
  });

  it("redirects a path with an escaped slash (%2F) to its unescaped form", async function () {
    const res = await httpGet(port, HOST, "/a%2Fb");
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, "/a/b");
  });

  it("appends the client address to X-Forwarded-For", async function () {
    // Envoy appends the peer's address; for a loopback peer it appends the machine's own address instead.
    const client = String(echo(await httpGet(port, HOST, "/")).headers["x-forwarded-for"]);
    assert.ok(isIP(client), `X-Forwarded-For is the client address, got ${client}`);
    const sent = { "x-forwarded-for": "203.0.113.7" };
    const body = echo(await httpGet(port, HOST, "/", { headers: sent }));
    assert.equal(body.headers["x-forwarded-for"], `203.0.113.7,${client}`);
  });

  it("gives a request without x-request-id a generated one", async function () {
    const id = echo(await httpGet(port, HOST, "/")).headers["x-request-id"];
    assert.match(String(id), UUID);
  });

  it("replaces the x-request-id an external client sent", async function () {
    const body = echo(await httpGet(port, HOST, "/", { headers: { "x-request-id": "chosen-by-client" } }));
    assert.match(String(body.headers["x-request-id"]), UUID);
  });

  it("appends the client's Host to X-Forwarded-Host when a URLRewrite filter rewrites the host", async function () {
    const body = echo(await httpGet(port, "rewrite.example", "/"));
    assert.equal(body.host, "backend.internal");
    assert.equal(body.headers["x-forwarded-host"], "rewrite.example");
  });

  it("adds no Server header and no x-envoy-* response headers", async function () {
    const res = await httpGet(port, HOST, "/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.server, undefined);
    assert.deepEqual(
      Object.keys(res.headers).filter((h) => h.startsWith("x-envoy-")),
      [],
    );
    const body = echo(res);
    assert.equal(body.headers["x-envoy-expected-rq-timeout-ms"], undefined, "nor the router's headers upstream");
  });

  it("refuses a request header with an underscore in its name (400)", async function () {
    const res = await httpGet(port, HOST, "/", { headers: { x_user: "admin" } });
    assert.equal(res.status, 400);
  });

  it("advertises Envoy Gateway's HTTP/2 settings: 100 streams, a 64 KiB stream window", async function () {
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number; initialWindowSize?: number }>(
        (resolve, reject) => {
          session.once("remoteSettings", resolve);
          session.once("error", reject);
        },
      );
      assert.equal(settings.maxConcurrentStreams, 100);
      assert.equal(settings.initialWindowSize, 65_536);
    } finally {
      session.close();
    }
  });

  it("writes a JSON access log line to Envoy's stdout for each request", async function () {
    const path = `/logged-${Date.now()}`;
    assert.equal((await httpGet(port, HOST, path, { headers: { "user-agent": "defaults-test" } })).status, 200);
    let entry: Record<string, unknown> | undefined;
    await eventually(
      () => {
        const line = stdout.find((l) => l.includes(path));
        entry = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        return Promise.resolve(entry !== undefined);
      },
      // Envoy flushes access log buffers every 10 s (its file_flush_interval default).
      25_000,
      "the access log line",
    );
    assert.equal(entry?.["x-envoy-origin-path"], path);
    assert.equal(entry?.["method"], "GET");
    assert.equal(entry?.["response_code"], 200);
    assert.equal(entry?.["user-agent"], "defaults-test");
    assert.equal(entry?.[":authority"], HOST);
    assert.equal(entry?.["route_name"], "httproute/default/defaults/rule/3/match/0/defaults_example");
  });
});

describe("EnvoyProxy telemetry.accessLog settings replace the default access log (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;
  let backend: EchoBackend;
  let dir: string;
  const stdout: string[] = [];

  before(async function () {
    backend = await startEchoBackend({ name: "root" });
    port = await freePort();
    dir = await mkdtemp(join(tmpdir(), "egts-access-log-"));
    const gateway = gatewayYaml(port).replace(
      "spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }",
      `spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: default }`,
    );
    assert.match(gateway, /parametersRef/, "the class names the EnvoyProxy");
    const proxy = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: proxy, namespace: default }
spec:
  telemetry:
    accessLog:
      settings:
        - format: { type: Text, text: "text %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE%\\n" }
          sinks: [{ type: File, file: { path: ${join(dir, "access.log")} } }]
`;
    const route = httpRouteYaml("r", HOST, `    - ${to("root")}\n`);
    t = await startTestGateway(
      { "gateway.yaml": `${gateway}---\n${proxy}`, "routes.yaml": `${backendYaml("root", backend.port)}---\n${route}` },
      { envoyStdout: stdout },
    );
    await eventually(async () => (await httpGet(port, HOST, "/")).status === 200, 20_000, "the route");
  });

  after(async function () {
    await t?.close();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes the Text line to the File sink, and nothing to stdout", async function () {
    const path = `/file-${Date.now()}`;
    assert.equal((await httpGet(port, HOST, path)).status, 200);
    const file = join(dir, "access.log");
    await eventually(
      async () => (await readFile(file, "utf8").catch(() => "")).includes(`text GET ${path} 200`),
      25_000,
      "the access log line in the file",
    );
    assert.deepEqual(
      stdout.filter((l) => l.includes(path)),
      [],
    );
  });
});
