/**
 * No single object can stop the pipeline (issue 11, items 3 and 8): one table row per value that passes
 * the CRD schema (or that the file provider, which has no schema, lets through) but broke a translation
 * step. Each row goes through `translate()` and `translateAndPublish` beside a valid Gateway and route:
 * nothing throws, the bad object alone is rejected with a message naming it and the field, the valid route
 * keeps its IR, every IR validates and its Envoy resources build.
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { validateXdsIr } from "../../operator/src/ir/validate";
import type { GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import { translateAndPublish } from "../../operator/src/pipeline/translate-step";
import type { Condition, KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import { translate } from "../../operator/src/translate/translate";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";

/** GatewayClass eg, Gateway `good` (HTTP, TCP, UDP and TLS listeners), Backend `web`, HTTPRoute `good-route`. */
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
  listeners:
    - { name: http, protocol: HTTP, port: 80 }
    - { name: tcp, protocol: TCP, port: 90 }
    - { name: udp, protocol: UDP, port: 91 }
    - { name: tls, protocol: TLS, port: 443, tls: { mode: Passthrough } }
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
  parentRefs: [{ name: good, sectionName: http }]
  hostnames: [good.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`;

const WEB = "{ group: gateway.envoyproxy.io, kind: Backend, name: web }";

/** A route `bad` of `kind` with the given spec (YAML lines, indented by two spaces). */
function route(spec: string, kind = "HTTPRoute"): string {
  return `apiVersion: gateway.networking.k8s.io/v1\nkind: ${kind}\nmetadata: { name: bad, namespace: default }\nspec:\n${spec}`;
}

/** HTTPRoute `bad` on Gateway good with one rule (a YAML flow mapping). */
function rule(r: string): string {
  return route(`  parentRefs: [{ name: good, sectionName: http }]\n  hostnames: [bad.example.com]\n  rules: [${r}]\n`);
}

/** Gateway `bad` of class eg with the given spec fields (YAML flow mapping entries). */
function gateway(fields: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: bad, namespace: default }\nspec: { gatewayClassName: eg, ${fields} }\n`;
}

/** An object of another kind. */
function other(apiVersion: string, kind: string, body: string): string {
  return `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: bad, namespace: default }\n${body}\n`;
}

interface Row {
  readonly name: string;
  /** YAML added to BASE. */
  readonly yaml: string;
  /** The rejection message must contain this (object and field). */
  readonly rejected: string;
  /** The bad object's status condition, when it has one of ours: kind, where and reason. */
  readonly condition?: { readonly kind: string; readonly reason: string; readonly where: "object" | "parent" };
}

const ROUTE = { kind: "HTTPRoute", reason: "UnsupportedValue", where: "parent" } as const;
const GATEWAY = { kind: "Gateway", reason: "Invalid", where: "object" } as const;
const R = "HTTPRoute default/bad: spec.rules[0]";

