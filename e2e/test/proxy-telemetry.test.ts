/**
 * EnvoyProxy telemetry of a proxy pod (Kubernetes tier): Gateway `eg`'s own EnvoyProxy (its
 * `infrastructure.parametersRef`) sets OpenTelemetry tracing, an OpenTelemetry access log sink and an OpenTelemetry
 * stat sink, all three to Service `otel-collector`, whose EndpointSlice points at a real OpenTelemetry Collector
 * (test/support/otel-collector.ts, `bash scripts/install-otelcol.sh`) listening on the node address. After real
 * requests through the Envoy pod, the collector has a trace with the service name and every custom tag (the
 * Environment tag read from the pod's `ENVOY_POD_NAME`, set by the kubelet from its fieldRef), an access log record
 * naming the pod and its namespace, and the pod's stats, flushed by the stat sink its bootstrap ConfigMap declares.
 */
import assert from "node:assert/strict";
import { OWNING_GATEWAY_NAME, proxyObjectName } from "../../constructs/names";
import { eventually, httpGet } from "../../test/support/http";
import { startOtelCollector, traceOf, type OtelCollector, type ReceivedSpan } from "../../test/support/otel-collector";
import {
  echoRouteYaml,
  gatewayClassYaml,
  gatewayYaml,
  hostServiceYaml,
  startProxyStack,
  type KubeCluster,
  type ProxyStack,
} from "../harness";

const NS = "envoy-gateway-system";
const PORT = 80;
const HOST = "www.example.com";
/** The Service of the collector, on OTLP's port. */
const COLLECTOR = { name: "otel-collector", port: 4317 };

