/**
 * Control-plane cost of a full translation at 1k / 5k / 10k HTTPRoutes, without Envoy:
 *   translate()          snapshot → statuses + IR (cold: new copies of the input, no memoised route reused)
 *   translate 1-changed  translate() of the input with one route changed, right after the input (memo warm)
 *   buildNodeResources() IR → packed Envoy resources (the RouteConfiguration is one resource)
 *   setNode first        hashing + storing everything in a fresh XdsCache
 *   setNode 1 changed    the same cache after one route changed (what a steady-state update costs there)
 *   split                splitVirtualHosts(): the same resources in the VHDS layout (ADR 0008)
 *   setNode 1 changed VHDS the one-route change in that layout: split (reusing the published virtual hosts) + setNode
 * plus the heap retained by input + IR + resources + cache, the encoded RouteConfiguration size, and the route
 * bytes one changed route sends in each layout (what the diff upserts).
 *
 *   node --expose-gc dist/bench/translate.js [--sizes 1000,5000,10000] [--iterations 5]
 */
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { XdsCache } from "../operator/src/xds/cache/snapshot-cache";
import { buildNodeResources, type NodeResources } from "../operator/src/xds/translate/resources";
import { splitVirtualHosts } from "../operator/src/xds/translate/vhds";
import type { CacheDiff } from "../operator/src/xds/cache/snapshot-cache";
import { TypeUrl, SHORT_NAME } from "../operator/src/xds/types";
import { buildObjects, routeObject, TRANSLATE_OPTIONS } from "./lib/fixtures";
import { envInfo, finish, fullGc, mb, median, round, table, type BenchReport, type Metric } from "./lib/report";
import { arg } from "./lib/cli";

