/**
 * What giving the young generation back at rest costs the next pass (ADR 0035). The controller's collections once
 * quiet (cmd/idle-collection.ts: a full GC, then another once the allocation rate is low) let V8 shrink its
 * semi-spaces to 1 MiB; the first pass after that runs with a small young generation, which V8 grows again as the
 * pass's objects survive. Per size, warm-up passes, then `--reps` rounds, each timing one pass (one route changed,
 * as the pipeline runs it: translate, validate, build, lay out, `setNode`) in two states, alternating:
 *   kept      after `--quiet-ms` of quiet, no collection: the young generation as the passes left it
 *   shrunk    after the controller's collections (full GC, `--quiet-ms` of quiet, full GC): the young generation at
 *             1 MiB
 * with five untimed passes between rounds. Wall and CPU (process.cpuUsage, user + system) ms of the timed pass, and
 * the young generation's committed size before it. Needs `node --expose-gc`.
 *
 *   node --expose-gc dist/bench/after-idle.js [--sizes 1000,3000] [--reps 6] [--quiet-ms 6000]
 */
import { heapSpace } from "../operator/src/cmd/idle-collection";
import { validateXdsIr } from "../operator/src/ir/validate";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { XdsCache } from "../operator/src/xds/cache/snapshot-cache";
import { BuildMemo } from "../operator/src/xds/translate/build-memo";
import { layOut } from "../operator/src/xds/translate/layout";
import { LayoutMemo } from "../operator/src/xds/translate/layout-memo";
import { buildNodeResources } from "../operator/src/xds/translate/resources";
import { arg } from "./lib/cli";
import { buildObjects, routeObject, TRANSLATE_OPTIONS } from "./lib/fixtures";
import { envInfo, finish, loadAverage, mb, median, round, table, type BenchReport, type Metric } from "./lib/report";

const STATES = ["kept", "shrunk"] as const;
type State = (typeof STATES)[number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One size's pipeline after translate, and a pass that changes one route (a different one each time). */
function pipeline(n: number): () => [wallMs: number, cpuMs: number] {
  let objects = buildObjects(n);
  const cache = new XdsCache();
  const memo = new BuildMemo();
  const layoutMemo = new LayoutMemo();
  let k = 0;
  return () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const j = (7 + k++ * 13) % n;
    // The routes are the last n objects of the fixture.
    const at = objects.length - n + j;
    objects = objects.map((o, i) => (i === at ? routeObject(j, { variant: k }) : o));
    const ir = translate(snapshotFromObjects(objects), TRANSLATE_OPTIONS).xdsIr[0];
    if (!ir) throw new Error("no Gateway IR");
    const problems = validateXdsIr(ir);
    if (problems.length > 0) throw new Error(`invalid IR: ${problems.join("; ")}`);
    const built = buildNodeResources(ir, memo);
    cache.setNode(ir.name, layOut(built, "scoped", cache.getNode(ir.name)?.resources, layoutMemo));
    const c = process.cpuUsage(cpu);
    return [performance.now() - wall, (c.user + c.system) / 1000];
  };
}

async function runSize(n: number, reps: number, quietMs: number, gc: () => void): Promise<Record<string, number[]>> {
  const pass = pipeline(n);
  for (let i = 0; i < 30; i++) pass();
  const samples: Record<string, number[]> = {};
  for (const s of STATES) for (const m of ["wall_ms", "cpu_ms", "young_MB"]) samples[`${s}_${m}`] = [];
  for (let r = 0; r < reps; r++) {
    for (const s of r % 2 === 0 ? STATES : [...STATES].reverse()) {
      if (s === "shrunk") gc();
      await sleep(quietMs);
      if (s === "shrunk") gc();
      const young = mb(heapSpace("new_space").committed);
      const [wall, cpu] = pass();
      samples[`${s}_wall_ms`]!.push(wall);
      samples[`${s}_cpu_ms`]!.push(cpu);
      samples[`${s}_young_MB`]!.push(young);
      for (let i = 0; i < 5; i++) pass();
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with `node --expose-gc`: the shrunk state needs full collections");
  const sizes = (arg("sizes") ?? "1000,3000").split(",").map(Number);
  const reps = Number(arg("reps") ?? 6);
  const quietMs = Number(arg("quiet-ms") ?? 6000);
  const loadBefore = loadAverage();
  const results: { n: number; samples: Record<string, number[]> }[] = [];
  for (const n of sizes) {
    process.stderr.write(`after-idle bench: ${n} routes × ${reps} rounds of ${quietMs} ms quiet per state…\n`);
    results.push({ n, samples: await runSize(n, reps, quietMs, gc) });
  }
  const metrics: Record<string, Metric> = {};
  const samples: Record<string, number[]> = {};
  for (const r of results) {
    for (const [k, xs] of Object.entries(r.samples)) {
      metrics[`n=${r.n}/${k}.median`] = { value: round(median(xs)), unit: k.endsWith("_MB") ? "MB" : "ms" };
      samples[`n=${r.n}/${k}`] = xs.map((x) => round(x));
    }
  }
  const report: BenchReport = {
    name: "after-idle",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: { sizes, reps, quietMs, load: { before: loadBefore, after: loadAverage() } },
    metrics,
    samples,
  };
  const med = (r: (typeof results)[number], k: string): number => round(median(r.samples[k]!), 2);
  const t = table(
    ["routes", "young generation before the pass", "pass wall ms", "pass CPU ms"],
    results.flatMap((r) =>
      STATES.map((s: State) => [
        r.n,
        `${s} (${med(r, `${s}_young_MB`)} MB)`,
        med(r, `${s}_wall_ms`),
        med(r, `${s}_cpu_ms`),
      ]),
    ),
  );
  finish(report, [`One changed route's pass, medians (load ${loadBefore} → ${loadAverage()}):\n${t}`]);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
