/**
 * EnvoyProxy `bootstrap` as pure data: proto merge semantics (lists appended, singular fields and durations
 * replaced, maps merged by key, a oneof member replacing its siblings), Envoy Gateway's JSONPatch and Replace, the
 * schema's refusals, Envoy Gateway's rules (dynamic resources, the xDS cluster's endpoint) with its messages, the
 * refusal (the EnvoyProxy stays valid, the edges keep the last good bootstrap), and the Kubernetes render carrying the customised bootstrap.
 */
import assert from "node:assert/strict";
import { renderProxies, renderProxiesChecked, type Manifest } from "../../constructs/render";
import { buildBootstrap } from "../../operator/src/infra/bootstrap";
import {
  bootstrapCustomOf,
  customizeBootstrap,
  withLastGoodBootstrap,
} from "../../operator/src/infra/bootstrap-custom";
import { proxyRuntimeFor } from "../../operator/src/translate/proxy-runtime";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form bootstrap JSON
type Loose = any;

const BASE = buildBootstrap({ nodeId: "default/eg", xdsHost: "127.0.0.1", xdsPort: 18000, adminPort: 19000 });

function merged(value: string): Loose {
  const r = customizeBootstrap(BASE, { type: "Merge", value });
  assert.ok("bootstrap" in r, "problem" in r ? r.problem : "");
  return r.bootstrap;
}

function problemOf(spec: EnvoyProxy["spec"]["bootstrap"]): string {
  const r = customizeBootstrap(BASE, bootstrapCustomOf(spec ?? {}));
  assert.ok("problem" in r, "refused");
  return r.problem;
}

