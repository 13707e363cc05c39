/**
 * CPU of the xDS build for one route added, with and without output reuse (ADR 0012), in the same run, alternating:
 * per size, a warm-up, then `--reps` passes that each append one route to the input, translate it (not timed; the
 * compile memo keeps the unchanged routes' IR objects, as in the pipeline) and build the node's resources twice:
 *   fresh   buildNodeResources(ir, null): everything built and encoded again (the build before ADR 0012)
 *   reused  buildNodeResources(ir, memo): unchanged routes, virtual hosts, clusters and secrets kept
 * then hand each to its own XdsCache (setNode: a fresh build's Anys are all new objects, so the cache hashes every
 * resource; a reused build's unchanged Anys are the same objects, which it skips). The order of the two alternates
 * per pass; both outputs are compared byte for byte. CPU is process.cpuUsage (user + system) around each call.
 *
 *   node --expose-gc dist/bench/build.js [--sizes 1000,3000] [--reps 15]
 */
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { XdsCache } from "../operator/src/xds/cache/snapshot-cache";
import { BuildMemo } from "../operator/src/xds/translate/build-memo";
import { buildNodeResources, type NodeResources } from "../operator/src/xds/translate/resources";
import { buildObjects, routeObject } from "./lib/fixtures";
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

// As bench/translate.ts: Backends on, loopback allowed (the fixtures' Backends point at 127.0.0.1).
const OPTS = { listenAddress: "127.0.0.1", backends: { enabled: true, allow: ["Loopback"] } } as const;

function assertSameBytes(a: NodeResources, b: NodeResources): void {
  for (const [type, byName] of a) {
    for (const [name, any] of byName) {
      const other = b.get(type)?.get(name);
      if (!other || !Buffer.from(other.value).equals(Buffer.from(any.value)))
        throw new Error(`reused and fresh builds differ: ${type} ${name}`);
    }
  }
}

type Variant = "fresh" | "reused";

function runSize(n: number, reps: number): Record<string, number[]> {
  let objects = buildObjects(n);
  const memo = new BuildMemo();
  const caches: Record<Variant, XdsCache> = { fresh: new XdsCache(), reused: new XdsCache() };
  const samples: Record<string, number[]> = {
    fresh_build_cpu_ms: [],
    reused_build_cpu_ms: [],
    fresh_setNode_cpu_ms: [],
    reused_setNode_cpu_ms: [],
  };
  for (let i = -2; i < reps; i++) {
    objects = [...objects, routeObject(n + i + 2)];
    const ir = translate(snapshotFromObjects(objects), OPTS).xdsIr[0];
    if (!ir) throw new Error("no Gateway IR");
    fullGc();
    const order: Variant[] = i % 2 === 0 ? ["fresh", "reused"] : ["reused", "fresh"];
    const built: Partial<Record<Variant, NodeResources>> = {};
    for (const v of order) {
      const [res, tBuild] = cpuTimed(() => buildNodeResources(ir, v === "fresh" ? null : memo));
      const [, tSet] = cpuTimed(() => caches[v].setNode(ir.name, res));
      built[v] = res;
      if (i >= 0) {
        samples[`${v}_build_cpu_ms`]!.push(tBuild);
        samples[`${v}_setNode_cpu_ms`]!.push(tSet);
      }
    }
    assertSameBytes(built.fresh!, built.reused!);
  }
  return samples;
}

function main(): void {
  const sizes = (arg("sizes") ?? "1000,3000").split(",").map(Number);
  const reps = Number(arg("reps") ?? 15);
  const gcOk = fullGc();
  if (!gcOk) process.stderr.write("warning: run with `node --expose-gc` for steadier timings\n");
  const loadBefore = loadAverage();
  const results: { n: number; samples: Record<string, number[]> }[] = [];
  for (const n of sizes) {
    process.stderr.write(`build bench: ${n} routes × ${reps} passes…\n`);
    results.push({ n, samples: runSize(n, reps) });
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
    name: "build",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: { sizes, reps, exposeGc: gcOk, load: { before: loadBefore, after: loadAverage() } },
    metrics,
    samples,
  };
  const cell = (r: (typeof results)[number], k: string): string =>
    `${round(median(r.samples[k]!), 1)} / ${round(percentile(r.samples[k]!, 90), 1)}`;
  const t = table(
    ["routes", "build fresh", "build reused", "setNode fresh", "setNode reused"],
    results.map((r) => [
      r.n,
      cell(r, "fresh_build_cpu_ms"),
      cell(r, "reused_build_cpu_ms"),
      cell(r, "fresh_setNode_cpu_ms"),
      cell(r, "reused_setNode_cpu_ms"),
    ]),
  );
  finish(report, [`CPU ms per pass with one route added, median / p90 (load ${loadBefore} → ${loadAverage()}):\n${t}`]);
}

main();
