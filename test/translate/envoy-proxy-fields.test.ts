/**
 * EnvoyProxy fields egts does not act on are never silently ignored: each one refuses the EnvoyProxy with a
 * message naming it (the GatewayClass, or the Gateway, is then Accepted=False InvalidParameters); the runtime
 * settings it does act on (log levels, concurrency, drain, extraArgs, stats) reach the infra IR, and those Envoy
 * could not start with are refused the same way.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { proxyArgs } from "../../operator/src/infra/proxy-args";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";
import { envoyProxyUnimplementedProblems } from "../../operator/src/translate/envoy-proxy-fields";
import { proxyMetricsFor, proxyRuntimeFor } from "../../operator/src/translate/proxy-runtime";
import { translate } from "../../operator/src/translate/translate";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";

function spec(yaml: string): EnvoyProxy["spec"] {
  return parse(yaml) as EnvoyProxy["spec"];
}

/** A GatewayClass whose parametersRef names an EnvoyProxy with `specYaml`, and a Gateway of it. */
function objects(specYaml: string): KubeObject[] {
  return parse(`
- apiVersion: gateway.networking.k8s.io/v1
  kind: GatewayClass
  metadata: { name: eg }
  spec:
    controllerName: gateway.envoyproxy.io/gatewayclass-controller
    parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: default }
- apiVersion: gateway.envoyproxy.io/v1alpha1
  kind: EnvoyProxy
  metadata: { name: proxy, namespace: default }
  spec: ${JSON.stringify(parse(specYaml) ?? {})}
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: { name: gw, namespace: default }
  spec:
    gatewayClassName: eg
    listeners: [{ name: http, protocol: HTTP, port: 8080 }]
`) as KubeObject[];
}

function classAccepted(specYaml: string): { status: string; reason: string; message: string } {
  const result = translate(snapshotFromObjects(objects(specYaml)));
  const gc = result.statuses.find((s) => s.kind === "GatewayClass");
  const c = (gc?.status as { conditions: { type: string; status: string; reason: string; message: string }[] })
    .conditions;
  const accepted = c.find((x) => x.type === "Accepted");
  assert.ok(accepted);
  return accepted;
}

const UNIMPLEMENTED = `
telemetry:
  tracing: { provider: { type: OpenTelemetry, host: otel, port: 4317 } }
  metrics:
    sinks: [{ type: OpenTelemetry, openTelemetry: { host: otel, port: 4317 } }]
    prometheus: { disable: false, compression: { type: Gzip } }
    enableVirtualHostStats: true
    clusterStatName: "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/rule/%ROUTE_RULE_NUMBER%"
bootstrap: { type: Merge, value: "{}" }
ipFamily: DualStack
shutdown: { drainTimeout: 30s, minDrainDuration: 5s, healthCheckFailureDelay: 5s }
routingType: Service
mergeBackends: {}
luaValidation: Disabled
mergeType: StrategicMerge
futureField: { on: true }
provider:
  type: Kubernetes
  host: { envoyVersion: "1.37.0" }
  kubernetes:
    envoyDeployment:
      replicas: 2
      pod: { priorityClassName: high, annotations: { a: b } }
      initContainers: [{ name: x }]
`;

describe("EnvoyProxy fields egts does not act on", () => {
  it("are each named, and only they (implemented siblings are not)", () => {
    assert.deepEqual(envoyProxyUnimplementedProblems(spec(UNIMPLEMENTED)), [
      "spec.futureField is not implemented by egts",
    ]);
  });

  it("make the GatewayClass Accepted=False InvalidParameters, the message naming them", () => {
    const c = classAccepted(UNIMPLEMENTED);
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(c.message, /spec\.futureField is not implemented by egts/);
  });

  it("leave a GatewayClass whose EnvoyProxy sets only implemented fields accepted", () => {
    const c = classAccepted(`
concurrency: 2
logging: { level: { default: info, http: debug } }
extraArgs: ["--disable-extensions", "envoy.filters.http.lua"]
shutdown: { drainTimeout: 30s, healthCheckFailureDelay: 5s }
telemetry:
  metrics:
    prometheus: { disable: true }
    matches: [{ type: Prefix, value: http. }]
    enableVirtualHostStats: true
    enablePerEndpointStats: true
    enableRequestResponseSizesStats: true
    clusterStatName: "%ROUTE_NAME%/%BACKEND_REFS%"
provider: { type: Kubernetes, kubernetes: { envoyDeployment: { replicas: 2, pod: { annotations: { a: b } } } } }
`);
    assert.equal(c.status, "True", c.message);
  });
});

