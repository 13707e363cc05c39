/**
 * The policy bench's input (bench/policies.ts): the translate fixture with a `group` label on every route, and
 * policies of mixed kinds and targets:
 *   - BackendTrafficPolicy on a route (by name), and by label selector (matchLabels: 100 route groups of 10),
 *     each with retry, timeout, local rate limit, circuit breaker and load balancer settings ({@link BTP})
 *   - SecurityPolicy on a route (it sets nothing: accepted, it changes nothing on the route)
 *   - EnvoyExtensionPolicy on a route
 *   - ClientTrafficPolicy on the Gateway or its listener (the oldest of each wins, the others Conflicted)
 */
import type { KubeObject } from "../../operator/src/resources/meta";
import { buildObjects, routeName } from "./fixtures";

const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io/v1alpha1";

/** Translate options of the policy bench (the fixture's Backends are loopback addresses). */
export const POLICY_BENCH_OPTIONS = {
  listenAddress: "127.0.0.1",
  backends: { enabled: true, allow: ["Loopback"] },
} as const;

/**
 * The settings of every BackendTrafficPolicy: route-level (retry, timeout), a per-route filter (local rate
 * limit) and cluster-level ones (circuit breaker, load balancer: each route's backends get a policy variant).
 */
const BTP = {
  retry: {
    numRetries: 3,
    retryOn: { triggers: ["connect-failure", "retriable-status-codes"], httpStatusCodes: [503] },
  },
  timeout: { http: { requestTimeout: "10s" } },
  circuitBreaker: { maxConnections: 1024, maxPendingRequests: 512 },
  loadBalancer: { type: "LeastRequest" },
  rateLimit: { type: "Local", local: { rules: [{ limit: { requests: 100, unit: "Second" } }] } },
};

/** Policy `i` of the mix (see the module comment); `variant` > 0 changes its settings (a policy edit). */
export function policyObject(i: number, routes: number, variant = 0): KubeObject {
  const route = { group: GW, kind: "HTTPRoute", name: routeName(i % routes) };
  const meta = {
    name: `policy-${i}`,
    namespace: "default",
    generation: 1 + variant,
    creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  };
  const btp = variant > 0 ? { ...BTP, timeout: { http: { requestTimeout: `${10 + variant}s` } } } : BTP;
  switch (i % 6) {
    case 0:
      return { apiVersion: EG, kind: "BackendTrafficPolicy", metadata: meta, spec: { targetRefs: [route], ...btp } };
    case 1:
      return { apiVersion: EG, kind: "SecurityPolicy", metadata: meta, spec: { targetRefs: [route] } };
    case 2:
      return { apiVersion: EG, kind: "EnvoyExtensionPolicy", metadata: meta, spec: { targetRefs: [route] } };
    case 3:
      return {
        apiVersion: EG,
        kind: "BackendTrafficPolicy",
        metadata: meta,
        spec: { targetSelectors: [{ kind: "HTTPRoute", matchLabels: { group: `g${i % 100}` } }], ...btp },
      };
    default: {
      const sectionName = i % 6 === 4 ? { sectionName: "http" } : {};
      return {
        apiVersion: EG,
        kind: "ClientTrafficPolicy",
        metadata: meta,
        spec: {
          targetRefs: [{ group: GW, kind: "Gateway", name: "bench", ...sectionName }],
          timeout: { http: { idleTimeout: `${30 + variant}s` } },
        },
      };
    }
  }
}

/** The translate fixture with `routes` HTTPRoutes, each labelled `group: g<i % 100>`. */
export function labelledRoutes(routes: number): KubeObject[] {
  let i = 0;
  return buildObjects(routes).map((o) =>
    o.kind === "HTTPRoute" ? { ...o, metadata: { ...o.metadata, labels: { group: `g${i++ % 100}` } } } : o,
  );
}

/** The fixture of {@link labelledRoutes} with `policies` policies of the mix. */
export function withPolicies(base: readonly KubeObject[], routes: number, policies: number): KubeObject[] {
  return [...base, ...Array.from({ length: policies }, (_, i) => policyObject(i, routes))];
}
