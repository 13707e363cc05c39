/**
 * EnvoyProxy telemetry.metrics and command line settings in the Kubernetes render: Envoy Gateway's scrape
 * annotations and `metrics` port by default, none of them (and no stats listener) with `prometheus.disable`, the
 * stats inclusion list in the bootstrap, and the log levels, drain time and extraArgs in the container's args; the
 * OpenTelemetry stat sinks the translator resolved in the bootstrap.
 */
import assert from "node:assert/strict";
import { renderProxies, type Manifest, type ProxyToRender } from "../../constructs/render";
import { BOOTSTRAP_HASH_ANNOTATION } from "../../constructs/gateway-proxy";

const OPTIONS = { image: "envoyproxy/envoy:distroless-v1.36.4", xds: { host: "envoy-gateway" } };
const PROXY: ProxyToRender = {
  name: "default/eg",
  namespace: "default",
  gatewayName: "eg",
  ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function render(envoyProxy?: ProxyToRender["envoyProxy"]): { deployment: Loose; bootstrap: Loose } {
  const out: readonly Manifest[] = renderProxies([{ ...PROXY, ...(envoyProxy ? { envoyProxy } : {}) }], OPTIONS);
  const deployment = out.find((m) => m.kind === "Deployment") as Loose;
  const cm = out.find((m) => m.kind === "ConfigMap") as Loose;
  return { deployment, bootstrap: JSON.parse(cm.data["envoy.json"]) };
}

const listenerNames = (b: Loose): string[] => b.static_resources.listeners.map((l: { name: string }) => l.name);

describe("constructs: EnvoyProxy telemetry and command line", () => {
  it("annotates the pods for Prometheus and exposes the metrics port by default (Envoy Gateway's)", () => {
    const { deployment, bootstrap } = render();
    const annotations = { ...deployment.spec.template.metadata.annotations };
    delete annotations[BOOTSTRAP_HASH_ANNOTATION];
    assert.deepEqual(annotations, {
      "prometheus.io/path": "/stats/prometheus",
      "prometheus.io/port": "19001",
      "prometheus.io/scrape": "true",
    });
    assert.ok(listenerNames(bootstrap).includes("envoy-gateway-proxy-stats"));
    assert.equal(bootstrap.stats_config, undefined, "every stat without matches");
  });

  it("serves no stats, annotates nothing and exposes no metrics port with prometheus.disable", () => {
    const { deployment, bootstrap } = render({ telemetry: { metrics: { prometheus: { disable: true } } } });
    assert.deepEqual(Object.keys(deployment.spec.template.metadata.annotations), [BOOTSTRAP_HASH_ANNOTATION]);
    const ports = deployment.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    assert.ok(!ports.includes("metrics"), ports.join(","));
    assert.deepEqual(listenerNames(bootstrap), ["envoy-gateway-proxy-ready"]);
  });

  it("lets the EnvoyProxy's pod annotations override the scrape annotations", () => {
    const pod = { annotations: { "prometheus.io/scrape": "false" } };
    const { deployment } = render({ provider: { type: "Kubernetes", kubernetes: { envoyDeployment: { pod } } } });
    assert.equal(deployment.spec.template.metadata.annotations["prometheus.io/scrape"], "false");
  });

  it("puts matches in the bootstrap's stats_matcher and the runtime settings in Envoy's args", () => {
    const { deployment, bootstrap } = render({
      logging: { level: { default: "info", router: "debug" } },
      shutdown: { drainTimeout: "45s" },
      extraArgs: ["--disable-hot-restart"],
      telemetry: {
        metrics: {
          matches: [
            { type: "Prefix", value: "cluster." },
            { type: "RegularExpression", value: "^http\\..*" },
          ],
        },
      },
    });
    assert.deepEqual(bootstrap.stats_config.stats_matcher.inclusion_list.patterns, [
      { prefix: "cluster." },
      { safe_regex: { google_re2: {}, regex: "^http\\..*" } },
    ]);
    assert.deepEqual(deployment.spec.template.spec.containers[0].args, [
      "--config-path",
      "/config/envoy.json",
      "--log-level",
      "info",
      "--component-log-level",
      "router:debug",
      "--drain-time-s",
      "45",
      "--drain-strategy",
      "immediate",
      "--disable-hot-restart",
    ]);
  });

  it("puts the translator's resolved OpenTelemetry stat sinks in the bootstrap, and rolls the pods when they change", () => {
    const withSinks = (port: number): { deployment: Loose; bootstrap: Loose } => {
      const runtime = { metricSinks: [{ host: "198.18.0.1", port, authority: "otel.default.svc" }] };
      const out = renderProxies([{ ...PROXY, runtime }], OPTIONS);
      const cm = out.find((m) => m.kind === "ConfigMap") as Loose;
      return { deployment: out.find((m) => m.kind === "Deployment"), bootstrap: JSON.parse(cm.data["envoy.json"]) };
    };
    const a = withSinks(4317);
    assert.deepEqual(
      a.bootstrap.stats_sinks.map((s: Loose) => [s.name, s.typed_config.grpc_service.envoy_grpc]),
      [["envoy.stat_sinks.open_telemetry", { cluster_name: "otel_metric_sink_0", authority: "otel.default.svc" }]],
    );
    const cluster = a.bootstrap.static_resources.clusters.find((c: Loose) => c.name === "otel_metric_sink_0");
    assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
      address: "198.18.0.1",
      port_value: 4317,
    });
    const hash = (d: Loose): string => d.spec.template.metadata.annotations[BOOTSTRAP_HASH_ANNOTATION];
    assert.notEqual(hash(a.deployment), hash(withSinks(4318).deployment), "a moved sink re-rolls the pods");
    assert.equal(render().bootstrap.stats_sinks, undefined, "no sinks without them");
  });
});