const ROWS: readonly Row[] = [
  // Values the Gateway API CRDs accept (no maximum) but Envoy's uint32 cannot hold.
  {
    name: "retry attempts 2^32 (the CRD has no maximum; Envoy's num_retries is a uint32)",
    yaml: rule(`{ retry: { attempts: 4294967296 }, backendRefs: [${WEB}] }`),
    rejected: `${R}.retry.attempts: expected an integer from 0 to 4294967295, got 4294967296`,
    condition: ROUTE,
  },
  {
    name: "retry attempts 1e20 (beyond Number.MAX_SAFE_INTEGER)",
    yaml: rule(`{ retry: { attempts: 99999999999999999999 }, backendRefs: [${WEB}] }`),
    rejected: `${R}.retry.attempts: expected an integer from 0 to 4294967295`,
    condition: ROUTE,
  },
  {
    name: "backendRef weight 1e20",
    yaml: rule(`{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web, weight: 1e20 }] }`),
    rejected: `${R}.backendRefs[0].weight: expected an integer from 0 to 1000000`,
    condition: ROUTE,
  },
  {
    name: "two weights of uint32 max (their total overflows Envoy's total_weight)",
    yaml: rule(
      `{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web, weight: 4294967295 }, { group: gateway.envoyproxy.io, kind: Backend, name: web, weight: 4294967295 }] }`,
    ),
    rejected: `${R}.backendRefs[0].weight: expected an integer from 0 to 1000000, got 4294967295`,
    condition: ROUTE,
  },
  {
    name: "negative weight",
    yaml: rule(`{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web, weight: -1 }] }`),
    rejected: `${R}.backendRefs[0].weight: expected an integer from 0 to 1000000, got -1`,
    condition: ROUTE,
  },
  {
    name: "fractional weight",
    yaml: rule(`{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web, weight: 1.5 }] }`),
    rejected: `${R}.backendRefs[0].weight: expected an integer from 0 to 1000000, got the number 1.5`,
    condition: ROUTE,
  },
  {
    name: "backendRef port 99999999999",
    yaml: rule(`{ backendRefs: [{ name: svc, port: 99999999999 }] }`),
    rejected: `${R}.backendRefs[0].port: expected an integer from 1 to 65535`,
    condition: ROUTE,
  },
  {
    name: "mirror percent 1e20",
    yaml: rule(
      `{ filters: [{ type: RequestMirror, requestMirror: { backendRef: ${WEB}, percent: 1e20 } }], backendRefs: [${WEB}] }`,
    ),
    rejected: `${R}.filters[0].requestMirror.percent: expected an integer from 0 to 100`,
    condition: ROUTE,
  },
  {
    name: "mirror fraction with denominator 0",
    yaml: rule(
      `{ filters: [{ type: RequestMirror, requestMirror: { backendRef: ${WEB}, fraction: { numerator: 1, denominator: 0 } } }], backendRefs: [${WEB}] }`,
    ),
    rejected: `${R}.filters[0].requestMirror.fraction.denominator: expected an integer from 1 to 2147483647, got 0`,
    condition: ROUTE,
  },
  {
    name: "redirect port 99999999",
    yaml: rule(`{ filters: [{ type: RequestRedirect, requestRedirect: { port: 99999999 } }] }`),
    rejected: `${R}.filters[0].requestRedirect.port: expected an integer from 1 to 65535`,
    condition: ROUTE,
  },
  {
    name: "timeout 1e309s (already refused as a duration; stays refused)",
    yaml: rule(`{ timeouts: { request: 1e309s }, backendRefs: [${WEB}] }`),
    rejected: "",
    condition: ROUTE,
  },
  // Wrong types (the file provider has no API server to refuse them).
  {
    name: 'hostnames: "a.com" (a string where a list is expected)',
    yaml: route(
      `  parentRefs: [{ name: good, sectionName: http }]\n  hostnames: a.com\n  rules: [{ backendRefs: [${WEB}] }]\n`,
    ),
    rejected: 'HTTPRoute default/bad: spec.hostnames: expected a list of strings, got a string "a.com"',
    condition: ROUTE,
  },
  {
    name: "a hostname given as a number",
    yaml: route(
      `  parentRefs: [{ name: good, sectionName: http }]\n  hostnames: [42]\n  rules: [{ backendRefs: [${WEB}] }]\n`,
    ),
    rejected: "HTTPRoute default/bad: spec.hostnames[0]: expected a string, got 42",
    condition: ROUTE,
  },
  {
    name: "rules: {}",
    yaml: route(`  parentRefs: [{ name: good, sectionName: http }]\n  rules: {}\n`),
    rejected: "HTTPRoute default/bad: spec.rules: expected a list of objects, got an object",
    condition: ROUTE,
  },
  {
    name: "rules: a string",
    yaml: route(`  parentRefs: [{ name: good, sectionName: http }]\n  rules: x\n`),
    rejected: 'HTTPRoute default/bad: spec.rules: expected a list of objects, got a string "x"',
    condition: ROUTE,
  },
  {
    name: "matches: a string",
    yaml: rule(`{ matches: x, backendRefs: [${WEB}] }`),
    rejected: `${R}.matches: expected a list of objects`,
    condition: ROUTE,
  },
  {
    name: "path value given as a number",
    yaml: rule(`{ matches: [{ path: { type: PathPrefix, value: 5 } }], backendRefs: [${WEB}] }`),
    rejected: `${R}.matches[0].path.value: expected a string, got 5`,
    condition: ROUTE,
  },
  {
    name: "header matches as a map",
    yaml: rule(`{ matches: [{ headers: { a: b } }], backendRefs: [${WEB}] }`),
    rejected: `${R}.matches[0].headers: expected a list of objects, got an object`,
    condition: ROUTE,
  },
  {
    name: "backendRefs: a string",
    yaml: rule(`{ backendRefs: web }`),
    rejected: `${R}.backendRefs: expected a list of objects`,
    condition: ROUTE,
  },
  {
    name: "filters: a string",
    yaml: rule(`{ filters: x, backendRefs: [${WEB}] }`),
    rejected: `${R}.filters: expected a list of objects`,
    condition: ROUTE,
  },
  {
    name: "requestHeaderModifier.set: a string",
    yaml: rule(
      `{ filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: x } }], backendRefs: [${WEB}] }`,
    ),
    rejected: `${R}.filters[0].requestHeaderModifier.set: expected a list of objects`,
    condition: ROUTE,
  },
  {
    name: "retry codes: a string",
    yaml: rule(`{ retry: { codes: x, attempts: 2 }, backendRefs: [${WEB}] }`),
    rejected: `${R}.retry.codes: expected a list of integers from 400 to 599`,
    condition: ROUTE,
  },
  {
    name: "spec: null",
    yaml: "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: bad, namespace: default }\nspec: null\n",
    rejected: "HTTPRoute default/bad: spec: required, got nothing",
  },
  {
    name: "parentRefs: a string (no parent to report on: listed in rejected only)",
    yaml: route(`  parentRefs: good\n  rules: [{ backendRefs: [${WEB}] }]\n`),
    rejected: 'HTTPRoute default/bad: spec.parentRefs: expected a list of objects, got a string "good"',
  },
  {
    name: "metadata.name given as a number",
    yaml: "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: 5, namespace: default }\nspec: { parentRefs: [{ name: good }] }\n",
    rejected: "HTTPRoute default/(name: 5): metadata.name: expected a string, got 5",
  },
  // Gateways.
  {
    name: "Gateway listeners: a string",
    yaml: gateway("listeners: x"),
    rejected: 'Gateway default/bad: spec.listeners: expected a list of objects, got a string "x"',
    condition: GATEWAY,
  },
  {
    name: "Gateway listener port 99999999",
    yaml: gateway("listeners: [{ name: a, protocol: HTTP, port: 99999999 }]"),
    rejected: "Gateway default/bad: spec.listeners[0].port: expected an integer from 1 to 65535, got 99999999",
    condition: GATEWAY,
  },
  {
    name: "Gateway listener port 80.5",
    yaml: gateway("listeners: [{ name: a, protocol: HTTP, port: 80.5 }]"),
    rejected: "Gateway default/bad: spec.listeners[0].port: expected an integer from 1 to 65535, got the number 80.5",
    condition: GATEWAY,
  },
  {
    name: "Gateway listener hostname given as a number",
    yaml: gateway("listeners: [{ name: a, protocol: HTTP, port: 81, hostname: 5 }]"),
    rejected: "Gateway default/bad: spec.listeners[0].hostname: expected a string, got 5",
    condition: GATEWAY,
  },
  {
    name: "Gateway allowedRoutes selector given as a number",
    yaml: gateway(
      "listeners: [{ name: a, protocol: HTTP, port: 81, allowedRoutes: { namespaces: { from: Selector, selector: 5 } } }]",
    ),
    rejected: "Gateway default/bad: spec.listeners[0].allowedRoutes.namespaces.selector: expected an object, got 5",
    condition: GATEWAY,
  },
  {
    name: "Gateway addresses: a string",
    yaml: gateway("addresses: x, listeners: [{ name: a, protocol: HTTP, port: 81 }]"),
    rejected: "Gateway default/bad: spec.addresses: expected a list of objects",
    condition: GATEWAY,
  },
  {
    name: "Gateway without a spec",
    yaml: "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: bad, namespace: default }\n",
    rejected: "Gateway default/bad: spec: required, got nothing",
  },
  // Regressions found by the fuzzer (test/fuzz), each with its shrunk counterexample.
  {
    name: "fuzz: Gateway tls.frontend.perPort entry with tls: null (threw reading 'validation')",
    yaml: gateway(
      "listeners: [{ name: a, protocol: HTTP, port: 81 }], tls: { frontend: { default: { validation: { caCertificateRefs: [{ group: '', kind: ConfigMap, name: ca }] } }, perPort: [{ port: 8443, tls: null }] } }",
    ),
    rejected: "Gateway default/bad: spec.tls.frontend.perPort[0].tls: required, got nothing",
    condition: GATEWAY,
  },
  {
    name: "fuzz: Service with spec: null (threw reading 'ports')",
    yaml: other("v1", "Service", "spec: null"),
    rejected: "Service default/bad: spec: required, got nothing",
  },
  {
    name: "fuzz: EndpointSlice port 0 (an endpoint on port 0 failed IR validation, so the whole Gateway went unpublished)",
    yaml: `apiVersion: v1
kind: Service
metadata: { name: svc, namespace: default }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: bad, namespace: default, labels: { kubernetes.io/service-name: svc } }
addressType: IPv4
ports: [{ name: http, port: 0 }]
endpoints: [{ addresses: [10.0.0.9] }]
---
${rule("{ backendRefs: [{ name: svc, port: 80 }] }")}`,
    rejected: "EndpointSlice default/bad: ports[0].port: expected an integer from 1 to 65535, got 0",
  },
  // Other route kinds.
  {
    name: "TCPRoute rules: a string",
    yaml: route("  parentRefs: [{ name: good, sectionName: tcp }]\n  rules: x\n", "TCPRoute"),
    rejected: "TCPRoute default/bad: spec.rules: expected a list of objects",
    condition: { kind: "TCPRoute", reason: "UnsupportedValue", where: "parent" },
  },
  {
    name: "UDPRoute backend port 1e20",
    yaml: route(
      "  parentRefs: [{ name: good, sectionName: udp }]\n  rules: [{ backendRefs: [{ name: svc, port: 1e20 }] }]\n",
      "UDPRoute",
    ),
    rejected: "UDPRoute default/bad: spec.rules[0].backendRefs[0].port: expected an integer from 1 to 65535",
    condition: { kind: "UDPRoute", reason: "UnsupportedValue", where: "parent" },
  },
  {
    name: "TLSRoute hostnames: a string",
    yaml: route(
      `  parentRefs: [{ name: good, sectionName: tls }]\n  hostnames: x\n  rules: [{ backendRefs: [${WEB}] }]\n`,
      "TLSRoute",
    ),
    rejected: "TLSRoute default/bad: spec.hostnames: expected a list of strings",
    condition: { kind: "TLSRoute", reason: "UnsupportedValue", where: "parent" },
  },
  {
    name: "GRPCRoute rules: a string",
    yaml: route("  parentRefs: [{ name: good, sectionName: http }]\n  rules: x\n", "GRPCRoute"),
    rejected: "GRPCRoute default/bad: spec.rules: expected a list of objects",
    condition: { kind: "GRPCRoute", reason: "UnsupportedValue", where: "parent" },
  },
  // Objects without a status of ours: left out and reported.
  {
    name: "Backend endpoint port 1e20",
    yaml: other(
      "gateway.envoyproxy.io/v1alpha1",
      "Backend",
      "spec: { endpoints: [{ ip: { address: 10.0.0.2, port: 1e20 } }] }",
    ),
    rejected: "Backend default/bad: spec.endpoints[0].ip.port: expected an integer from 1 to 65535",
  },
  {
    name: "ReferenceGrant from: a string",
    yaml: other("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", "spec: { from: x, to: [] }"),
    rejected: "ReferenceGrant default/bad: spec.from: expected a list of objects",
  },
  {
    name: "BackendTLSPolicy targetRefs: a string",
    yaml: other(
      "gateway.networking.k8s.io/v1",
      "BackendTLSPolicy",
      "spec: { targetRefs: x, validation: { hostname: a } }",
    ),
    rejected: "BackendTLSPolicy default/bad: spec.targetRefs: expected a list of objects",
  },
  {
    name: "ListenerSet parentRef: a string",
    yaml: other("gateway.networking.k8s.io/v1", "ListenerSet", "spec: { parentRef: good, listeners: [] }"),
    rejected: 'ListenerSet default/bad: spec.parentRef: expected an object, got a string "good"',
  },
  {
    name: "Service ports: a string",
    yaml: other("v1", "Service", "spec: { ports: x }"),
    rejected: "Service default/bad: spec.ports: expected a list of objects",
  },
  {
    name: "EnvoyProxy spec: a string",
    yaml: other("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy", "spec: x"),
    rejected: 'EnvoyProxy default/bad: spec: expected an object, got a string "x"',
  },
];