interface SizeResult {
  readonly n: number;
  readonly samples: Record<string, number[]>;
  readonly heapUsedMB: number;
  readonly heapRetainedMB: number;
  readonly routeConfigBytes: number;
  readonly totalBytes: number;
  readonly counts: { virtualHosts: number; routes: number; clusters: number };
  readonly changedUpserts: string;
  /** Route bytes (RouteConfigurations + virtual hosts) the one-route change upserts, per layout. */
  readonly changedRouteBytes: { inline: number; vhds: number };
  readonly vhdsUpserts: string;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

function bytesOf(res: NodeResources, typeUrl?: string): number {
  let n = 0;
  for (const [t, byName] of res)
    if (typeUrl === undefined || t === typeUrl) for (const a of byName.values()) n += a.value.length;
  return n;
}

/** Encoded bytes of the route resources a diff upserts. */
function upsertedRouteBytes(diff: CacheDiff, res: NodeResources): number {
  let n = 0;
  for (const t of [TypeUrl.Route, TypeUrl.VirtualHost])
    for (const name of diff.types.get(t)?.upserted ?? []) n += res.get(t)?.get(name)?.value.length ?? 0;
  return n;
}

/** `type:upserted+removed-` per changed type. */
function diffText(diff: CacheDiff): string {
  return [...diff.types].map(([t, d]) => `${SHORT_NAME[t] ?? t}:${d.upserted.length}+${d.removed.length}-`).join(" ");
}

function runSize(n: number, iterations: number): SizeResult {
  fullGc();
  const heapBase = process.memoryUsage().heapUsed;

  const objects = buildObjects(n);
  const snapshot = snapshotFromObjects(objects);
  // The same input with one route (in the middle) changed: one path value differs.
  const changedIdx = objects.findIndex((o) => o.kind === "HTTPRoute") + Math.floor(n / 2);
  const changedObjects = [...objects];
  changedObjects[changedIdx] = routeObject(Math.floor(n / 2), { variant: 1 });
  const changedSnapshot = snapshotFromObjects(changedObjects);

  // The changed input's resources, built once outside the timed region (setNode does not mutate them).
  const res2 = buildNodeResources(translate(changedSnapshot, TRANSLATE_OPTIONS).xdsIr[0]!);
  const split2 = splitVirtualHosts(res2);

  const samples: Record<string, number[]> = {
    translate_ms: [],
    translate_changed_ms: [],
    build_ms: [],
    setNode_first_ms: [],
    setNode_changed_ms: [],
    setNode_noop_ms: [],
    split_ms: [],
    setNode_changed_vhds_ms: [],
  };
  // The last iteration's output, kept alive for the heap measurement (emptied before each iteration's GC).
  const held: { result: ReturnType<typeof translate>; res: NodeResources; cache: XdsCache }[] = [];
  let changedUpserts = "";
  let vhdsUpserts = "";
  const changedRouteBytes = { inline: 0, vhds: 0 };
  for (let it = -1; it < iterations; it++) {
    // it = -1 is a warm-up (JIT), not recorded. Each iteration starts from a collected heap.
    held.length = 0;
    fullGc();
    // A cold translation: new copies of the input, so nothing the per-route compile memo holds is reused (ADR 0009).
    const cold = snapshotFromObjects(structuredClone(objects));
    const [result, tTranslate] = time(() => translate(cold, TRANSLATE_OPTIONS));
    // The incremental case: the memo holds the input's routes, then one route changes.
    translate(snapshot, TRANSLATE_OPTIONS);
    const [, tTranslateChanged] = time(() => translate(changedSnapshot, TRANSLATE_OPTIONS));
    const ir = result.xdsIr[0];
    if (!ir || result.xdsIr.length !== 1) throw new Error(`expected one Gateway IR, got ${result.xdsIr.length}`);
    const [res, tBuild] = time(() => buildNodeResources(ir));

    const cache = new XdsCache();
    const [, tFirst] = time(() => cache.setNode(ir.name, res));
    const [diff, tChanged] = time(() => cache.setNode(ir.name, res2));
    const [noop, tNoop] = time(() => cache.setNode(ir.name, res2));
    if (noop.empty !== true) throw new Error("setting the same resources twice was not a no-op");
    changedUpserts = diffText(diff);
    changedRouteBytes.inline = upsertedRouteBytes(diff, res2);
    const [split, tSplit] = time(() => splitVirtualHosts(res));
    const vcache = new XdsCache();
    vcache.setNode(ir.name, split);
    // As the pipeline does: split the next pass's resources reusing the published virtual hosts, then set them.
    const [vdiff, tChangedVhds] = time(() =>
      vcache.setNode(ir.name, splitVirtualHosts(res2, vcache.getNode(ir.name)?.resources.get(TypeUrl.VirtualHost))),
    );
    vhdsUpserts = diffText(vdiff);
    changedRouteBytes.vhds = upsertedRouteBytes(vdiff, split2);
    if (it >= 0) {
      samples.translate_ms!.push(tTranslate);
      samples.translate_changed_ms!.push(tTranslateChanged);
      samples.build_ms!.push(tBuild);
      samples.setNode_first_ms!.push(tFirst);
      samples.setNode_changed_ms!.push(tChanged);
      samples.setNode_noop_ms!.push(tNoop);
      samples.split_ms!.push(tSplit);
      samples.setNode_changed_vhds_ms!.push(tChangedVhds);
    }
    held.push({ result, res, cache });
  }
  const k = held[0]!;
  const routes = k.res.get(TypeUrl.Route)!;
  const ir = k.result.xdsIr[0]!;
  const vhosts = ir.http.reduce((s, l) => s + l.virtualHosts.length, 0);
  const nRoutes = ir.http.reduce((s, l) => s + l.virtualHosts.reduce((a, v) => a + v.routes.length, 0), 0);
  const counts = { virtualHosts: vhosts, routes: nRoutes, clusters: ir.clusters.length };
  const routeConfigBytes = bytesOf(k.res, TypeUrl.Route);
  const totalBytes = bytesOf(k.res);
  if (routes.size !== 1) throw new Error(`expected one RouteConfiguration, got ${routes.size}`);

  // Heap with input objects, both snapshots, one translation result, its resources and the cache alive.
  fullGc();
  const heapUsed = process.memoryUsage().heapUsed;
  void [objects, snapshot, changedSnapshot, res2, held];
  return {
    n,
    samples,
    heapUsedMB: mb(heapUsed),
    heapRetainedMB: mb(heapUsed - heapBase),
    routeConfigBytes,
    totalBytes,
    counts,
    changedUpserts,
    changedRouteBytes,
    vhdsUpserts,
  };
}

function main(): void {
  const sizes = (arg("sizes") ?? process.env.BENCH_SIZES ?? "1000,5000,10000").split(",").map(Number);
  const iterations = Number(arg("iterations") ?? process.env.BENCH_ITERATIONS ?? 5);
  const gcOk = fullGc();
  if (!gcOk)
    process.stderr.write("warning: run with `node --expose-gc` for meaningful heap numbers and steadier timings\n");

  const results: SizeResult[] = [];
  for (const n of sizes) {
    process.stderr.write(`translate bench: ${n} routes × ${iterations} iterations…\n`);
    results.push(runSize(n, iterations));
  }

  const metrics: Record<string, Metric> = {};
  const samples: Record<string, number[]> = {};
  for (const r of results) {
    for (const [k, xs] of Object.entries(r.samples)) {
      metrics[`n=${r.n}/${k}.median`] = { value: round(median(xs)), unit: "ms" };
      samples[`n=${r.n}/${k}`] = xs.map((x) => round(x));
    }
    metrics[`n=${r.n}/heap_used_MB`] = { value: round(r.heapUsedMB, 1), unit: "MB" };
    metrics[`n=${r.n}/heap_retained_MB`] = { value: round(r.heapRetainedMB, 1), unit: "MB" };
    metrics[`n=${r.n}/route_config_KB`] = { value: round(r.routeConfigBytes / 1024, 1), unit: "KB" };
    metrics[`n=${r.n}/change_route_bytes_inline`] = { value: r.changedRouteBytes.inline, unit: "B" };
    metrics[`n=${r.n}/change_route_bytes_vhds`] = { value: r.changedRouteBytes.vhds, unit: "B" };
  }
  const report: BenchReport = {
    name: "translate",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: {
      sizes,
      iterations,
      exposeGc: gcOk,
      fixture:
        "1 Gateway / 1 HTTP listener, 100 Backends; per route: own hostname, 2 rules, 4 matches, 1 header filter, weighted backends",
      details: Object.fromEntries(
        results.map((r) => [
          `n=${r.n}`,
          {
            ...r.counts,
            totalResourceKB: round(r.totalBytes / 1024, 1),
            changedDiff: r.changedUpserts,
            changedDiffVhds: r.vhdsUpserts,
          },
        ]),
      ),
    },
    metrics,
    samples,
  };
  const med = (r: SizeResult, k: string): number => median(r.samples[k]!);
  const main = table(
    [
      "routes",
      "translate ms",
      "translate 1-chg ms",
      "build ms",
      "setNode 1st ms",
      "setNode 1-changed ms",
      "setNode no-op ms",
      "heap used MB",
      "heap retained MB",
      "RouteConfig KB",
      "split ms",
      "split+setNode 1-changed VHDS ms",
    ],
    results.map((r) => [
      r.n,
      med(r, "translate_ms"),
      med(r, "translate_changed_ms"),
      med(r, "build_ms"),
      med(r, "setNode_first_ms"),
      med(r, "setNode_changed_ms"),
      med(r, "setNode_noop_ms"),
      r.heapUsedMB,
      r.heapRetainedMB,
      r.routeConfigBytes / 1024,
      med(r, "split_ms"),
      med(r, "setNode_changed_vhds_ms"),
    ]),
  );
  const shape = table(
    [
      "routes",
      "virtual hosts",
      "envoy routes",
      "clusters",
      "all resources KB",
      "diff after 1 route changed (type:upserted+removed-)",
      "route B sent",
      "VHDS diff",
      "VHDS route B sent",
    ],
    results.map((r) => [
      r.n,
      r.counts.virtualHosts,
      r.counts.routes,
      r.counts.clusters,
      r.totalBytes / 1024,
      r.changedUpserts || "(none)",
      r.changedRouteBytes.inline,
      r.vhdsUpserts || "(none)",
      r.changedRouteBytes.vhds,
    ]),
  );
  finish(report, [`medians of ${iterations} iterations (after 1 warm-up):\n` + main, shape]);
}

main();
