/**
 * Values Envoy would NACK (or the CRD schema forbids) in a route's rule: the rule is dropped with
 * PartiallyInvalid and a message naming the field path and the value (its matches, when Envoy can take
 * them, answered with 500); the route's other rule is served.
 * With the check turned off the rule is translated as it is (what test/standalone/envoy-rejects sends Envoy).
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { REJECT_CASES } from "./envoy-reject-cases";

const BASE = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: good, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: web, namespace: default }
spec: { endpoints: [{ ip: { address: 10.0.0.1, port: 8080 } }] }
`;

function routeWith(rule: string): string {
  return `${BASE}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bad, namespace: default }
spec:
  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /ok } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
${rule}`;
}

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

function run(yaml: string): { conds: Cond[]; routes: string[] } {
  const objs = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
  const { statuses, xdsIr } = translate(snapshotFromObjects(objs), { backends: { enabled: true } });
  const st = statuses.find((s) => s.kind === "HTTPRoute" && s.name === "bad")?.status as
    { parents?: { conditions: Cond[] }[] } | undefined;
  // Served: forwarded or answered as configured; an invalid rule's match answered with 500 is not served.
  const routes = xdsIr.flatMap((g) =>
    g.http.flatMap((l) =>
      l.virtualHosts.flatMap((v) =>
        v.routes.filter((r) => r.action.kind !== "direct" || r.action.status !== 500).map((r) => r.name),
      ),
    ),
  );
  return { conds: st?.parents?.[0]?.conditions ?? [], routes };
}

describe("values Envoy rejects: the rule is dropped with a message naming the field and value", () => {
  afterEach(() => {
    valueChecks.disabled = new Set();
  });

  for (const c of REJECT_CASES) {
    it(c.name, () => {
      const { conds, routes } = run(routeWith(c.rule));
      const partial = conds.find((x) => x.type === "PartiallyInvalid");
      assert.equal(partial?.status, "True", JSON.stringify(conds));
      assert.equal(partial?.reason, "UnsupportedValue");
      assert.match(partial?.message ?? "", /^Dropped Rule: rule 1: /);
      assert.match(partial?.message ?? "", c.message);
      assert.equal(conds.find((x) => x.type === "Accepted")?.status, "True");
      assert.ok(routes.includes("httproute/default/bad/rule/0/match/0"), "the valid rule is served");
      assert.ok(!routes.includes("httproute/default/bad/rule/1/match/0"), "the invalid rule is not");

      valueChecks.disabled = new Set([c.check]);
      const unchecked = run(routeWith(c.rule));
      assert.equal(
        unchecked.conds.find((x) => x.type === "PartiallyInvalid"),
        undefined,
        "only this check refuses it",
      );
      assert.ok(unchecked.routes.includes("httproute/default/bad/rule/1/match/0"));
    });
  }

  it("GRPCRoute: a header match name with CR and a method regex over RE2's size limit drop their rules", () => {
    const yaml = `${BASE}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: g, namespace: default }
spec:
  parentRefs: [{ name: good }]
  rules:
    - matches: [{ method: { service: pkg.Ok } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
    - matches: [{ headers: [{ name: "x-a\\rb", value: v }] }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
    - matches: [{ method: { type: RegularExpression, service: "(aaa|bbb|ccc|ddd|eee|fff){10}" } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`;
    const objs = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
    const { statuses } = translate(snapshotFromObjects(objs));
    const st = statuses.find((s) => s.kind === "GRPCRoute" && s.name === "g")?.status as {
      parents: { conditions: Cond[] }[];
    };
    const partial = st.parents[0].conditions.find((c) => c.type === "PartiallyInvalid");
    assert.equal(partial?.status, "True", JSON.stringify(st));
    assert.match(partial?.message ?? "", /header match name "x-a\\rb" contains the control character \\r/);
    assert.match(partial?.message ?? "", /too complex for Envoy/);
  });
});