interface AnyStatus {
  readonly conditions?: Condition[];
  readonly parents?: { conditions: Condition[] }[];
}

function objects(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

function statusOf(statuses: readonly StatusUpdate[], kind: string, key: string): AnyStatus | undefined {
  return statuses.find((s) => s.kind === kind && `${s.namespace ?? ""}/${s.name}` === key)?.status as
    AnyStatus | undefined;
}

/** The good route is still served by Gateway good, and every IR validates and builds. */
function assertGoodServed(xdsIr: readonly GatewayXdsIr[]): void {
  const good = xdsIr.find((g) => g.name === "default/good");
  const routes = good?.http.flatMap((l) => l.virtualHosts.flatMap((v) => v.routes.map((r) => r.name))) ?? [];
  assert.ok(routes.includes("httproute/default/good-route/rule/0/match/0"), `good-route served: ${routes.join(", ")}`);
  for (const ir of xdsIr) {
    assert.deepEqual(validateXdsIr(ir), [], `IR of ${ir.name} validates`);
    assert.doesNotThrow(() => buildNodeResources(ir), `Envoy resources of ${ir.name} build`);
  }
}

describe("object isolation: one bad object is rejected alone, the pass goes on (issue 11 items 3, 8)", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const snapshot = snapshotFromObjects(objects(`${BASE}---\n${row.yaml}`));
      const result = translate(snapshot);
      if (row.rejected) {
        assert.ok(
          result.rejected.some((r) => r.message.includes(row.rejected)),
          `rejected names the object and field: ${result.rejected.map((r) => r.message).join(" | ")}`,
        );
      }
      if (row.condition) {
        const status = statusOf(result.statuses, row.condition.kind, "default/bad");
        assert.ok(status, `${row.condition.kind} default/bad has a status`);
        const conditions = row.condition.where === "object" ? status.conditions : status.parents?.[0]?.conditions;
        const accepted = conditions?.find((c) => c.type === "Accepted");
        assert.deepEqual(accepted && { status: accepted.status, reason: accepted.reason }, {
          status: "False",
          reason: row.condition.reason,
        });
        if (row.rejected) assert.ok(accepted?.message.includes(row.rejected), `message: ${accepted?.message}`);
      }
      const goodRoute = statusOf(result.statuses, "HTTPRoute", "default/good-route");
      assert.equal(goodRoute?.parents?.[0]?.conditions.find((c) => c.type === "Accepted")?.status, "True");
      assertGoodServed(result.xdsIr);
      // The publishing step: nothing throws, Gateway good is published.
      const cache = new XdsCache();
      const pass = translateAndPublish(snapshot, cache, {});
      assert.deepEqual(pass.invalid, []);
      assert.ok(cache.nodeIds().includes("default/good"), "Gateway good is published");
    });
  }

  it("an object whose translation throws is rejected alone, with kind, name and the error (injected fault)", () => {
    // A getter that throws outside the intake check stands for any translator bug on one object.
    const objs = objects(`${BASE}---\n${rule(`{ backendRefs: [${WEB}] }`)}`);
    const bad = objs.find((o) => o.metadata.name === "bad") as { spec: { rules: { backendRefs: object[] }[] } };
    Object.defineProperty(bad.spec.rules[0].backendRefs[0], "name", {
      enumerable: true,
      get: () => {
        if (new Error().stack?.includes("checkSnapshot")) return "web";
        throw new Error("boom");
      },
    });
    const result = translate(snapshotFromObjects(objs));
    const msg = "HTTPRoute default/bad: translation failed: boom";
    assert.ok(
      result.rejected.some((r) => r.message === msg),
      result.rejected.map((r) => r.message).join(" | "),
    );
    const accepted = statusOf(result.statuses, "HTTPRoute", "default/bad")?.parents?.[0]?.conditions.find(
      (c) => c.type === "Accepted",
    );
    assert.deepEqual(accepted && [accepted.status, accepted.reason, accepted.message], [
      "False",
      "UnsupportedValue",
      msg,
    ]);
    assertGoodServed(result.xdsIr);
  });

  it("BackendTLSPolicies whose step throws are rejected with the error; the pass goes on (injected fault)", () => {
    const objs = objects(`${BASE}---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: default }
spec: { ports: [{ name: https, port: 443 }] }
---
${rule("{ backendRefs: [{ name: svc, port: 443 }] }")}---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: bad, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: svc }]
  validation: { wellKnownCACertificates: System, hostname: svc.example.com }
`);
    const policy = objs.find((o) => o.kind === "BackendTLSPolicy") as { spec: { validation: object } };
    Object.defineProperty(policy.spec.validation, "hostname", {
      enumerable: true,
      get: () => {
        if (new Error().stack?.includes("checkSnapshot")) return "svc.example.com";
        throw new Error("boom");
      },
    });
    const result = translate(snapshotFromObjects(objs));
    const msg = "BackendTLSPolicy default/bad: translation failed: boom";
    assert.ok(
      result.rejected.some((r) => r.message === msg),
      result.rejected.map((r) => r.message).join(" | "),
    );
    assertGoodServed(result.xdsIr);
  });
});

