/**
 * EnvoyProxy `telemetry.metrics.clusterStatName` in the translator: Envoy Gateway's operators and validation, and
 * what egts's shared clusters (one per backend, ADR 0006) do with it: a cluster one rule forwards to is named from
 * that rule; a cluster several rules share keeps its default name when the pattern names the route, and its
 * Gateways get a Warning naming the field; a pattern of backends only names shared clusters too.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { Condition, KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";
import {
  clusterBackendRefs,
  clusterStatNameProblems,
  SHARED_CLUSTER_REASON,
} from "../../operator/src/translate/telemetry/cluster-stat-name";
import { translate, type TranslateResult } from "../../operator/src/translate/translate";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";
import { buildCluster } from "../../operator/src/xds/translate/cluster";
import { clusterName } from "../../operator/src/translate/backends";

/** The cluster of Backend `default/<name>` for an HTTPRoute (or, with `grpc`, a GRPCRoute). */
const backendCluster = (name: string, protocol = "http"): string =>
  clusterName("backend", "default", { name }, protocol);

const DEFAULT_PATTERN = "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/rule/%ROUTE_RULE_NUMBER%";

function spec(pattern: string): EnvoyProxy["spec"] {
  return { telemetry: { metrics: { clusterStatName: pattern } } };
}

/**
 * Gateway `default/gw` whose class's EnvoyProxy sets `pattern`; HTTPRoute `web` (rule 0 `main` → Backend a, rule 1
 * `split` → Backends a and b) and GRPCRoute `rpc` (rule 0 → Backend c).
 */