describe("EnvoyProxy bootstrap customisation", () => {
  it("Merge appends to lists and replaces singular fields and durations", () => {
    const b = merged(`
static_resources:
  clusters:
  - name: extra
    type: STATIC
    connect_timeout: 0.5s
admin:
  address:
    socket_address: { port_value: 8080 }
stats_flush_interval: 3s
`);
    assert.deepEqual(
      b.static_resources.clusters.map((c: { name: string }) => c.name),
      ["xds_cluster", "extra"],
    );
    assert.equal(b.admin.address.socket_address.port_value, 8080);
    assert.equal(b.admin.address.socket_address.address, "127.0.0.1", "the other fields of admin stay");
    assert.equal(b.stats_flush_interval, "3s");
  });

  it("Merge replaces a duration whole (1s merged with 0.5s is 0.5s, not 1.5s)", () => {
    const first = merged("stats_flush_interval: 1s");
    const r = customizeBootstrap(first, { type: "Merge", value: "stats_flush_interval: 0.5s" });
    assert.ok("bootstrap" in r);
    assert.equal((r.bootstrap as Loose).stats_flush_interval, "0.500s");
  });

  it("Merge of a oneof member replaces its sibling (admin's port_value ← named_port)", () => {
    const b = merged("admin: { address: { socket_address: { named_port: admin } } }");
    assert.deepEqual(b.admin.address.socket_address, { address: "127.0.0.1", named_port: "admin" });
  });

  it("accepts camelCase names (proto3 JSON) as Envoy does, and keeps egts's node identity", () => {
    const b = merged("statsFlushInterval: 2s\nnode: { id: other, cluster: other }");
    assert.equal(b.stats_flush_interval, "2s");
    assert.deepEqual(b.node, { id: "default/eg", cluster: "default/eg" });
  });

  it("JSONPatch applies operations in order, Envoy Gateway's add creating missing parents", () => {
    const r = customizeBootstrap(
      BASE,
      bootstrapCustomOf({
        type: "JSONPatch",
        jsonPatches: [
          { op: "add", path: "/layered_runtime/layers/0", value: { name: "static", static_layer: {} } },
          { op: "add", path: "/layered_runtime/layers/0/static_layer/envoy.reloadable_features.x", value: false },
        ],
      }),
    );
    assert.ok("bootstrap" in r, "problem" in r ? r.problem : "");
    assert.deepEqual((r.bootstrap as Loose).layered_runtime.layers[0].static_layer, {
      "envoy.reloadable_features.x": false,
    });
  });

  it("Envoy Gateway's own merge case applies unchanged: admin on 8080 and a prometheus_stats static cluster", () => {
    const b = merged(`admin:
  address:
    socket_address:
      port_value: 8080
static_resources:
  clusters:
  - name: prometheus_stats
    connect_timeout: 0.250s
    type: STATIC
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: prometheus_stats
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address:
                address: 127.0.0.1
                port_value: 19000
`);
    assert.equal(b.admin.address.socket_address.port_value, 8080);
    assert.deepEqual(
      b.static_resources.clusters.map((c: { name: string }) => c.name),
      ["xds_cluster", "prometheus_stats"],
    );
  });

  it("Envoy Gateway's own JSONPatch case (runtime flags in layer 0) applies unchanged", () => {
    const r = customizeBootstrap(
      BASE,
      bootstrapCustomOf({
        type: "JSONPatch",
        jsonPatches: [
          {
            op: "add",
            path: "/layered_runtime/layers/0/static_layer/envoy.restart_features.use_eds_cache_for_ads",
            value: false,
          },
          {
            op: "add",
            path: "/layered_runtime/layers/0/static_layer/envoy.something.completely.made.up",
            value: "arbitrary string",
          },
        ],
      }),
    );
    assert.ok("bootstrap" in r, "problem" in r ? r.problem : "");
    assert.deepEqual((r.bootstrap as Loose).layered_runtime.layers[0].static_layer, {
      "envoy.restart_features.use_eds_cache_for_ads": false,
      "envoy.something.completely.made.up": "arbitrary string",
    });
  });

  it("refuses with the schema's or Envoy Gateway's message", () => {
    assert.match(
      problemOf({ type: "Merge", value: "bogus: 1" }),
      /^failed to parse override bootstrap config: .*"bogus" is unknown/,
    );
    assert.match(
      problemOf({ type: "Merge", value: "stats_flush_interval: [1]" }),
      /^failed to parse override bootstrap config: /,
    );
    assert.match(
      problemOf({ type: "Replace", value: "admin: { address: 3 }" }),
      /^unable to unmarshal user bootstrap: /,
    );
    assert.match(problemOf({ type: "Merge", value: "a: [" }), /^failed to parse override bootstrap config: /);
    assert.equal(
      problemOf({ type: "Merge", value: "dynamic_resources: { lds_config: { path: /etc/lds.yaml } }" }),
      "dynamic_resources cannot be modified",
    );
    assert.equal(
      problemOf({ type: "JSONPatch", jsonPatches: [{ op: "remove", path: "/static_resources/clusters/0" }] }),
      "xds_cluster's loadAssigntment cannot be modified",
    );
    assert.equal(problemOf({ type: "JSONPatch" }), "provided bootstrap patch doesn't match the configured patch type");
    assert.match(
      problemOf({ type: "JSONPatch", jsonPatches: [{ op: "replace", path: "/nope/x", value: 1 }] }),
      /^unable to apply patch: op=replace path=\/nope\/x/,
    );
  });

  it("allows initial_fetch_timeout, the one change Envoy Gateway allows in dynamic_resources", () => {
    const b = merged("dynamic_resources: { cds_config: { initial_fetch_timeout: 5s } }");
    assert.equal(b.dynamic_resources.cds_config.initial_fetch_timeout, "5s");
  });

  it("Replace pointing the xDS cluster elsewhere (Envoy Gateway's in-cluster address) is refused at the edge", () => {
    const theirs = structuredClone(BASE) as Loose;
    theirs.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = {
      address: "envoy-gateway.envoy-gateway-system.svc.cluster.local",
      port_value: 18000,
    };
    theirs.static_resources.clusters[0].type = "STRICT_DNS";
    const custom = { type: "Replace" as const, value: JSON.stringify(theirs) };
    const edge = customizeBootstrap(BASE, custom);
    assert.deepEqual(edge, { problem: "xds_cluster's loadAssigntment cannot be modified" });
    assert.ok("bootstrap" in customizeBootstrap(BASE, custom, false), "the translator cannot know the address");
  });

  it("a refused bootstrap leaves the EnvoyProxy valid: the runtime says why, and the edges keep the last good one", () => {
    const bad = { bootstrap: { type: "Merge", value: "bogus: 1" } } as const;
    assert.equal(envoyProxyProblem(bad, "GatewayClass"), undefined, "the Gateway keeps being served");
    const runtime = proxyRuntimeFor(bad);
    assert.match(runtime?.bootstrapRefused ?? "", /^spec\.bootstrap: failed to parse override bootstrap config: /);
    assert.equal(runtime?.bootstrap, undefined);
    const good = { type: "Merge", value: "stats_flush_interval: 9s" } as const;
    assert.deepEqual(withLastGoodBootstrap(runtime, good), { bootstrap: good });
    assert.equal(withLastGoodBootstrap(runtime, undefined), undefined, "none before: egts's own bootstrap");
    assert.equal(proxyRuntimeFor({ bootstrap: good })?.bootstrapRefused, undefined);
    // Kubernetes: the proxy is left out of the render, so the applier keeps its objects as last applied.
    const proxy = { name: "default/eg", namespace: "default", gatewayName: "eg", ports: [], envoyProxy: bad };
    const r = renderProxiesChecked([{ ...proxy, ...(runtime ? { runtime } : {}) }], {
      image: "envoyproxy/envoy:distroless-v1.37.0",
      xds: { host: "envoy-gateway" },
    });
    assert.equal(r.manifests.length, 0);
    assert.match(r.problems[0]?.message ?? "", /^spec\.bootstrap: .*keep their last applied version/);
  });

  it("the Kubernetes render puts the customised bootstrap in the ConfigMap", () => {
    const out: readonly Manifest[] = renderProxies(
      [
        {
          name: "default/eg",
          namespace: "default",
          gatewayName: "eg",
          ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
          envoyProxy: { bootstrap: { type: "Merge", value: "stats_flush_interval: 9s" } },
        },
      ],
      { image: "envoyproxy/envoy:distroless-v1.37.0", xds: { host: "envoy-gateway" } },
    );
    const cm = out.find((m) => m.kind === "ConfigMap") as Loose;
    const b = JSON.parse(cm.data["envoy.json"]);
    assert.equal(b.stats_flush_interval, "9s");
    assert.ok(b.static_resources.listeners.some((l: { name: string }) => l.name === "envoy-gateway-proxy-ready"));
  });
});
