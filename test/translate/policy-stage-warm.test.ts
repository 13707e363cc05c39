/**
 * The policy stage's reuse across translations (ADR 0025: resolved targets per policy, target-memo.ts; shared
 * Gateway lists of routes, target-index.ts; owned BackendTrafficPolicy translations) changes no output: a chain of
 * translations where each step changes one thing (a policy added, changed, deleted; a targeted route changed; a
 * route's label changed so a selector picks it; a route-level policy removed and added again, flipping precedence
 * with the Gateway-level one; a Gateway changed so a route no longer attaches to it, its object the same) gives at
 * every step exactly what a translation of fresh copies of the same input gives, statuses (with their ancestors)
 * and IR. The warm chain runs first and alone, so no cold translation in between refreshes what it reuses.
 */
import * as assert from "node:assert/strict";
import { renderTranslation } from "../../operator/src/cmd/translate";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { reusedTargetResolutions } from "../../operator/src/translate/policies/target-memo";
import { translate } from "../../operator/src/translate/translate";
import { yamlObjects } from "../support/objects";

const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io/v1alpha1";

const BASE = `apiVersion: ${GW}/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { clusterIP: 10.0.0.1, ports: [{ port: 3000 }] }
---
apiVersion: ${GW}/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: http, protocol: HTTP, port: 8080 }
---
apiVersion: ${GW}/v1
kind: Gateway
metadata: { name: other, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: http, protocol: HTTP, port: 8090, hostname: "*.example.com" }
`;

/** An HTTPRoute on Gateways eg and other, labelled `group`, with the rules named in `rules`. */
function route(name: string, group: string, rules: readonly string[] = ["first"]): KubeObject {
  return {
    apiVersion: `${GW}/v1`,
    kind: "HTTPRoute",
    metadata: { name, namespace: "default", labels: { group } },
    spec: {
      parentRefs: [{ name: "eg" }, { name: "other" }],
      hostnames: [`${name}.example.com`],
      rules: rules.map((rule, i) => ({
        name: rule,
        matches: [{ path: { type: "PathPrefix", value: `/${rule}${i}` } }],
        backendRefs: [{ name: "backend", port: 3000 }],
      })),
    },
  };
}

/** A policy of `kind` named `name`, created at second `age`, with `spec`. */
function policy(kind: string, name: string, age: number, spec: Record<string, unknown>): KubeObject {
  const creationTimestamp = new Date(Date.UTC(2026, 0, 1, 0, 0, age)).toISOString();
  return { apiVersion: EG, kind, metadata: { name, namespace: "default", creationTimestamp }, spec };
}

const onRoute = (name: string, sectionName?: string) => ({
  targetRefs: [{ group: GW, kind: "HTTPRoute", name, ...(sectionName ? { sectionName } : {}) }],
});
const onGateway = (sectionName?: string) => ({
  targetRefs: [{ group: GW, kind: "Gateway", name: "eg", ...(sectionName ? { sectionName } : {}) }],
});

const routeBtp = policy("BackendTrafficPolicy", "route-btp", 1, { ...onRoute("r1"), retry: { numRetries: 3 } });
const gatewayBtp = policy("BackendTrafficPolicy", "gateway-btp", 2, {
  ...onGateway(),
  timeout: { http: { requestTimeout: "7s" } },
});
const selectorBtp = policy("BackendTrafficPolicy", "selector-btp", 3, {
  targetSelectors: [{ kind: "HTTPRoute", matchLabels: { group: "one" } }],
  timeout: { http: { requestTimeout: "3s" } },
});
const ruleBtp = policy("BackendTrafficPolicy", "rule-btp", 4, {
  ...onRoute("r1", "second"),
  timeout: { http: { requestTimeout: "2s" } },
});
const routeSp = policy("SecurityPolicy", "route-sp", 5, {
  ...onRoute("r2"),
  cors: { allowOrigins: ["https://a.example"] },
});
const routeEep = policy("EnvoyExtensionPolicy", "route-eep", 6, onRoute("r1"));
const gatewayCtp = policy("ClientTrafficPolicy", "gateway-ctp", 7, {
  ...onGateway(),
  timeout: { http: { idleTimeout: "30s" } },
});