describe("IR validation catches values Envoy would reject", () => {
  const base = (): GatewayXdsIr => {
    const ir = translate(snapshotFromObjects(objects(BASE))).xdsIr.find((g) => g.name === "default/good");
    assert.ok(ir);
    return ir;
  };
  const withRoute = (ir: GatewayXdsIr, change: Record<string, unknown>): GatewayXdsIr => ({
    ...ir,
    http: ir.http.map((l) => ({
      ...l,
      virtualHosts: l.virtualHosts.map((v) => ({ ...v, routes: v.routes.map((r) => ({ ...r, ...change })) })),
    })),
  });
  const cases: [string, Record<string, unknown>, string][] = [
    ["retry attempts 2^32", { retry: { codes: [], attempts: 2 ** 32 } }, "retry.attempts 4294967296 out of range"],
    [
      "timeout beyond protobuf's Duration",
      { timeouts: { requestMs: 1e300 } },
      "timeouts.requestMs 1e+300 is not a valid duration",
    ],
    ["mirror share beyond all", { mirrors: [{ cluster: "x", perMillion: 2e6 }] }, "mirror share 2000000 out of range"],
    [
      "weights whose total overflows uint32",
      {
        action: {
          kind: "forward",
          destinations: [{ weight: 4294967295 }, { weight: 4294967295 }],
        },
      },
      "total weight 8589934590 exceeds 4294967295",
    ],
  ];
  for (const [name, change, problem] of cases) {
    it(name, () => {
      const problems = validateXdsIr(withRoute(base(), change));
      assert.ok(
        problems.some((p) => p.includes(problem)),
        problems.join(" | "),
      );
    });
  }
  it("a listener port out of range", () => {
    const ir = base();
    const problems = validateXdsIr({ ...ir, http: ir.http.map((l) => ({ ...l, port: 70000 })) });
    assert.ok(
      problems.some((p) => p.includes("port 70000 out of range")),
      problems.join(" | "),
    );
  });
});
