/**
 * CPU of what a pass does after `translate` for one changed route (validate the IR, build the node's resources, lay
 * them out, `setNode`), with and without output reuse (ADR 0012, ADR 0024), in the same run, alternating: per size, a
 * warm-up, then `--reps` passes that each change the input (`--change add`: append one route, a new virtual host;
 * `modify`: change one existing route's path), translate it (not timed; the translate memos keep the unchanged IR
 * objects, as in the pipeline) and run the stage three times:
 *   fresh   every problem checked (xdsIrProblems), buildNodeResources(ir, null), layOut(…, null): everything made again
 *   build   as the pipeline before ADR 0024: every problem checked, buildNodeResources(ir, memo), layOut(…, null)
 *   reused  validateXdsIr, buildNodeResources(ir, memo), layOut(…, memo): unchanged objects' outputs kept
 * each into its own XdsCache (setNode: a fresh build's Anys are all new objects, so the cache hashes every resource; a
 * reused build's unchanged Anys are the same objects, which it skips). `--layout` is the route layout (ADR 0008, 0020).
 * The order of the three rotates per pass; the outputs are compared byte for byte. CPU is process.cpuUsage (user +
 * system) around each step.
 *
 *   node --expose-gc dist/bench/build.js [--sizes 1000,3000] [--reps 15] [--layout inline|vhds|scoped] [--change add|modify]
 */
import { xdsIrProblems, validateXdsIr } from "../operator/src/ir/validate";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { XdsCache } from "../operator/src/xds/cache/snapshot-cache";
import { BuildMemo } from "../operator/src/xds/translate/build-memo";
import { layOut } from "../operator/src/xds/translate/layout";
import { LayoutMemo } from "../operator/src/xds/translate/layout-memo";
import { buildNodeResources, type LaidOutResources } from "../operator/src/xds/translate/resources";
import type { RouteLayout } from "../operator/src/xds/translate/vhds";
import { buildObjects, routeObject, TRANSLATE_OPTIONS } from "./lib/fixtures";
import {
  envInfo,
  finish,
  fullGc,
  loadAverage,
  median,
  percentile,
  round,
  table,
  type BenchReport,
  type Metric,
} from "./lib/report";
import { arg, cpuTimed } from "./lib/cli";

/** Asserts two node resource sets are the same types, names (in order) and bytes. */
function assertSameBytes(a: LaidOutResources, b: LaidOutResources): void {
  if ([...a.keys()].join() !== [...b.keys()].join()) throw new Error("reused and fresh builds differ in types");
  for (const [type, byName] of a) {
    const other = b.get(type)!;
    if ([...byName.keys()].join() !== [...other.keys()].join())
      throw new Error(`reused and fresh builds differ in names: ${type}`);
    for (const [name, any] of byName) {
      if (Buffer.compare(other.get(name)!.value, any.value) !== 0)
        throw new Error(`reused and fresh builds differ: ${type} ${name}`);
    }
  }
}

const VARIANTS = ["fresh", "build", "reused"] as const;
type Variant = (typeof VARIANTS)[number];
const STEPS = ["validate", "build", "layout", "setNode", "total"] as const;

/** One variant's memos and cache. */
interface Lane {
  readonly cache: XdsCache;
  readonly build: BuildMemo | null;
  readonly layout: LayoutMemo | null;
  /** Whether validation keeps what it checked per IR object. */
  readonly validateMemo: boolean;
}

/** The stage after translate for `ir` in `lane`, each step's CPU ms. */
function stage(ir: Parameters<typeof validateXdsIr>[0], lane: Lane, layout: RouteLayout): [LaidOutResources, number[]] {
  const [problems, tValidate] = cpuTimed(() => (lane.validateMemo ? validateXdsIr(ir) : xdsIrProblems(ir)));
  if (problems.length > 0) throw new Error(`invalid IR: ${problems.join("; ")}`);
  const [built, tBuild] = cpuTimed(() => buildNodeResources(ir, lane.build));
  const published = lane.cache.getNode(ir.name)?.resources;
  const [res, tLayout] = cpuTimed(() => layOut(built, layout, published, lane.layout));
  const [, tSet] = cpuTimed(() => lane.cache.setNode(ir.name, res));
  return [res, [tValidate, tBuild, tLayout, tSet, tValidate + tBuild + tLayout + tSet]];
}

