/**
 * The policy stage's cost: translate() of the bench fixture (1,000 HTTPRoutes by default) without policies,
 * then with as many policies of mixed kinds and targets, and the ratio (the target is at most 1.5×):
 *   - BackendTrafficPolicy on a route (by name), and by label selector (matchLabels: 100 route groups of 10),
 *     each with retry, timeout, local rate limit, circuit breaker and load balancer settings (BTP below)
 *   - SecurityPolicy on a route (not implemented yet: its route answers 403, which rewrites routes)
 *   - EnvoyExtensionPolicy on a route
 *   - ClientTrafficPolicy on the Gateway or its listener (the oldest of each wins, the others Conflicted)
 * Each route carries a `group` label in both runs, so the inputs differ only by the policies.
 *
 * The two inputs are timed alternately (see timeInterleaved), so the ratio holds on a busy machine.
 *
 *   node --expose-gc dist/bench/policies.js [--routes 1000] [--policies 1000] [--iterations 9]
 */
import type { KubeObject } from "../operator/src/resources/meta";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { buildObjects, routeName } from "./lib/fixtures";
import { envInfo, finish, fullGc, median, round, table, type BenchReport, type Metric } from "./lib/report";

const OPTS = { listenAddress: "127.0.0.1", backends: { enabled: true, allow: ["Loopback"] } } as const;
const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io/v1alpha1";

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

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Policy `i` of the mix (see the module comment). */
function policyObject(i: number, routes: number): KubeObject {
  const route = { group: GW, kind: "HTTPRoute", name: routeName(i % routes) };
  const meta = {
    name: `policy-${i}`,
    namespace: "default",
    generation: 1,
    creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  };
  switch (i % 6) {
    case 0:
      return { apiVersion: EG, kind: "BackendTrafficPolicy", metadata: meta, spec: { targetRefs: [route], ...BTP } };
    case 1:
      return { apiVersion: EG, kind: "SecurityPolicy", metadata: meta, spec: { targetRefs: [route] } };
    case 2:
      return { apiVersion: EG, kind: "EnvoyExtensionPolicy", metadata: meta, spec: { targetRefs: [route] } };
    case 3:
      return {
        apiVersion: EG,
        kind: "BackendTrafficPolicy",
        metadata: meta,
        spec: { targetSelectors: [{ kind: "HTTPRoute", matchLabels: { group: `g${i % 100}` } }], ...BTP },
      };
    default: {
      const sectionName = i % 6 === 4 ? { sectionName: "http" } : {};
      return {
        apiVersion: EG,
        kind: "ClientTrafficPolicy",
        metadata: meta,
        spec: {
          targetRefs: [{ group: GW, kind: "Gateway", name: "bench", ...sectionName }],
          timeout: { http: { idleTimeout: "30s" } },
        },
      };
    }
  }
}

function withGroupLabels(objects: readonly KubeObject[]): KubeObject[] {
  let i = 0;
  return objects.map((o) =>
    o.kind === "HTTPRoute" ? { ...o, metadata: { ...o.metadata, labels: { group: `g${i++ % 100}` } } } : o,
  );
}

interface Timed {
  readonly samples: number[];
  statuses: number;
}

/**
 * Times translate() of each input, alternating between them every iteration (after a full GC each), so
 * that load from other processes on the machine falls on both alike. Iteration -1 warms up (not recorded).
 */
function timeInterleaved(inputs: readonly (readonly KubeObject[])[], iterations: number): Timed[] {
  const snapshots = inputs.map((o) => snapshotFromObjects(o));
  const out: Timed[] = inputs.map(() => ({ samples: [], statuses: 0 }));
  for (let it = -1; it < iterations; it++) {
    snapshots.forEach((snapshot, k) => {
      fullGc();
      const t0 = performance.now();
      const result = translate(snapshot, OPTS);
      const ms = performance.now() - t0;
      out[k].statuses = result.statuses.length;
      if (it >= 0) out[k].samples.push(ms);
    });
  }
  return out;
}

function main(): void {
  const routes = arg("routes", Number(process.env.BENCH_ROUTES ?? 1000));
  const policies = arg("policies", routes);
  const iterations = arg("iterations", Number(process.env.BENCH_ITERATIONS ?? 9));
  const base = withGroupLabels(buildObjects(routes));
  const withPolicies = [...base, ...Array.from({ length: policies }, (_, i) => policyObject(i, routes))];
  const [without, withP] = timeInterleaved([base, withPolicies], iterations);
  const ratio = median(withP.samples) / median(without.samples);
  const metrics: Record<string, Metric> = {
    "without/translate_ms.median": { value: round(median(without.samples)), unit: "ms" },
    "with/translate_ms.median": { value: round(median(withP.samples)), unit: "ms" },
    "ratio.x1000": { value: Math.round(ratio * 1000), unit: "count" },
  };
  const report: BenchReport = {
    name: "policies",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: { routes, policies, iterations, target: "ratio ≤ 1.5" },
    metrics,
    samples: { without_ms: without.samples.map((x) => round(x)), with_ms: withP.samples.map((x) => round(x)) },
  };
  const rows = [
    ["without policies", routes, 0, round(median(without.samples), 1), without.statuses],
    ["with policies", routes, policies, round(median(withP.samples), 1), withP.statuses],
  ];
  const summary = table(["input", "routes", "policies", "translate ms (median)", "statuses"], rows);
  finish(report, [summary, `ratio with/without: ${ratio.toFixed(2)}× (target ≤ 1.5×)`]);
}

main();
