/**
 * A route-level BackendTrafficPolicy merged (`mergeType`) onto a Gateway-level one in another namespace: each
 * policy's `responseOverride` ConfigMap body is read in that policy's own namespace, never in the other's (a
 * same-named ConfigMap in the route's namespace must not stand in for the Gateway owner's).
 */
import * as assert from "node:assert/strict";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { RouteIr } from "../../operator/src/ir/xds-ir";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { gatewayWithListenersYaml } from "../support/manifests";

const EG = "gateway.envoyproxy.io/v1alpha1";

function configMap(namespace: string, body: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: error-body, namespace: ${namespace} }
data: { response.body: ${JSON.stringify(body)} }`;
}

/** Gateway default/eg (routes from all namespaces), HTTPRoute app/web, a Gateway policy and a merged route policy. */
function input(extra: string[]): string {
  return [
    gatewayWithListenersYaml(
      `    - { name: http, protocol: HTTP, port: 8080, allowedRoutes: { namespaces: { from: All } } }`,
    ),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: app }
spec:
  parentRefs: [{ name: eg, namespace: default }]
  hostnames: [web.example.com]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]`,
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: app }
spec: { ports: [{ port: 80 }] }`,
    `apiVersion: ${EG}
kind: BackendTrafficPolicy
metadata: { name: gateway-wide, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  responseOverride:
    - match: { statusCodes: [{ type: Value, value: 503 }] }
      response: { contentType: text/plain, body: { type: ValueRef, valueRef: { kind: ConfigMap, name: error-body } } }`,
    `apiVersion: ${EG}
kind: BackendTrafficPolicy
metadata: { name: route, namespace: app }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  mergeType: StrategicMerge
  retry: { numRetries: 2 }`,
    ...extra,
  ].join("\n---\n");
}

function webRoute(yaml: string): RouteIr {
  const parsed = parseManifests("merge.yaml", yaml);
  assert.deepEqual(parsed.errors.map(formatInputError), []);
  const out = translate(snapshotFromObjects(parsed.objects), { listenAddress: "127.0.0.1" });
  const route = out.xdsIr
    .flatMap((n) => n.http.flatMap((l) => l.virtualHosts.flatMap((v) => v.routes)))
    .find((r) => r.name.startsWith("httproute/app/web/"));
  assert.ok(route, "the route's IR");
  return route;
}

describe("BackendTrafficPolicy merged across namespaces: responseOverride ConfigMaps stay in their policy's namespace", () => {
  it("the Gateway policy's ConfigMap (default/error-body) gives the body, not app/error-body", () => {
    const r = webRoute(input([configMap("default", "gateway owner's page"), configMap("app", "tenant's page")]));
    assert.equal(r.action.kind, "forward");
    assert.equal(r.retry?.attempts, 2, "the route policy's retry is merged in");
    assert.equal(r.traffic?.responseOverride?.[0]?.response?.body, "gateway owner's page", JSON.stringify(r.traffic));
  });

  it("without default/error-body, a same-named ConfigMap in app does not stand in: the route answers 500", () => {
    const r = webRoute(input([configMap("app", "tenant's page")]));
    assert.deepEqual(r.action, { kind: "direct", status: 500 });
  });
});