/** The input of each step: each changes one thing, every other object is the previous step's. */
function steps(): { readonly name: string; readonly objects: readonly KubeObject[] }[] {
  const out: { name: string; objects: KubeObject[] }[] = [];
  let objects: KubeObject[] = [
    ...yamlObjects(BASE),
    route("r1", "zero"),
    route("r2", "one"),
    route("r3", "two"),
    routeBtp,
    gatewayBtp,
    selectorBtp,
    ruleBtp,
    routeSp,
    routeEep,
    gatewayCtp,
  ];
  const step = (name: string, next: KubeObject[]): void => {
    objects = next;
    out.push({ name, objects });
  };
  const named = (o: KubeObject, kind: string, name: string): boolean => o.kind === kind && o.metadata.name === name;
  const replace = (kind: string, name: string, by: KubeObject): KubeObject[] =>
    objects.map((o) => (named(o, kind, name) ? by : o));
  const without = (kind: string, name: string): KubeObject[] => objects.filter((o) => !named(o, kind, name));
  step("initial", objects);
  step("the same objects again", [...objects]);
  const gatewaySp = policy("SecurityPolicy", "gateway-sp", 8, {
    ...onGateway(),
    cors: { allowOrigins: ["https://b.example"] },
  });
  step("a policy added", [...objects, gatewaySp]);
  step(
    "a policy changed",
    replace("BackendTrafficPolicy", "route-btp", { ...routeBtp, spec: { ...onRoute("r1"), retry: { numRetries: 5 } } }),
  );
  step("a policy deleted", without("SecurityPolicy", "gateway-sp"));
  step(
    "a targeted route changed (its rule `second` appears)",
    replace("HTTPRoute", "r1", route("r1", "zero", ["first", "second"])),
  );
  step("a route's label changed (the selector picks it)", replace("HTTPRoute", "r3", route("r3", "one")));
  step("the route-level policy deleted (the Gateway-level one applies)", without("BackendTrafficPolicy", "route-btp"));
  step("the route-level policy added again (it wins again)", [...objects, routeBtp]);
  const gateway = objects.find((o) => named(o, "Gateway", "other")) as KubeObject<{ listeners: unknown[] }>;
  const narrowed = structuredClone(gateway);
  narrowed.spec.listeners = [{ name: "http", protocol: "HTTP", port: 8090, hostname: "r2.example.com" }];
  step(
    "a Gateway changed: r1 and r3 no longer attach to it (the routes unchanged)",
    replace("Gateway", "other", narrowed),
  );
  const listenerCtp = policy("ClientTrafficPolicy", "listener-ctp", 9, {
    ...onGateway("http"),
    timeout: { http: { idleTimeout: "40s" } },
  });
  step("a listener-level ClientTrafficPolicy added", [...objects, listenerCtp]);
  return out;
}

function render(objects: readonly KubeObject[]): string {
  const r = translate(snapshotFromObjects(objects), {});
  return `${renderTranslation(r, "status")}---\n${renderTranslation(r, "ir")}\n${JSON.stringify(r.rejected)}`;
}

describe("policy stage reuse across translations: the same output as a cold translation", () => {
  it("after a sequence of changes to policies, routes and Gateways, every step equals a cold translation", () => {
    const chain = steps();
    const warm: { output: string; reused: number }[] = [];
    for (const s of chain) {
      const before = reusedTargetResolutions();
      warm.push({ output: render(s.objects), reused: reusedTargetResolutions() - before });
    }
    chain.forEach((s, i) => {
      assert.equal(warm[i].output, render(structuredClone(s.objects)), `step ${i}: ${s.name}`);
    });
    const policies = (i: number): number => chain[i].objects.filter((o) => o.apiVersion === EG).length;
    assert.equal(warm[1].reused, policies(1), "the same objects again: every policy's targets reused");
    assert.equal(warm[2].reused, policies(2) - 1, "a policy added: every other policy's targets reused");
    // r1 changed: the policies naming it resolve again, the others (the selector's and r2's) are reused.
    assert.ok(warm[5].reused > 0 && warm[5].reused < policies(5), `route changed: ${warm[5].reused} reused`);
    // The narrowed Gateway: r1's Gateways changed, so the policies on r1 resolve again.
    assert.ok(warm[9].reused < policies(9), `Gateway changed: ${warm[9].reused} reused`);
  });

  it("reports the new ancestors of a route-level policy when its route stops attaching to a Gateway", () => {
    const chain = steps();
    for (const s of chain) render(s.objects);
    const last = chain[chain.length - 1].objects;
    const r = translate(snapshotFromObjects(last), {});
    const status = r.statuses.find((s) => s.kind === "BackendTrafficPolicy" && s.name === "route-btp");
    const ancestors = (status?.status as { ancestors?: { ancestorRef: { name: string } }[] } | undefined)?.ancestors;
    assert.deepEqual(
      ancestors?.map((a) => a.ancestorRef.name),
      ["eg"],
      "r1 attaches to Gateway eg only now: route-btp reports under eg alone",
    );
  });
});
