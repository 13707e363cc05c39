/**
 * Bad inputs, one table row each: the exact conditions (type, status, reason) the translator reports on
 * the exact objects, and proof that the valid objects beside them still translate (Gateway `good`
 * Programmed, its route still in the IR). Bad input never stops the pipeline.
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import { translate } from "../../operator/src/translate/translate";

/** A valid GatewayClass, Gateway `good`, Backend `web` and HTTPRoute `good-route`: every row adds to these. */
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
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: good-route, namespace: default }
spec:
  parentRefs: [{ name: good }]
  hostnames: [good.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`;

/** Gateway `bad` (class eg) with the given listeners (YAML flow list items, one per line). */
function badGateway(...listeners: string[]): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bad, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
${listeners.map((l) => `    - ${l}`).join("\n")}
`;
}

/** HTTPRoute `bad` on Gateway `good` with the given spec fields (YAML, indented by two spaces). */
function badRoute(spec: string, kind = "HTTPRoute"): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: bad, namespace: default }
spec:
${spec}`;
}

/** One rule's backendRefs on Gateway good. */
function routeToBackend(backendRef: string): string {
  return badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules: [{ backendRefs: [${backendRef}] }]
`);
}

/** Where a condition sits: the object's own conditions, a listener's, or a route parent's. */
type Where = { listener: string } | { parent: number } | "object";

interface Expect {
  /** Kind and `namespace/name` of the object. */
  readonly on: [kind: string, key: string];
  readonly where: Where;
  readonly type: string;
  readonly status: "True" | "False";
  readonly reason: string;
}

interface Row {
  readonly name: string;
  /** YAML documents added to BASE. */
  readonly yaml: string;
  /** Conditions that must be present, exactly. */
  readonly expect: readonly Expect[];
  /** Objects that must have no status at all (not ours). */
  readonly noStatus?: readonly [kind: string, key: string][];
}

const BAD_GW: [string, string] = ["Gateway", "default/bad"];
const BAD_ROUTE: [string, string] = ["HTTPRoute", "default/bad"];

