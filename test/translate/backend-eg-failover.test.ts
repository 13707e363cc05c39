/**
 * Envoy Gateway's "Failover" task page through the translator: its Backends (`passive` with `fallback: true`) and
 * BackendTrafficPolicy, quoted unchanged in test/crds/testdata/eg-tasks/failover.yaml, with the page's HTTPRoute:
 * one failover cluster holding the active Backend at priority 0 and the passive one at priority 1, with the
 * policy's outlier detection.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { TypeUrl } from "../../operator/src/xds/types";

const PAGE = "test/crds/testdata/eg-tasks/failover.yaml";

/** The page's HTTPRoute and the Gateway it names (the page's prerequisites). */
const ROUTE_AND_GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ha-example
  namespace: default
spec:
  hostnames:
  - www.example.com
  parentRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: eg 
    namespace: default
  rules:
  - backendRefs:
    - group: gateway.envoyproxy.io
      kind: Backend
      name: active
      namespace: default
      port: 3000
    - group: gateway.envoyproxy.io
      kind: Backend
      name: passive 
      namespace: default
      port: 3000
    matches:
    - path:
        type: PathPrefix
        value: /test
`;

function objects(): KubeObject[] {
  const docs = [...parseAllDocuments(readFileSync(PAGE, "utf8")), ...parseAllDocuments(ROUTE_AND_GATEWAY)];
  return docs
    .map((d) => d.toJS() as KubeObject)
    .filter((o) => o !== null)
    .map((o) => ({ ...o, metadata: { namespace: "default", ...o.metadata } }));
}

describe("Envoy Gateway's Failover task page (translator)", () => {
  const result = translate(snapshotFromObjects(objects()), { backends: { enabled: true } });
  const node = result.xdsIr.find((n) => n.name === "default/eg");

  it("accepts both Backends and the route", () => {
    for (const name of ["active", "passive"]) {
      const s = result.statuses.find((u) => u.kind === "Backend" && u.name === name)?.status as {
        conditions: { type: string; status: string }[];
      };
      assert.equal(s.conditions.find((c) => c.type === "Accepted")?.status, "True", name);
    }
  });

  it("builds one failover cluster: active at priority 0, passive at priority 1, with the policy's outlier detection", () => {
    const routed = node?.http
      .flatMap((l) => l.virtualHosts.flatMap((v) => v.routes))
      .flatMap((r) => (r.action.kind === "forward" ? r.action.destinations.map((d) => d.cluster) : []));
    assert.equal(routed?.length, 1);
    assert.match(
      routed?.[0] ?? "",
      /^failover\/backend\/default\/active\/3000\/http\|backend\/default\/passive\/3000\/http/,
    );
    const cluster = node?.clusters.find((c) => c.name === routed?.[0]);
    assert.deepEqual(
      cluster?.endpoints.map((e) => [e.host, e.priority ?? 0]),
      [
        ["active.default.svc.cluster.local", 0],
        ["passive.default.svc.cluster.local", 1],
      ],
    );
    assert.equal(cluster?.discovery, "dns");
    assert.equal(cluster?.policy?.healthCheck?.passive?.consecutive5xx, 1);
    const built = buildNodeResources(node as NonNullable<typeof node>);
    assert.ok(built.get(TypeUrl.Cluster)?.has(cluster?.name ?? ""), "the failover cluster is built");
  });
});
