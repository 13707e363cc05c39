/**
 * EnvoyProxy `telemetry.tracing` on the wire: a real standalone proxy traces each request to a real OpenTelemetry
 * Collector (test/support/otel-collector.ts), over OTLP gRPC to a Backend (OpenTelemetry provider) and then, after
 * the EnvoyProxy changes, over Zipkin's HTTP JSON API to the deprecated host and port (Zipkin provider). The
 * collector's spans carry the service name Envoy Gateway derives (`<gateway>.<namespace>`), the custom tags of each
 * type (Literal, Environment with its variable set and with its default, RequestHeader with the request's header
 * and with its default) and a `tags` format string, on the downstream and the upstream span of one trace, and the
 * route's own tags from a BackendTrafficPolicy's `telemetry.tracing`. The OpenTelemetry `sampler`
 * (ParentBasedAlwaysOff) keeps a request whose W3C parent is sampled and drops one without a parent. The
 * Datadog provider is proved against a FAKE Datadog agent written in the test (test/support/fake-datadog-agent.ts:
 * no real agent, nor the collector's Datadog receiver, can be built here), which decodes the tracer's MessagePack.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, routeYaml, classWithEnvoyProxyYaml, httpListenerYaml } from "../support/manifests";
import { startFakeDatadogAgent, type FakeDatadogAgent } from "../support/fake-datadog-agent";
import { startOtelCollector, traceOf, type OtelCollector } from "../support/otel-collector";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** The environment variable one custom tag reads (set for the proxy's process, which inherits ours). */
const TAG_ENV = "EGTS_TRACING_TEST_REGION";

/** The tracing of the EnvoyProxy: `provider` and the tags every variant shares. */
function tracing(provider: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(provider.type === "OpenTelemetry"
      ? { spanName: { client: "egts-in %REQ(:AUTHORITY)%", server: "egts-out" } }
      : {}),
    samplingRate: 100,
    customTags: {
      "egts.literal": { type: "Literal", literal: { value: "fixed" } },
      "egts.region": { type: "Environment", environment: { name: TAG_ENV, defaultValue: "nowhere" } },
      "egts.missing-env": { type: "Environment", environment: { name: "EGTS_UNSET_VARIABLE", defaultValue: "dflt" } },
      "egts.tenant": { type: "RequestHeader", requestHeader: { name: "x-tenant", defaultValue: "anonymous" } },
    },
    tags: { "egts.method": "%REQ(:METHOD)%" },
    provider,
  };
}

function gatewayYaml(port: number, provider: Record<string, unknown>): string {
  return classWithEnvoyProxyYaml({ telemetry: { tracing: tracing(provider) } }, httpListenerYaml(port));
}