const ROWS: readonly Row[] = [
  {
    name: "GatewayClass of an unknown controller: its Gateways are not ours",
    yaml: `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: other }
spec: { controllerName: example.com/other-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bad, namespace: default }
spec:
  gatewayClassName: other
  listeners: [{ name: http, protocol: HTTP, port: 81 }]
`,
    expect: [],
    noStatus: [["GatewayClass", "/other"], BAD_GW],
  },
  {
    name: "invalid listener protocol",
    yaml: badGateway("{ name: foo, protocol: FOO, port: 81 }", "{ name: ok, protocol: HTTP, port: 82 }"),
    expect: [
      { on: BAD_GW, where: { listener: "foo" }, type: "Accepted", status: "False", reason: "UnsupportedProtocol" },
      { on: BAD_GW, where: { listener: "ok" }, type: "Accepted", status: "True", reason: "Accepted" },
      { on: BAD_GW, where: "object", type: "Accepted", status: "True", reason: "ListenersNotValid" },
    ],
  },
  {
    name: "port conflict: TCP and HTTP on one port",
    yaml: badGateway("{ name: tcp, protocol: TCP, port: 81 }", "{ name: web, protocol: HTTP, port: 81 }"),
    expect: [
      { on: BAD_GW, where: { listener: "tcp" }, type: "Conflicted", status: "True", reason: "ProtocolConflict" },
      { on: BAD_GW, where: { listener: "web" }, type: "Conflicted", status: "True", reason: "ProtocolConflict" },
      { on: BAD_GW, where: { listener: "web" }, type: "Accepted", status: "False", reason: "ProtocolConflict" },
      { on: BAD_GW, where: "object", type: "Accepted", status: "False", reason: "ListenersNotValid" },
      { on: BAD_GW, where: "object", type: "Programmed", status: "False", reason: "Invalid" },
    ],
  },
  {
    name: "hostname conflict: two HTTP listeners, one port, one hostname",
    yaml: badGateway(
      "{ name: one, protocol: HTTP, port: 81, hostname: a.example.com }",
      "{ name: two, protocol: HTTP, port: 81, hostname: a.example.com }",
      "{ name: three, protocol: HTTP, port: 81, hostname: b.example.com }",
    ),
    expect: [
      { on: BAD_GW, where: { listener: "one" }, type: "Conflicted", status: "True", reason: "HostnameConflict" },
      { on: BAD_GW, where: { listener: "two" }, type: "Programmed", status: "False", reason: "HostnameConflict" },
      { on: BAD_GW, where: { listener: "three" }, type: "Conflicted", status: "False", reason: "NoConflicts" },
      { on: BAD_GW, where: "object", type: "Programmed", status: "True", reason: "Programmed" },
    ],
  },
  {
    name: "missing certificate Secret",
    yaml: badGateway("{ name: https, protocol: HTTPS, port: 443, tls: { certificateRefs: [{ name: nope }] } }"),
    expect: [
      {
        on: BAD_GW,
        where: { listener: "https" },
        type: "ResolvedRefs",
        status: "False",
        reason: "InvalidCertificateRef",
      },
      { on: BAD_GW, where: { listener: "https" }, type: "Programmed", status: "False", reason: "Invalid" },
    ],
  },
  {
    name: "certificate Secret of the wrong type",
    yaml: `${badGateway("{ name: https, protocol: HTTPS, port: 443, tls: { certificateRefs: [{ name: opaque }] } }")}---
apiVersion: v1
kind: Secret
metadata: { name: opaque, namespace: default }
type: Opaque
stringData: { tls.crt: not-a-cert, tls.key: not-a-key }
`,
    expect: [
      {
        on: BAD_GW,
        where: { listener: "https" },
        type: "ResolvedRefs",
        status: "False",
        reason: "InvalidCertificateRef",
      },
    ],
  },
  {
    name: "cross-namespace certificateRef without a ReferenceGrant",
    yaml: badGateway(
      "{ name: https, protocol: HTTPS, port: 443, tls: { certificateRefs: [{ name: cert, namespace: certs }] } }",
    ),
    expect: [
      { on: BAD_GW, where: { listener: "https" }, type: "ResolvedRefs", status: "False", reason: "RefNotPermitted" },
    ],
  },
  {
    name: "route to a sectionName no listener has",
    yaml: badRoute(`  parentRefs: [{ name: good, sectionName: nope }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "NoMatchingParent" }],
  },
  {
    name: "route parentRef port no listener uses",
    yaml: badRoute(`  parentRefs: [{ name: good, port: 8080 }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "NoMatchingParent" }],
  },
  {
    name: "route hostname that matches no listener hostname",
    yaml: `${badGateway("{ name: http, protocol: HTTP, port: 81, hostname: only.example.com }")}---
${badRoute(`  parentRefs: [{ name: bad }]
  hostnames: [other.example.org]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`)}`,
    expect: [
      { on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "NoMatchingListenerHostname" },
    ],
  },
  {
    name: "route kind the listener does not allow",
    yaml: `${badGateway("{ name: http, protocol: HTTP, port: 81, allowedRoutes: { kinds: [{ kind: TCPRoute }] } }")}---
${badRoute(`  parentRefs: [{ name: bad }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`)}`,
    expect: [
      { on: BAD_GW, where: { listener: "http" }, type: "ResolvedRefs", status: "False", reason: "InvalidRouteKinds" },
      { on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "NotAllowedByListeners" },
    ],
  },
  {
    name: "backend not found",
    yaml: routeToBackend("{ name: missing, port: 80 }"),
    expect: [
      { on: BAD_ROUTE, where: { parent: 0 }, type: "ResolvedRefs", status: "False", reason: "BackendNotFound" },
      { on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "True", reason: "Accepted" },
    ],
  },
  {
    name: "backend of an invalid kind",
    yaml: routeToBackend("{ group: example.com, kind: Bucket, name: b }"),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "ResolvedRefs", status: "False", reason: "InvalidKind" }],
  },
  {
    name: "cross-namespace backend without a ReferenceGrant",
    yaml: routeToBackend("{ group: gateway.envoyproxy.io, kind: Backend, name: web, namespace: other }"),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "ResolvedRefs", status: "False", reason: "RefNotPermitted" }],
  },
  {
    name: "unsupported filter",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - filters: [{ type: SomeVendorFilter }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "UnsupportedValue" }],
  },
  {
    name: "ExtensionRef filter naming a kind nothing provides (unresolved: the rule answers 500)",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { group: example.com, kind: Magic, name: m } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [
      { on: BAD_ROUTE, where: { parent: 0 }, type: "ResolvedRefs", status: "False", reason: "UnsupportedValue" },
    ],
  },
  {
    name: "invalid regular expression in a path match",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - matches: [{ path: { type: RegularExpression, value: "/([a-z" } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "UnsupportedValue" }],
  },
  {
    name: "path regex over Envoy's RE2 program size limit",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - matches: [{ path: { type: RegularExpression, value: "^/(aaa|bbb|ccc|ddd|eee|fff|ggg|hhh){12}$" } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "UnsupportedValue" }],
  },
  {
    name: "CR LF in a RequestHeaderModifier value",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-a, value: "v\\r\\nx-b: 1" }] } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "UnsupportedValue" }],
  },
  {
    name: "invalid duration in a timeout",
    yaml: badRoute(`  parentRefs: [{ name: good }]
  hostnames: [bad.example.com]
  rules:
    - timeouts: { request: ten-seconds }
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`),
    expect: [{ on: BAD_ROUTE, where: { parent: 0 }, type: "Accepted", status: "False", reason: "UnsupportedValue" }],
  },
  {
    name: "TLSRoute on an HTTP listener",
    yaml: badRoute(
      `  parentRefs: [{ name: good }]
  hostnames: [tls.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`,
      "TLSRoute",
    ),
    // The TLSRoute type's doc comment says UnsupportedValue, but the v1.7.0 conformance suite
    // (TLSRouteInvalidNoMatchingListener) asserts NotAllowedByListeners; the suite decides.
    expect: [
      {
        on: ["TLSRoute", "default/bad"],
        where: { parent: 0 },
        type: "Accepted",
        status: "False",
        reason: "NotAllowedByListeners",
      },
    ],
  },
];

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
}