function objects(pattern: string): KubeObject[] {
  const backend = (name: string, port: number): string => `
- apiVersion: gateway.envoyproxy.io/v1alpha1
  kind: Backend
  metadata: { name: ${name}, namespace: default }
  spec: { endpoints: [{ ip: { address: 10.0.0.1, port: ${port} } }] }`;
  const ref = (name: string): string => `{ group: gateway.envoyproxy.io, kind: Backend, name: ${name} }`;
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
  spec: { telemetry: { metrics: { clusterStatName: ${JSON.stringify(pattern)} } } }
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: { name: gw, namespace: default, generation: 3 }
  spec:
    gatewayClassName: eg
    listeners: [{ name: http, protocol: HTTP, port: 8080 }]
${backend("a", 1)}${backend("b", 2)}${backend("c", 3)}
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: { name: web, namespace: default }
  spec:
    parentRefs: [{ name: gw }]
    hostnames: [web.example.com]
    rules:
      - name: main
        matches: [{ path: { type: PathPrefix, value: /a } }]
        backendRefs: [${ref("a")}]
      - name: split
        matches: [{ path: { type: PathPrefix, value: /ab } }]
        backendRefs: [${ref("a")}, ${ref("b")}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: GRPCRoute
  metadata: { name: rpc, namespace: default }
  spec:
    parentRefs: [{ name: gw }]
    hostnames: [rpc.example.com]
    rules: [{ backendRefs: [${ref("c")}] }]
`) as KubeObject[];
}

const BACKENDS = { backends: { enabled: true } };

/** alt_stat_name of each Envoy cluster of the only node ("" when unset). */
function altStatNames(result: TranslateResult): Record<string, string> {
  assert.equal(result.xdsIr.length, 1);
  const out: Record<string, string> = {};
  for (const c of result.xdsIr[0].clusters) out[c.name] = buildCluster(c).altStatName;
  return out;
}

function gatewayCondition(result: TranslateResult, type: string): Condition | undefined {
  const gw = result.statuses.find((s) => s.kind === "Gateway" && s.name === "gw");
  return (gw?.status as { conditions: Condition[] }).conditions.find((c) => c.type === type);
}

describe("EnvoyProxy telemetry.metrics.clusterStatName", () => {
  it("takes Envoy Gateway's six operators and refuses others, naming the field", () => {
    assert.deepEqual(clusterStatNameProblems(spec(`${DEFAULT_PATTERN}/%ROUTE_RULE_NAME%/%BACKEND_REFS%`)), []);
    assert.deepEqual(clusterStatNameProblems(spec("%ROUTE_NAME%.%UPSTREAM_HOST%.%FOO%")), [
      "spec.telemetry.metrics.clusterStatName: unsupported operators %UPSTREAM_HOST%, %FOO% (supported: %ROUTE_NAME%, %ROUTE_NAMESPACE%, %ROUTE_KIND%, %ROUTE_RULE_NAME%, %ROUTE_RULE_NUMBER%, %BACKEND_REFS%)",
    ]);
    assert.match(
      clusterStatNameProblems(spec("100%"))[0] ?? "",
      /clusterStatName \("100%"\): a "%" without an operator/,
    );
    assert.match(envoyProxyProblem(spec("%NOPE%"), "GatewayClass") ?? "", /unsupported operators %NOPE%/);
  });

  it("names a cluster one rule forwards to from that rule, as Envoy Gateway names its per-rule cluster", () => {
    const r = translate(snapshotFromObjects(objects(`${DEFAULT_PATTERN}/%ROUTE_RULE_NAME%/%BACKEND_REFS%`)), BACKENDS);
    const names = altStatNames(r);
    // Backend b: only rule 1 of web; Backend c: only the GRPCRoute's rule 0 (no name: "-").
    assert.equal(names[backendCluster("b")], "httproute/default/web/rule/1/split/default/b");
    assert.equal(names[backendCluster("c", "grpc")], "grpcroute/default/rpc/rule/0/-/default/c");
    // Backend a serves rules 0 and 1: the pattern names the route, so the cluster keeps its own name...
    assert.equal(names[backendCluster("a")], "");
    // ... and the Gateway says so, naming the field, the cluster and its rules; it stays accepted.
    const w = gatewayCondition(r, "Warning");
    assert.equal(w?.status, "True");
    assert.equal(w?.reason, SHARED_CLUSTER_REASON);
    assert.equal(w?.observedGeneration, 3);
    assert.match(w?.message ?? "", /spec\.telemetry\.metrics\.clusterStatName names the route/);
    assert.ok(
      w?.message.includes(
        `cluster ${backendCluster("a")} (httproute/default/web/rule/0, httproute/default/web/rule/1) keeps its default stat name`,
      ),
      w?.message,
    );
    assert.equal(gatewayCondition(r, "Accepted")?.status, "True");
  });

  it("fills a rule's name, and names shared clusters when the pattern names only backends (no Warning)", () => {
    const byRule = altStatNames(translate(snapshotFromObjects(objects("%ROUTE_RULE_NAME%")), BACKENDS));
    assert.equal(byRule[backendCluster("b")], "split");
    assert.equal(byRule[backendCluster("c", "grpc")], "-");
    const r = translate(snapshotFromObjects(objects("backends.%BACKEND_REFS%")), BACKENDS);
    assert.deepEqual(altStatNames(r), {
      [backendCluster("a")]: "backends.default/a",
      [backendCluster("b")]: "backends.default/b",
      [backendCluster("c", "grpc")]: "backends.default/c",
    });
    assert.equal(gatewayCondition(r, "Warning"), undefined);
  });

  it("leaves every cluster's stat name alone without the field", () => {
    const objs = objects("x").map((o) => (o.kind === "EnvoyProxy" ? { ...o, spec: {} } : o));
    const r = translate(snapshotFromObjects(objs), BACKENDS);
    assert.ok(Object.values(altStatNames(r)).every((n) => n === ""));
    assert.equal(gatewayCondition(r, "Warning"), undefined);
  });

  it("with mergeGateways, counts the rules of every Gateway on the node, and warns each Gateway", () => {
    const merged = parse(`
- apiVersion: gateway.networking.k8s.io/v1
  kind: GatewayClass
  metadata: { name: merged }
  spec:
    controllerName: gateway.envoyproxy.io/gatewayclass-controller
    parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: merged, namespace: default }
- apiVersion: gateway.envoyproxy.io/v1alpha1
  kind: EnvoyProxy
  metadata: { name: merged, namespace: default }
  spec: { mergeGateways: true, telemetry: { metrics: { clusterStatName: "%ROUTE_NAME%" } } }
- apiVersion: v1
  kind: Service
  metadata: { name: web, namespace: default }
  spec: { ports: [{ port: 80 }] }
${["one", "two"]
  .map(
    (g, i) => `
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: { name: ${g}, namespace: default }
  spec: { gatewayClassName: merged, listeners: [{ name: http, protocol: HTTP, port: ${8080 + i} }] }
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: { name: ${g}, namespace: default }
  spec: { parentRefs: [{ name: ${g} }], rules: [{ backendRefs: [{ name: web, port: 80 }] }] }`,
  )
  .join("")}
`) as KubeObject[];
    const r = translate(snapshotFromObjects(merged));
    assert.equal(r.xdsIr.length, 1);
    assert.equal(
      r.xdsIr[0].clusters.find((c) => c.name === clusterName("service", "default", { name: "web", port: 80 }, "http"))
        ?.altStatName,
      undefined,
    );
    for (const g of ["one", "two"]) {
      const gw = r.statuses.find((s) => s.kind === "Gateway" && s.name === g);
      const w = (gw?.status as { conditions: Condition[] }).conditions.find((c) => c.type === "Warning");
      assert.match(w?.message ?? "", /httproute\/default\/one\/rule\/0, httproute\/default\/two\/rule\/0/, g);
    }
  });

  it("reads a cluster's backends from its name: Services, Backends, policy variants, extensions, fallbacks", () => {
    const web = clusterName("service", "ns", { name: "web", port: 80 }, "http");
    assert.deepEqual(clusterBackendRefs(web), ["ns/web"]);
    assert.deepEqual(clusterBackendRefs(`${web}/btp-1a2b3c4d`), ["ns/web"]);
    assert.deepEqual(clusterBackendRefs(clusterName("backend", "ns", { name: "api" }, "grpc")), ["ns/api"]);
    assert.deepEqual(clusterBackendRefs("extension/ns/s3bucket/logs"), ["ns/logs"]);
    assert.deepEqual(clusterBackendRefs("failover/backend/ns/a/0/http|backend/ns/b/0/http"), ["ns/a", "ns/b"]);
  });
});
