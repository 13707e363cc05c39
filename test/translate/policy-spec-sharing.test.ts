/**
 * BackendTrafficPolicies with equal specs share one spec translation within a translation (policies/spec-content.ts,
 * ADR 0021). Sharing changes no output: a translation where the policies share is compared with one where each is
 * translated alone (the same specs with their fields in another order: equal settings, another content key), and
 * every route's filters name its own policy.
 */
import * as assert from "node:assert/strict";
import { renderTranslation } from "../../operator/src/cmd/translate";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { specContentKey } from "../../operator/src/translate/policies/spec-content";
import { translate } from "../../operator/src/translate/translate";
import { gatewayWithListenersYaml, httpListenerYaml } from "../support/manifests";
import { yamlObjects } from "../support/objects";

/** Route `name` in `namespace` with its Service. */
function routeYaml(name: string, namespace: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  parentRefs: [{ name: eg, namespace: default }]
  hostnames: [${name}.${namespace}.example.com]
  rules: [{ backendRefs: [{ name: ${name}, port: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec: { clusterIP: 10.0.0.${name.length}, ports: [{ port: 80 }] }
`;
}

/** Settings of every policy: route-level, per-route filter, cluster-level, a response body from a ConfigMap. */
const SETTINGS = {
  retry: { numRetries: 2, retryOn: { triggers: ["connect-failure"] } },
  timeout: { http: { requestTimeout: "7s" } },
  rateLimit: { type: "Local", local: { rules: [{ limit: { requests: 10, unit: "Second" } }] } },
  circuitBreaker: { maxConnections: 64 },
  responseOverride: [
    {
      match: { statusCodes: [{ value: 503 }] },
      response: { body: { type: "ValueRef", valueRef: { group: "", kind: "ConfigMap", name: "page" } } },
    },
  ],
};

/** The settings with their fields in reverse order, recursively: the same settings, another JSON text. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reversed(x)]),
    );
  }
  return v;
}

/** A BackendTrafficPolicy `name` in `namespace` on route `route` there, with `settings`. */
function policy(name: string, namespace: string, route: string, settings: unknown): KubeObject {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { name, namespace, generation: 1, creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z` },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route }],
      ...(settings as object),
    },
  };
}

/** Three routes in `default` and one in `other`, ConfigMap `page` in each namespace with its own body. */
function base(): KubeObject[] {
  const namespace = `apiVersion: v1
kind: Namespace
metadata: { name: other }
`;
  const page = (ns: string): string => `apiVersion: v1
kind: ConfigMap
metadata: { name: page, namespace: ${ns} }
data: { response.body: body of ${ns} }
`;
  const gateway = gatewayWithListenersYaml(
    httpListenerYaml(8080).replace("}", ", allowedRoutes: { namespaces: { from: All } } }"),
  );
  return yamlObjects(
    [gateway, namespace, routeYaml("a", "default"), routeYaml("bb", "default"), routeYaml("ccc", "default")]
      .concat([routeYaml("d", "other"), page("default"), page("other")])
      .join("---\n"),
  );
}

function render(objects: readonly KubeObject[]): string {
  const r = translate(snapshotFromObjects(structuredClone(objects)), {});
  return `${renderTranslation(r, "status")}---\n${renderTranslation(r, "ir")}`;
}

describe("BackendTrafficPolicy spec translations shared between equal specs", () => {
  it("gives what translating each policy alone gives", () => {
    // p-a, p-bb and p-d have equal settings (p-d in another namespace: its own ConfigMap); p-ccc merges nothing in.
    const shared = [
      ...base(),
      policy("p-a", "default", "a", SETTINGS),
      policy("p-bb", "default", "bb", SETTINGS),
      policy("p-ccc", "default", "ccc", { ...SETTINGS, timeout: { http: { requestTimeout: "9s" } } }),
      policy("p-d", "other", "d", SETTINGS),
    ];
    // p-a's settings written in another order: no two specs have the same JSON text, each is translated alone.
    const alone = shared.map((o) =>
      o.kind === "BackendTrafficPolicy" && o.metadata.name === "p-a"
        ? {
            ...o,
            spec: { targetRefs: (o.spec as { targetRefs: unknown }).targetRefs, ...(reversed(SETTINGS) as object) },
          }
        : o,
    );
    assert.notEqual(
      specContentKey("default", alone.find((o) => o.metadata.name === "p-a")?.spec),
      specContentKey("default", SETTINGS),
    );
    const out = render(shared);
    assert.equal(out, render(alone));
    for (const p of ["default/p-a", "default/p-bb", "default/p-ccc", "other/p-d"]) {
      assert.ok(out.includes(`policy: ${p}`), `the filters of ${p}'s route name it`);
    }
    assert.ok(out.includes("body of other") && out.includes("body of default"), "each namespace's ConfigMap is read");
  });

  it("keys only plain JSON data, by namespace, without the targets", () => {
    const spec = { targetRefs: [{ name: "x" }], retry: { numRetries: 1 } };
    const key = specContentKey("default", spec);
    assert.equal(key, specContentKey("default", { ...spec, targetRefs: [{ name: "y" }] }), "targets are not content");
    assert.notEqual(key, specContentKey("other", spec), "the namespace is part of the key");
    assert.notEqual(key, specContentKey("default", { ...spec, retry: { numRetries: 2 } }));
    for (const odd of [Number.NaN, Number.POSITIVE_INFINITY, undefined, new Date(0), new Array<number>(2)]) {
      assert.equal(specContentKey("default", { retry: { numRetries: odd } }), undefined, `no key for ${String(odd)}`);
    }
  });
});
