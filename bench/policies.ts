/**
 * The policy stage's cost: translate() of the bench fixture (1,000 HTTPRoutes by default) without policies and
 * with as many policies of mixed kinds and targets (bench/lib/policy-fixtures.ts), and their ratio (the target is
 * at most 1.5×), in two situations:
 *   - cold: a translation of new copies of the input, so nothing memoised per object (the HTTPRoute compile,
 *     the policies' translations) can be reused: what a first pass, or a restart, costs;
 *   - one changed: the input translated once (untimed), then the same objects with one of them replaced (timed):
 *     one HTTPRoute changed on either side, and, with policies, one BackendTrafficPolicy changed. This is what a
 *     pass costs after an edit, when the memos hold everything else.
 * Each sample is the CPU time (user + system) of the process during translate(), steadier than wall time on a
 * shared machine; wall time is reported too. The two sides are timed alternately, after a full GC each, so load
 * from other processes falls on both alike. (Timing the same two snapshots alternately, as this bench once did,
 * measures neither: every pass starts a new memo generation, yet the per-object memos of the intake still hit.)
 *
 *   node --expose-gc dist/bench/policies.js [--routes 1000] [--policies 1000] [--iterations 9]
 */
import type { KubeObject } from "../operator/src/resources/meta";
import { snapshotFromObjects, type ResourceSnapshot } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { routeObject } from "./lib/fixtures";
import { labelledRoutes, policyObject, POLICY_BENCH_OPTIONS, withPolicies } from "./lib/policy-fixtures";
import {
  envInfo,
  finish,
  fullGc,
  loadAverage,
  median,
  round,
  table,
  type BenchReport,
  type Metric,
} from "./lib/report";
import { arg } from "./lib/cli";

/** The number after `--<name>`, else `fallback`. */
function num(name: string, fallback: number): number {
  return Number(arg(name) ?? fallback);
}

/** CPU and wall milliseconds of one call. */
interface Sample {
  readonly cpu: number;
  readonly wall: number;
}

/** Translates `snapshot` after a full GC; its CPU and wall time, and how many statuses it wrote. */
function timed(snapshot: ResourceSnapshot): Sample & { readonly statuses: number } {
  fullGc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = translate(snapshot, POLICY_BENCH_OPTIONS);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall, statuses: result.statuses.length };
}

/** `objects` with the object at `i` replaced by `o` (every other object the same). */
function replaced(objects: readonly KubeObject[], i: number, o: KubeObject): KubeObject[] {
  return objects.map((x, j) => (j === i ? o : x));
}

/** One measured case: how to get the snapshot to time, and its samples. */
interface Case {
  readonly name: string;
  readonly policies: number;
  /** Run before each timed translation (untimed): new copies (cold), or the unchanged input (one changed). */
  readonly prepare: () => ResourceSnapshot;
  readonly samples: Sample[];
  statuses: number;
}

function main(): void {
  const routes = num("routes", Number(process.env.BENCH_ROUTES ?? 1000));
  const policies = num("policies", routes);
  const iterations = num("iterations", Number(process.env.BENCH_ITERATIONS ?? 9));
  const base = labelledRoutes(routes);
  const withP = withPolicies(base, routes, policies);
  // The route in the middle gets another path value; policy 0 (a BackendTrafficPolicy on route 0) a new timeout.
  const routeAt = base.findIndex((o) => o.kind === "HTTPRoute") + Math.floor(routes / 2);
  const fresh = routeObject(Math.floor(routes / 2), { variant: 1 });
  const changedRoute = { ...fresh, metadata: { ...fresh.metadata, labels: base[routeAt].metadata.labels } };
  const policyAt = base.length;
  const baseSnap = snapshotFromObjects(base);
  const withSnap = snapshotFromObjects(withP);
  const baseRouteChanged = snapshotFromObjects(replaced(base, routeAt, changedRoute));
  const withRouteChanged = snapshotFromObjects(replaced(withP, routeAt, changedRoute));
  const withPolicyChanged = snapshotFromObjects(replaced(withP, policyAt, policyObject(0, routes, 1)));
  /** Translates `warm` (untimed), then hands out `changed` to time. */
  const after = (warm: ResourceSnapshot, changed: ResourceSnapshot) => (): ResourceSnapshot => {
    translate(warm, POLICY_BENCH_OPTIONS);
    return changed;
  };
  const cases: Case[] = [
    { name: "cold, without", policies: 0, prepare: () => snapshotFromObjects(structuredClone(base)) },
    { name: "cold, with", policies, prepare: () => snapshotFromObjects(structuredClone(withP)) },
    { name: "1 route changed, without", policies: 0, prepare: after(baseSnap, baseRouteChanged) },
    { name: "1 route changed, with", policies, prepare: after(withSnap, withRouteChanged) },
    { name: "1 policy changed, with", policies, prepare: after(withSnap, withPolicyChanged) },
  ].map((c) => ({ ...c, samples: [], statuses: 0 }));
  const load = [loadAverage()];
  for (let it = -1; it < iterations; it++) {
    for (const c of cases) {
      const s = timed(c.prepare());
      c.statuses = s.statuses;
      if (it >= 0) c.samples.push({ cpu: s.cpu, wall: s.wall });
    }
  }
  load.push(loadAverage());
  const cpu = (c: Case): number => median(c.samples.map((s) => s.cpu));
  const wall = (c: Case): number => median(c.samples.map((s) => s.wall));
  const [coldWithout, coldWith, routeWithout, routeWith, policyWith] = cases;
  const ratios = {
    cold: cpu(coldWith) / cpu(coldWithout),
    routeChanged: cpu(routeWith) / cpu(routeWithout),
    policyChanged: cpu(policyWith) / cpu(routeWithout),
  };
  const slug = (c: Case): string => c.name.replace(/[^a-z0-9]+/g, "_");
  const metrics: Record<string, Metric> = {};
  for (const c of cases) {
    metrics[`${slug(c)}/cpu_ms.median`] = { value: round(cpu(c)), unit: "ms" };
    metrics[`${slug(c)}/wall_ms.median`] = { value: round(wall(c)), unit: "ms" };
  }
  metrics["ratio_cold.x1000"] = { value: Math.round(ratios.cold * 1000), unit: "count" };
  metrics["ratio_route_changed.x1000"] = { value: Math.round(ratios.routeChanged * 1000), unit: "count" };
  metrics["ratio_policy_changed.x1000"] = { value: Math.round(ratios.policyChanged * 1000), unit: "count" };
  const report: BenchReport = {
    name: "policies",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: { routes, policies, iterations, target: "ratio ≤ 1.5", load: load.join(" → ") },
    metrics,
    samples: Object.fromEntries(cases.map((c) => [`${slug(c)}_cpu_ms`, c.samples.map((s) => round(s.cpu))])),
  };
  const rows = cases.map((c) => [c.name, routes, c.policies, round(cpu(c), 1), round(wall(c), 1), c.statuses]);
  const summary = table(["input", "routes", "policies", "CPU ms (median)", "wall ms (median)", "statuses"], rows);
  finish(report, [
    summary,
    `ratio with/without (CPU): cold ${ratios.cold.toFixed(2)}×, 1 route changed ${ratios.routeChanged.toFixed(2)}×, ` +
      `1 policy changed (vs 1 route changed without) ${ratios.policyChanged.toFixed(2)}× (target ≤ 1.5×)`,
    `load average: ${load.join(" → ")}`,
  ]);
}

main();