interface AnyStatus {
  readonly conditions?: Cond[];
  readonly listeners?: { name: string; conditions: Cond[] }[];
  readonly parents?: { conditions: Cond[] }[];
}

function objects(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

function statusOf(statuses: readonly StatusUpdate[], kind: string, key: string): AnyStatus | undefined {
  return statuses.find((s) => s.kind === kind && `${s.namespace ?? ""}/${s.name}` === key)?.status as
    AnyStatus | undefined;
}

function conditionsAt(status: AnyStatus, where: Where): Cond[] {
  if (where === "object") return status.conditions ?? [];
  if ("listener" in where) return status.listeners?.find((l) => l.name === where.listener)?.conditions ?? [];
  return status.parents?.[where.parent]?.conditions ?? [];
}

describe("bad inputs: exact conditions, and the valid objects beside them still translate", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const { statuses, xdsIr } = translate(snapshotFromObjects(objects(`${BASE}---\n${row.yaml}`)));
      for (const e of row.expect) {
        const status = statusOf(statuses, ...e.on);
        assert.ok(status, `no status for ${e.on.join(" ")}`);
        const c = conditionsAt(status, e.where).find((x) => x.type === e.type);
        assert.deepEqual(
          c && { type: c.type, status: c.status, reason: c.reason },
          { type: e.type, status: e.status, reason: e.reason },
          `${e.on.join(" ")} ${JSON.stringify(e.where)}`,
        );
      }
      for (const [kind, key] of row.noStatus ?? []) {
        assert.equal(statusOf(statuses, kind, key), undefined, `${kind} ${key} must have no status`);
      }
      // The valid Gateway and its route are untouched.
      const good = statusOf(statuses, "Gateway", "default/good");
      const programmed = good?.conditions?.find((c) => c.type === "Programmed");
      assert.equal(programmed?.status, "True", "Gateway good stays Programmed");
      const goodIr = xdsIr.find((g) => g.name === "default/good");
      const routes = goodIr?.http.flatMap((l) => l.virtualHosts.flatMap((v) => v.routes.map((r) => r.name))) ?? [];
      assert.ok(
        routes.includes("httproute/default/good-route/rule/0/match/0"),
        `good-route still served: ${routes.join(", ")}`,
      );
      const goodRoute = statusOf(statuses, "HTTPRoute", "default/good-route");
      assert.equal(goodRoute?.parents?.[0]?.conditions.find((c) => c.type === "Accepted")?.status, "True");
    });
  }
});