describe("EnvoyProxy tracing to a real OpenTelemetry Collector (real Envoy)", function () {
  let collector: OtelCollector;
  let datadog: FakeDatadogAgent;
  let backend: EchoBackend;
  let t: TestGateway;
  let port: number;
  let saved: string | undefined;

  before(async function () {
    saved = process.env[TAG_ENV];
    process.env[TAG_ENV] = "eu-west";
    collector = await startOtelCollector();
    datadog = await startFakeDatadogAgent();
    backend = await startEchoBackend({ port: await freePort() });
    port = await freePort();
    const files = {
      "gateway.yaml": gatewayYaml(port, {
        type: "OpenTelemetry",
        backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: "otel" }],
        openTelemetry: { resourceAttributes: { "deployment.environment": "egts-test" } },
      }),
      "backends.yaml": [
        backendYaml("app", backend.port),
        backendYaml("otel", collector.otlpPort),
        backendYaml("datadog", datadog.port),
      ].join("---\n"),
      "route.yaml": `${routeYaml("app", "www.example.com", "app")}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: app-tracing, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: app }]
  telemetry:
    tracing:
      samplingFraction: { numerator: 100 }
      customTags: { egts.route: { type: Literal, literal: { value: app } } }
      tags: { egts.path: "%REQ(:PATH)%" }
`,
    };
    t = await startTestGateway(files);
    await eventually(async () => (await httpGet(port, "www.example.com")).status === 200, 20_000, "the route");
  });
  after(async () => {
    await t?.close();
    await backend?.close();
    await collector?.stop();
    await datadog?.close();
    if (saved === undefined) delete process.env[TAG_ENV];
    else process.env[TAG_ENV] = saved;
  });

  it("exports a trace over OTLP with Envoy Gateway's service name and every custom tag", async () => {
    assert.equal((await httpGet(port, "www.example.com", "/otlp-1", { headers: { "x-tenant": "acme" } })).status, 200);
    assert.equal((await httpGet(port, "www.example.com", "/otlp-2")).status, 200);
    await eventually(
      async () => traceOf(collector.spans, "/otlp-1").length >= 2 && traceOf(collector.spans, "/otlp-2").length >= 2,
      20_000,
      "the traces of /otlp-1 and /otlp-2 (downstream and upstream spans) at the collector",
    );
    const trace = traceOf(collector.spans, "/otlp-1");
    // The downstream (server) span and the upstream (client) span of spawn_upstream_span.
    assert.deepEqual(new Set(trace.map((s) => s.kind)), new Set([2, 3]), JSON.stringify(trace.map((s) => s.name)));
    const server = trace.find((s) => s.kind === 2);
    assert.ok(server);
    assert.equal(server.resource.get("service.name"), "eg.default");
    assert.equal(server.resource.get("deployment.environment"), "egts-test", "the resource attributes");
    // spanName: the downstream span's and the upstream span's operation names.
    assert.equal(server.name, "egts-in www.example.com");
    assert.equal(trace.find((s) => s.kind === 3)?.name, "egts-out");
    assert.equal(server.attributes.get("egts.literal"), "fixed");
    assert.equal(server.attributes.get("egts.region"), "eu-west");
    assert.equal(server.attributes.get("egts.missing-env"), "dflt");
    assert.equal(server.attributes.get("egts.tenant"), "acme");
    assert.equal(server.attributes.get("egts.method"), "GET");
    // The route's own tags (BackendTrafficPolicy telemetry.tracing), with the listener's.
    assert.equal(server.attributes.get("egts.route"), "app");
    assert.equal(server.attributes.get("egts.path"), "/otlp-1");
    const other = traceOf(collector.spans, "/otlp-2").find((s) => s.kind === 2);
    assert.equal(other?.attributes.get("egts.tenant"), "anonymous", "the RequestHeader tag's default");
  });

  it("OpenTelemetry sampler ParentBasedAlwaysOff: a request with a sampled parent is traced, one without is not", async () => {
    await t.write(
      "gateway.yaml",
      gatewayYaml(port, {
        type: "OpenTelemetry",
        backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: "otel" }],
        openTelemetry: { sampler: { type: "ParentBasedAlwaysOff" } },
      }),
    );
    // Envoy has the sampler once its listener's tracer config shows it (admin config_dump).
    const admin = await t.gw.runner?.adminUrl("default/eg");
    assert.ok(admin);
    await eventually(
      async () =>
        (await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text()).includes("parent_based"),
      20_000,
      "the parent_based sampler in Envoy's listener",
    );
    for (let i = 0; i < 5; i++) await httpGet(port, "www.example.com", `/no-parent-${i}`);
    const traceId = "e".repeat(32);
    const traceparent = `00-${traceId}-${"1".repeat(16)}-01`;
    await httpGet(port, "www.example.com", "/sampled-parent", { headers: { traceparent } });
    await eventually(
      async () => collector.spans.some((x) => x.traceId === traceId),
      20_000,
      "a span of the request with a sampled parent, under the parent's trace id",
    );
    // Spans leave Envoy in batches (every 5 s): one more interval, so a parentless request's would have arrived.
    await new Promise((r) => setTimeout(r, 6_000));
    for (let i = 0; i < 5; i++) assert.deepEqual(traceOf(collector.spans, `/no-parent-${i}`), [], `/no-parent-${i}`);
  });

  it("switches to Zipkin over the deprecated host and port when the EnvoyProxy changes", async () => {
    await t.write(
      "gateway.yaml",
      gatewayYaml(port, {
        type: "Zipkin",
        host: "127.0.0.1",
        port: collector.zipkinPort,
        zipkin: { enable128BitTraceId: true },
      }),
    );
    await eventually(
      async () => {
        await httpGet(port, "www.example.com", "/zipkin-1", { headers: { "x-tenant": "zed" } });
        return traceOf(collector.spans, "/zipkin-1").some((s) => s.attributes.get("egts.tenant") === "zed");
      },
      20_000,
      "a Zipkin trace of /zipkin-1 at the collector",
      500,
    );
    const span = traceOf(collector.spans, "/zipkin-1").find((s) => s.attributes.get("egts.tenant") === "zed");
    assert.ok(span);
    assert.equal(span.attributes.get("egts.literal"), "fixed");
    assert.equal(span.attributes.get("egts.region"), "eu-west");
    // Zipkin's service name is Envoy's --service-cluster (the node), as Envoy Gateway documents.
    assert.equal(span.resource.get("service.name"), "default/eg");
    assert.equal(span.traceId.length, 32, `a 128-bit trace id: ${span.traceId}`);
  });

  it("sends Datadog spans with the EnvoyProxy's service name and tags (to a FAKE Datadog agent written in the test)", async () => {
    await t.write(
      "gateway.yaml",
      gatewayYaml(port, {
        type: "Datadog",
        serviceName: "storefront",
        backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: "datadog" }],
      }),
    );
    await eventually(
      async () => {
        await httpGet(port, "www.example.com", "/datadog-1", { headers: { "x-tenant": "dd" } });
        return datadog.spans.some((s) => s.meta["egts.tenant"] === "dd");
      },
      20_000,
      `Datadog spans of /datadog-1 at the fake agent (requests: ${datadog.requests.slice(-5).join(", ")})`,
      500,
    );
    const span = datadog.spans.find((s) => s.meta["egts.tenant"] === "dd");
    assert.ok(span);
    assert.equal(span.service, "storefront");
    assert.equal(span.meta["egts.literal"], "fixed");
    assert.equal(span.meta["egts.region"], "eu-west");
    assert.equal(span.meta["egts.method"], "GET");
  });
});