describe("EnvoyProxy runtime settings (logging, concurrency, shutdown, extraArgs, metrics)", () => {
  const s = spec(`
concurrency: 2
logging: { level: { default: info, upstream: debug, http: trace } }
extraArgs: ["--disable-extensions", "envoy.filters.http.lua"]
shutdown: { drainTimeout: 1m30s }
telemetry:
  metrics:
    prometheus: { disable: true }
    matches: [{ value: server.live }, { type: Prefix, value: http. }, { type: RegularExpression, value: "^cluster\\\\..*" }]
    enableVirtualHostStats: true
`);

  it("reach the infra IR and Envoy's command line, extraArgs last", () => {
    const runtime = proxyRuntimeFor(s);
    assert.deepEqual(runtime, {
      logLevel: "info",
      componentLogLevel: "http:trace,upstream:debug",
      concurrency: 2,
      drainTimeSeconds: 90,
      extraArgs: ["--disable-extensions", "envoy.filters.http.lua"],
      prometheusDisabled: true,
      statsMatches: [
        { type: "exact", value: "server.live" },
        { type: "prefix", value: "http." },
        { type: "regex", value: "^cluster\\..*" },
      ],
    });
    assert.deepEqual(proxyArgs(["-c", "b.json"], runtime, { logLevel: "warn", drainTimeSeconds: 60 }), [
      "-c",
      "b.json",
      "--log-level",
      "info",
      "--component-log-level",
      "http:trace,upstream:debug",
      "--concurrency",
      "2",
      "--drain-time-s",
      "90",
      "--drain-strategy",
      "immediate",
      "--disable-extensions",
      "envoy.filters.http.lua",
    ]);
    assert.deepEqual(proxyMetricsFor(s), { virtualHostStats: true });
    const result = translate(snapshotFromObjects(objects(JSON.stringify(s))));
    assert.deepEqual(result.infraIr[0]?.runtime, runtime);
    assert.deepEqual(result.xdsIr[0]?.metrics, { virtualHostStats: true });
  });

  it("are absent from the IR when the EnvoyProxy sets none", () => {
    assert.equal(proxyRuntimeFor(spec("mergeGateways: false")), undefined);
    assert.equal(proxyMetricsFor(spec("telemetry: { metrics: { enableVirtualHostStats: false } }")), undefined);
  });

  it("refuse what Envoy could not start with: flags egts sets, unknown log components and levels, bad durations", () => {
    const bad = spec(`
logging: { level: { default: loud, sql: debug } }
extraArgs: ["--base-id=3", "--log-level", "debug", "--disable-hot-restart"]
shutdown: { drainTimeout: soon }
telemetry: { metrics: { matches: [{ type: Glob, value: x }], enableVirtualHostStats: "yes", enableGRPCStats: 1 } }
`);
    const problem = envoyProxyProblem(bad, "GatewayClass") ?? "";
    for (const expected of [
      "spec.logging.level.default (loud) must be one of",
      "spec.logging.level.sql: unknown component",
      "spec.extraArgs[0] (--base-id) is set by egts",
      "spec.extraArgs[1] (--log-level) is set by egts",
      "spec.shutdown.drainTimeout (soon) is not a duration",
      "spec.telemetry.metrics.matches[0].type (Glob) is not a match type",
      'spec.telemetry.metrics.enableVirtualHostStats: "yes" must be true or false',
      "spec.telemetry.metrics.enableGRPCStats: 1 must be true or false",
    ])
      assert.ok(problem.includes(expected), `${expected} in: ${problem}`);
    assert.ok(!problem.includes("--disable-hot-restart"), "an allowed flag is not refused");
  });
});
