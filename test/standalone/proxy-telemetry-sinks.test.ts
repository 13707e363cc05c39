/**
 * EnvoyProxy gRPC telemetry sinks on the wire, with a real standalone proxy: access log entries reach a real gRPC
 * Access Log Service written in the test (test/support/als-server.ts: HTTP entries with the extra request and
 * response headers and the sink's log name; TCP entries of a TCPRoute's connections under the default log name
 * `<EnvoyProxy namespace>/<name>`) and a real OpenTelemetry Collector (OTLP logs: the text format as the body, the
 * JSON fields as attributes, the resource attributes, Envoy Gateway's Kubernetes attributes); the proxy's stats
 * reach the same collector through the OpenTelemetry stat sink of its bootstrap, with its resource attributes.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { startAlsServer, type AlsServer } from "../support/als-server";
import { eventually, freePort, httpGet } from "../support/http";
import { startTcpEcho, tcpExchange, type TcpEcho } from "../support/l4";
import { backendYaml, routeYaml, tcpRouteYaml, classWithEnvoyProxyYaml, httpListenerYaml } from "../support/manifests";
import { startOtelCollector, type OtelCollector } from "../support/otel-collector";
import { startTestGateway, type TestGateway } from "../support/standalone";

const BACKEND_REF = { group: "gateway.envoyproxy.io", kind: "Backend" };

function proxySpec(collector: OtelCollector): Record<string, unknown> {
  return {
    telemetry: {
      accessLog: {
        settings: [
          {
            type: "Route",
            sinks: [
              {
                type: "ALS",
                als: {
                  type: "HTTP",
                  logName: "egts-http",
                  backendRefs: [{ ...BACKEND_REF, name: "als" }],
                  http: { requestHeaders: ["x-tenant"], responseHeaders: ["x-echo-served-by"] },
                },
              },
              { type: "ALS", als: { type: "TCP", backendRefs: [{ ...BACKEND_REF, name: "als" }] } },
            ],
          },
          {
            format: { text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%", json: { tenant: "%REQ(X-TENANT)%" } },
            matches: ["request.path.startsWith('/otel')"],
            sinks: [
              {
                type: "OpenTelemetry",
                openTelemetry: {
                  backendRefs: [{ ...BACKEND_REF, name: "otel" }],
                  resourceAttributes: { "deployment.environment": "egts-test" },
                },
              },
            ],
          },
        ],
      },
      metrics: {
        sinks: [
          {
            type: "OpenTelemetry",
            openTelemetry: {
              host: "127.0.0.1",
              port: collector.otlpPort,
              resourceAttributes: { "egts.sink": "stats" },
            },
          },
        ],
      },
    },
  };
}

describe("EnvoyProxy ALS and OpenTelemetry access log sinks and stat sink (real Envoy, real peers)", function () {
  let collector: OtelCollector;
  let als: AlsServer;
  let backend: EchoBackend;
  let tcpBackend: TcpEcho;
  let t: TestGateway;
  let port: number;
  let tcpPort: number;

  before(async function () {
    collector = await startOtelCollector();
    als = await startAlsServer();
    backend = await startEchoBackend({ port: await freePort() });
    tcpBackend = await startTcpEcho("raw");
    port = await freePort();
    tcpPort = await freePort();
    const gateway = classWithEnvoyProxyYaml(
      proxySpec(collector),
      `${httpListenerYaml(port)}\n    - { name: raw, protocol: TCP, port: ${tcpPort} }`,
    );
    const files = {
      "gateway.yaml": gateway,
      "backends.yaml": [
        backendYaml("app", backend.port),
        backendYaml("raw", tcpBackend.port),
        backendYaml("als", als.port),
        backendYaml("otel", collector.otlpPort),
      ].join("---\n"),
      "routes.yaml": `${routeYaml("app", "www.example.com", "app")}---\n${tcpRouteYaml("raw", "raw", "raw")}`,
    };
    t = await startTestGateway(files);
    await eventually(async () => (await httpGet(port, "www.example.com")).status === 200, 20_000, "the route");
  });
  after(async () => {
    await t?.close();
    await backend?.close();
    await new Promise((r) => tcpBackend?.server.close(r));
    await als?.close();
    await collector?.stop();
  });

  it("streams HTTP entries to the ALS with the sink's log name and the extra headers", async () => {
    const res = await httpGet(port, "www.example.com", "/als-1", { headers: { "x-tenant": "acme" } });
    assert.equal(res.status, 200);
    await eventually(
      async () => als.httpEntries().some((e) => e.entry.request?.path === "/als-1"),
      20_000,
      "the HTTP entry of /als-1 at the access log service",
    );
    const { logName, entry } = als.httpEntries().find((e) => e.entry.request?.path === "/als-1")!;
    assert.equal(logName, "egts-http");
    assert.equal(entry.request?.authority, "www.example.com");
    assert.equal(entry.request?.requestHeaders["x-tenant"], "acme");
    assert.equal(entry.response?.responseCode, 200);
  });

  it("streams TCP entries of a TCPRoute's connections under the EnvoyProxy's name", async () => {
    assert.equal(await tcpExchange(tcpPort, "hello"), "raw:hello");
    const ofTcpListener = (): ReturnType<AlsServer["tcpEntries"]> =>
      als
        .tcpEntries()
        .filter((e) => e.entry.commonProperties?.downstreamLocalAddress?.socketAddress?.portValue === tcpPort);
    await eventually(async () => ofTcpListener().length > 0, 20_000, "a TCP entry of the TCP listener");
    const { logName, entry } = ofTcpListener()[0];
    assert.equal(logName, "default/proxy");
    assert.ok((entry.connectionProperties?.receivedBytes ?? 0) >= 5, JSON.stringify(entry.connectionProperties));
  });

  it("exports OTLP log records with the text body, JSON attributes and resource attributes; CEL matches apply", async () => {
    assert.equal((await httpGet(port, "www.example.com", "/otel-1", { headers: { "x-tenant": "acme" } })).status, 200);
    assert.equal((await httpGet(port, "www.example.com", "/skipped-1")).status, 200);
    await eventually(
      async () => collector.logs.some((l) => l.body === "GET /otel-1 200"),
      20_000,
      'the record "GET /otel-1 200" at the collector',
    );
    const rec = collector.logs.find((l) => l.body === "GET /otel-1 200")!;
    assert.equal(rec.attributes.get("tenant"), "acme");
    assert.ok(rec.attributes.has("k8s.pod.name"), [...rec.attributes.keys()].join(","));
    assert.equal(rec.resource.get("deployment.environment"), "egts-test");
    assert.ok(!collector.logs.some((l) => (l.body ?? "").includes("/skipped-1")), "a request the CEL match refuses");
  });

  it("flushes the proxy's stats to the collector through the bootstrap's OpenTelemetry stat sink", async () => {
    await eventually(
      async () => collector.metrics.some((m) => m.resource.get("egts.sink") === "stats"),
      20_000,
      "stats from the proxy's stat sink at the collector",
      500,
    );
    const names = new Set(collector.metrics.filter((m) => m.resource.get("egts.sink") === "stats").map((m) => m.name));
    assert.ok(
      [...names].some((n) => n.includes("upstream_rq")),
      `an upstream request stat among ${[...names].slice(0, 20).join(", ")}`,
    );
  });
});