/** The EnvoyProxy's telemetry: every signal to the collector's Service, each marked by a resource attribute. */
function telemetry(): Record<string, unknown> {
  const backendRefs = [COLLECTOR];
  const sink = (signal: string): Record<string, unknown> => ({
    backendRefs,
    resourceAttributes: { "egts.signal": signal },
  });
  return {
    tracing: {
      samplingRate: 100,
      customTags: {
        "egts.literal": { type: "Literal", literal: { value: "fixed" } },
        "egts.pod": { type: "Environment", environment: { name: "ENVOY_POD_NAME", defaultValue: "unset" } },
        "egts.tenant": { type: "RequestHeader", requestHeader: { name: "x-tenant", defaultValue: "anonymous" } },
      },
      provider: { type: "OpenTelemetry", backendRefs, openTelemetry: sink("traces") },
    },
    accessLog: {
      settings: [
        {
          format: { type: "Text", text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%" },
          sinks: [{ type: "OpenTelemetry", openTelemetry: sink("logs") }],
        },
      ],
    },
    metrics: { sinks: [{ type: "OpenTelemetry", openTelemetry: sink("metrics") }] },
  };
}

/** The quickstart, with Gateway `eg` on EnvoyProxy `default/telemetry`, and the collector's Service. */
function manifests(nodeAddress: string, echoPort: number, otlpPort: number): string {
  const infra =
    "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: telemetry } }\n";
  // The collector's Service first: a first pass without its endpoints would start the pod without the stat sink.
  return `${hostServiceYaml(COLLECTOR.name, COLLECTOR.port, nodeAddress, otlpPort)}---
${gatewayClassYaml()}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: telemetry, namespace: default }
spec: ${JSON.stringify({ telemetry: telemetry() })}
---
${gatewayYaml("eg", `[{ name: http, protocol: HTTP, port: ${PORT} }]`, { spec: infra })}---
${hostServiceYaml("echo", 80, nodeAddress, echoPort)}---
${echoRouteYaml("web", HOST)}`;
}

interface Deployment {
  metadata: { generation: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

/**
 * The name of the proxy's one pod, once its Deployment is rolled out with the stat sink in the bootstrap (the pod
 * the signals must name; a bootstrap change would roll it).
 */
async function settledPod(cluster: KubeCluster): Promise<string> {
  const name = proxyObjectName("default", "eg");
  let pods: string[] = [];
  await eventually(
    async () => {
      const cm = await cluster.kubectlJson<{ data: Record<string, string> }>(["get", "configmap", name, "-n", NS]);
      const d = await cluster.kubectlJson<Deployment>(["get", "deployment", name, "-n", NS]);
      const list = await cluster.kubectlJson<{ items: { metadata: { name: string } }[] }>([
        "get",
        "pods",
        "-n",
        NS,
        "-l",
        `${OWNING_GATEWAY_NAME}=eg`,
      ]);
      pods = list.items.map((p) => p.metadata.name);
      const s = d.status;
      const rolledOut =
        s?.observedGeneration === d.metadata.generation && s.updatedReplicas === 1 && s.availableReplicas === 1;
      return Object.values(cm.data).some((b) => b.includes("otel_metric_sink_0")) && rolledOut && pods.length === 1;
    },
    60_000,
    "one proxy pod, rolled out with the stat sink in its bootstrap",
    500,
  );
  return pods[0] ?? "";
}

describe("EnvoyProxy tracing, OpenTelemetry access log and stat sinks of a proxy pod to a real collector (Kubernetes tier)", function () {
  this.timeout(150_000);
  let stack: ProxyStack | undefined;
  let collector: OtelCollector | undefined;
  let cluster: KubeCluster;
  let address: string;
  let pod: string;

  /** The collector: started once the cluster's node address exists (its receivers listen there). */
  const otel = (): OtelCollector => {
    assert.ok(collector, "the collector runs");
    return collector;
  };

  before(async () => {
    stack = await startProxyStack({
      namespace: NS,
      echoName: "telemetry-echo",
      manifests: async (c, echo) => {
        collector = await startOtelCollector({ host: c.nodeAddress });
        return manifests(c.nodeAddress, echo.port, collector.otlpPort);
      },
      probe: { port: PORT, host: HOST },
    });
    ({ cluster, address } = stack);
    pod = await settledPod(cluster);
  });

  after(async () => {
    await stack?.stop();
    await collector?.stop();
  });

  it("exports a trace over OTLP with the service name, the resource attributes and every custom tag", async () => {
    const get = (path: string, headers: Record<string, string> = {}): Promise<number> =>
      httpGet(PORT, HOST, path, { address, headers }).then((r) => r.status);
    assert.equal(await get("/k8s-trace-1", { "x-tenant": "acme" }), 200);
    assert.equal(await get("/k8s-trace-2"), 200);
    const spans = (): ReceivedSpan[] => otel().spans;
    await eventually(
      async () => traceOf(spans(), "/k8s-trace-1").length >= 2 && traceOf(spans(), "/k8s-trace-2").length >= 2,
      30_000,
      "the traces of /k8s-trace-1 and /k8s-trace-2 (downstream and upstream spans) at the collector",
    );
    const trace = traceOf(spans(), "/k8s-trace-1");
    assert.deepEqual(new Set(trace.map((s) => s.kind)), new Set([2, 3]), JSON.stringify(trace.map((s) => s.name)));
    const server = trace.find((s) => s.kind === 2);
    assert.ok(server);
    assert.equal(server.resource.get("service.name"), "eg.default");
    assert.equal(server.resource.get("egts.signal"), "traces");
    assert.equal(server.attributes.get("egts.literal"), "fixed");
    assert.equal(server.attributes.get("egts.pod"), pod, "ENVOY_POD_NAME from the pod's fieldRef");
    assert.equal(server.attributes.get("egts.tenant"), "acme");
    const other = traceOf(spans(), "/k8s-trace-2").find((s) => s.kind === 2);
    assert.equal(other?.attributes.get("egts.tenant"), "anonymous", "the RequestHeader tag's default");
  });

  it("exports an access log record with the text format as its body, naming the pod and its namespace", async () => {
    assert.equal((await httpGet(PORT, HOST, "/k8s-log-1", { address })).status, 200);
    const record = (): OtelCollector["logs"][number] | undefined =>
      otel().logs.find((l) => l.body === "GET /k8s-log-1 200");
    await eventually(async () => record() !== undefined, 30_000, 'the record "GET /k8s-log-1 200" at the collector');
    const rec = record();
    assert.equal(rec?.attributes.get("k8s.pod.name"), pod);
    assert.equal(rec?.attributes.get("k8s.namespace.name"), NS);
    assert.equal(rec?.resource.get("egts.signal"), "logs");
  });

  it("flushes the pod's stats through the bootstrap's OpenTelemetry stat sink, counting the requests", async () => {
    const names = (): Set<string> =>
      new Set(
        otel()
          .metrics.filter((m) => m.resource.get("egts.signal") === "metrics")
          .map((m) => m.name),
      );
    await eventually(
      async () => [...names()].some((n) => n.includes("upstream_rq")),
      30_000,
      "an upstream request stat from the pod's stat sink at the collector",
      500,
    );
    const all = [...names()];
    assert.ok(
      all.some((n) => n.startsWith("http.") && n.endsWith("downstream_rq_total")),
      `an HTTP connection manager's request counter among ${all.slice(0, 30).join(", ")}`,
    );
  });
});