function runSize(n: number, reps: number, layout: RouteLayout, change: string): Record<string, number[]> {
  let objects = buildObjects(n);
  const firstRoute = objects.length - n;
  const lanes: Record<Variant, Lane> = {
    fresh: { cache: new XdsCache(), build: null, layout: null, validateMemo: false },
    build: { cache: new XdsCache(), build: new BuildMemo(), layout: null, validateMemo: false },
    reused: { cache: new XdsCache(), build: new BuildMemo(), layout: new LayoutMemo(), validateMemo: true },
  };
  const samples: Record<string, number[]> = {};
  for (const v of VARIANTS) for (const s of STEPS) samples[`${v}_${s}_cpu_ms`] = [];
  for (let i = -2; i < reps; i++) {
    if (change === "modify") {
      // Route k is at `firstRoute + k`: the Gateway's objects and the Backends come first.
      const k = (7 + (i + 2) * 13) % n;
      objects = objects.map((o, j) => (j === firstRoute + k ? routeObject(k, { variant: i + 3 }) : o));
    } else objects = [...objects, routeObject(n + i + 2)];
    const ir = translate(snapshotFromObjects(objects), TRANSLATE_OPTIONS).xdsIr[0];
    if (!ir) throw new Error("no Gateway IR");
    fullGc();
    const order = VARIANTS.map((_, k) => VARIANTS[(k + i + 2) % VARIANTS.length]!);
    const built: Partial<Record<Variant, LaidOutResources>> = {};
    for (const v of order) {
      const [res, times] = stage(ir, lanes[v], layout);
      built[v] = res;
      if (i >= 0) STEPS.forEach((s, k) => samples[`${v}_${s}_cpu_ms`]!.push(times[k]!));
    }
    assertSameBytes(built.fresh!, built.reused!);
    assertSameBytes(built.fresh!, built.build!);
  }
  return samples;
}

function main(): void {
  const sizes = (arg("sizes") ?? "1000,3000").split(",").map(Number);
  const reps = Number(arg("reps") ?? 15);
  const asked = arg("layout") ?? "inline";
  const layout: RouteLayout = asked === "vhds" || asked === "scoped" ? asked : "inline";
  const change = arg("change") === "modify" ? "modify" : "add";
  const gcOk = fullGc();
  if (!gcOk) process.stderr.write("warning: run with `node --expose-gc` for steadier timings\n");
  const loadBefore = loadAverage();
  const results: { n: number; samples: Record<string, number[]> }[] = [];
  for (const n of sizes) {
    process.stderr.write(`build bench: ${n} routes × ${reps} passes, ${layout}, ${change}…\n`);
    results.push({ n, samples: runSize(n, reps, layout, change) });
  }
  const metrics: Record<string, Metric> = {};
  const samples: Record<string, number[]> = {};
  for (const r of results) {
    for (const [k, xs] of Object.entries(r.samples)) {
      metrics[`n=${r.n}/${k}.median`] = { value: round(median(xs)), unit: "ms" };
      metrics[`n=${r.n}/${k}.p90`] = { value: round(percentile(xs, 90)), unit: "ms" };
      samples[`n=${r.n}/${k}`] = xs.map((x) => round(x));
    }
  }
  const report: BenchReport = {
    name: layout === "inline" && change === "add" ? "build" : `build-${layout}-${change}`,
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: { sizes, reps, layout, change, exposeGc: gcOk, load: { before: loadBefore, after: loadAverage() } },
    metrics,
    samples,
  };
  const cell = (r: (typeof results)[number], k: string): string =>
    `${round(median(r.samples[k]!), 2)} / ${round(percentile(r.samples[k]!, 90), 2)}`;
  const t = table(
    ["routes", "variant", ...STEPS],
    results.flatMap((r) => VARIANTS.map((v) => [r.n, v, ...STEPS.map((s) => cell(r, `${v}_${s}_cpu_ms`))])),
  );
  const what = change === "add" ? "one route added" : "one route changed";
  finish(report, [
    `CPU ms per pass after translate, ${layout} layout, ${what}, median / p90 (load ${loadBefore} → ${loadAverage()}):\n${t}`,
  ]);
}

main();
