/**
 * Spec checks found while writing the golden tests (each was a translator bug once).
 * Each test states the Gateway API rule it checks.
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import type { GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import { translate } from "../../operator/src/translate/translate";
import { GATEWAY_CLASS_YAML } from "../support/manifests";

function objects(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

const CLASS = GATEWAY_CLASS_YAML;

function find(statuses: readonly StatusUpdate[], kind: string, key: string): StatusUpdate {
  const s = statuses.find((x) => x.kind === kind && `${x.namespace ?? ""}/${x.name}` === key);
  assert.ok(s, `no status for ${kind} ${key}`);
  return s;
}

/** The route names Envoy would consider for a Host on a port: exact domain, then longest `*.` suffix, then `*`. */
function routesForHost(ir: GatewayXdsIr, port: number, host: string): string[] | undefined {
  const vhs = ir.http.find((l) => l.port === port)?.virtualHosts ?? [];
  const exact = vhs.find((v) => v.domains.includes(host));
  const wild = vhs
    .flatMap((v) =>
      v.domains.filter((d) => d.startsWith("*.") && host.endsWith(d.slice(1))).map((d) => ({ v, len: d.length })),
    )
    .sort((a, b) => b.len - a.len)[0]?.v;
  const any = vhs.find((v) => v.domains.includes("*"));
  return (exact ?? wild ?? any)?.routes.map((r) => r.name);
}

interface ParentStatus {
  conditions: { type: string; status: string; reason: string }[];
}

describe("translator spec checks", () => {
  it("allowedRoutes Selector with matchExpressions does not admit a namespace the expression excludes", () => {
    // Listener.allowedRoutes.namespaces.selector is a metav1.LabelSelector: matchLabels AND matchExpressions.
    const input = objects(`${CLASS}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: Selector
          selector:
            matchExpressions:
              - { key: expose, operator: In, values: ["true"] }
---
apiVersion: v1
kind: Namespace
metadata: { name: team-b, labels: { expose: "false" } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: team-b }
spec:
  parentRefs: [{ name: eg, namespace: default }]
`);
    const { statuses } = translate(snapshotFromObjects(input));
    const route = find(statuses, "HTTPRoute", "team-b/r").status as { parents: ParentStatus[] };
    const accepted = route.parents[0].conditions.find((c) => c.type === "Accepted");
    assert.deepEqual(
      { status: accepted?.status, reason: accepted?.reason },
      { status: "False", reason: "NotAllowedByListeners" },
    );
  });

  it("attachedRoutes counts a route once per listener, however many of its parentRefs select that listener", () => {
    // ListenerStatus.attachedRoutes: "the total number of Routes that have been successfully attached to this Listener".
    const input = objects(`${CLASS}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: default }
spec:
  parentRefs: [{ name: eg }, { name: eg, sectionName: http }]
`);
    const { statuses } = translate(snapshotFromObjects(input));
    const gw = find(statuses, "Gateway", "default/eg").status as { listeners: { attachedRoutes: number }[] };
    assert.equal(gw.listeners[0].attachedRoutes, 1);
  });

  it("statuses are in the same order whatever the order of the input objects (GatewayClasses too)", () => {
    // TranslateResult.statuses promises "a stable order"; Gateways and routes are sorted, GatewayClasses are not.
    const input = objects(`${CLASS.replace("name: eg", "name: eg-b")}---
${CLASS.replace("name: eg", "name: eg-a")}`);
    const names = (objs: KubeObject[]): string[] =>
      translate(snapshotFromObjects(objs)).statuses.map((s) => `${s.kind}/${s.name}`);
    assert.deepEqual(names([...input].reverse()), names(input));
  });

  it("listener isolation: a request for a listener's hostname is never served by the routes of a less specific listener", () => {
    // Hostnames concept: the most precise matching listener hostname wins; listener "foo" has no routes,
    // so foo.example.com must get no route (404), not the routes attached to "*.example.com" or to no hostname.
    const input = objects(`${CLASS}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: foo, protocol: HTTP, port: 80, hostname: foo.example.com }
    - { name: wild, protocol: HTTP, port: 80, hostname: "*.example.com" }
    - { name: any, protocol: HTTP, port: 80 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r-any, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: any }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r-wild, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: wild }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: app, namespace: default }
spec:
  endpoints: [{ ip: { address: 10.0.0.1, port: 8080 } }]
`);
    const [ir] = translate(snapshotFromObjects(input)).xdsIr;
    // Sanity: the other two listeners do serve their own hosts.
    assert.deepEqual(routesForHost(ir, 80, "bar.example.com"), ["httproute/default/r-wild/rule/0/match/0"]);
    assert.deepEqual(routesForHost(ir, 80, "other.org"), ["httproute/default/r-any/rule/0/match/0"]);
    const foo = routesForHost(ir, 80, "foo.example.com");
    assert.ok(
      foo === undefined || foo.length === 0,
      `foo.example.com is routed by another listener's routes: ${JSON.stringify(foo)}`,
    );
  });
});
