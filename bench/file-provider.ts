/**
 * The standalone file provider's share of propagation (ADR 0019), without Envoy: a folder of N HTTPRoutes (the
 * propagation bench's fixture) read by a standalone gateway with no proxies; each repetition writes one file (a new
 * route, then a change of it) and takes, from the published pass's timing (standalone.ts `PassTiming`):
 *   watch      write → first watch event
 *   debounce   first watch event → read start (the quiet period)
 *   read       read start → event ready (read, parse, assemble the snapshot)
 *   queue      event ready → pass start
 *   start      write → pass start (the four steps above: the provider's whole share)
 *   pass       translate + build + publish (PassResult.ms)
 *   rest       the pass's other steps (prepare, statuses, NACK bookkeeping)
 *   published  write → published
 * and the CPU of this process from the write to published. Then `readDirectory` alone with a warm cache, one file
 * changed: named by the watch, and not named (every file's stat checked).
 *
 *   node --expose-gc dist/bench/file-provider.js [--routes 3000] [--reps 20]
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, timeout } from "rxjs";
import { createLogger } from "../operator/src/log";
import { StandaloneGateway, type PipelineEvent } from "../operator/src/pipeline/standalone";
import { FolderCache, readDirectory } from "../operator/src/provider/file/file-provider";
import { backendObject, gatewayObjects, routeObject, toYaml } from "./lib/fixtures";
import { arg } from "./lib/cli";
import { envInfo, finish, loadAverage, median, percentile, round, table, type Metric } from "./lib/report";

const ROUTES_PER_FILE = 2000;
const STEPS = ["watch", "debounce", "read", "queue", "start", "pass", "rest", "published", "cpu"] as const;
type Step = (typeof STEPS)[number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function fixtureFolder(n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "egts-bench-provider-"));
  const fx = { backendAddress: { host: "127.0.0.1", port: 9 } };
  await writeFile(join(dir, "00-gateway.yaml"), toYaml(gatewayObjects(fx)));
  await writeFile(join(dir, "01-backends.yaml"), toYaml(Array.from({ length: 100 }, (_, j) => backendObject(j, fx))));
  for (let start = 0; start < n; start += ROUTES_PER_FILE) {
    const routes = Array.from({ length: Math.min(ROUTES_PER_FILE, n - start) }, (_, k) => routeObject(start + k, fx));
    await writeFile(join(dir, `02-routes-${String(start / ROUTES_PER_FILE).padStart(3, "0")}.yaml`), toYaml(routes));
  }
  return dir;
}

/** Writes one route file and returns the steps of the pass that published it. */
async function step(
  gw: StandaloneGateway,
  dir: string,
  file: string,
  idx: number,
  variant: number,
): Promise<Record<Step, number>> {
  const published = firstValueFrom(
    gw.events$.pipe(
      filter((e): e is Extract<PipelineEvent, { kind: "published" }> => e.kind === "published"),
      timeout(30_000),
    ),
  );
  const text = toYaml([routeObject(idx, { variant })]); // the writer's serialisation is not the provider's latency
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  writeFileSync(join(dir, file), text);
  const e = await published;
  const at = performance.now();
  const c = process.cpuUsage(cpu0);
  const t = e.timing;
  if (t?.changedAt === undefined || t.readStartedAt === undefined || t.readEndedAt === undefined)
    throw new Error("a published pass without the provider's timing");
  const out: Record<Step, number> = {
    watch: t.changedAt - t0,
    debounce: t.readStartedAt - t.changedAt,
    read: t.readEndedAt - t.readStartedAt,
    queue: t.passStartedAt - t.readEndedAt,
    start: t.passStartedAt - t0,
    pass: e.pass.ms,
    rest: t.passEndedAt - t.passStartedAt - e.pass.ms,
    published: at - t0,
    cpu: (c.user + c.system) / 1000,
  };
  return out;
}

/** CPU milliseconds of this process while `work` runs (other work of the process included: nothing else runs). */
async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const c = process.cpuUsage();
  await work();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
}

/** `readDirectory` with a warm cache after one file changed: CPU ms per read, named and not named. */
async function readCosts(dir: string, reps: number): Promise<{ named: number[]; statted: number[] }> {
  const cache = new FolderCache();
  await readDirectory(dir, cache);
  const named: number[] = [];
  const statted: number[] = [];
  for (let i = 0; i < reps; i++) {
    const file = `10-read-${i % 5}.yaml`;
    await writeFile(join(dir, file), toYaml([routeObject(90_000 + i, { variant: i })]));
    named.push(await cpuMs(() => readDirectory(dir, cache, undefined, [], new Set([file]))));
    await writeFile(join(dir, file), toYaml([routeObject(90_000 + i, { variant: i + 1 })]));
    statted.push(await cpuMs(() => readDirectory(dir, cache)));
  }
  return { named, statted };
}

async function main(): Promise<void> {
  const n = Number(arg("routes") ?? 3000);
  const reps = Number(arg("reps") ?? 20);
  const loadBefore = loadAverage();
  const dir = await fixtureFolder(n);
  const stateDir = await mkdtemp(join(tmpdir(), "egts-bench-provider-state-"));
  const gw = new StandaloneGateway({
    configDir: dir,
    xdsPort: 0,
    stateDir,
    logger: createLogger("warn", (line) => process.stderr.write(line + "\n")),
    backends: { enabled: true, allow: ["Loopback"] },
  });
  const rows: Record<Step, number[]> = Object.fromEntries(STEPS.map((s) => [s, []])) as unknown as Record<
    Step,
    number[]
  >;
  let reads: { named: number[]; statted: number[] };
  try {
    await gw.start();
    for (let rep = -2; rep < reps; rep++) {
      await sleep(300);
      const file = `10-added-${Math.floor((rep + 2) / 2)}.yaml`; // add, then change
      const r = await step(gw, dir, file, n + Math.floor((rep + 2) / 2), rep);
      if (rep >= 0) for (const s of STEPS) rows[s].push(r[s]);
    }
  } finally {
    await gw.stop();
  }
  try {
    reads = await readCosts(dir, reps);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
  const metrics: Record<string, Metric> = {};
  const tableRows: (string | number)[][] = [];
  for (const s of STEPS) {
    metrics[`${s}_ms.median`] = { value: round(median(rows[s])), unit: "ms" };
    metrics[`${s}_ms.p90`] = { value: round(percentile(rows[s], 90)), unit: "ms" };
    tableRows.push([s, median(rows[s]), percentile(rows[s], 90), Math.max(...rows[s])]);
  }
  metrics["read_named_cpu_ms.median"] = { value: round(median(reads.named)), unit: "ms" };
  metrics["read_statted_cpu_ms.median"] = { value: round(median(reads.statted)), unit: "ms" };
  const load = `${loadBefore} → ${loadAverage()}`;
  finish(
    {
      name: "file-provider",
      finishedAt: new Date().toISOString(),
      env: envInfo(),
      params: { routes: n, reps, load },
      metrics,
      samples: Object.fromEntries(STEPS.map((s) => [`${s}_ms`, rows[s].map((x) => round(x))])),
    },
    [
      `${reps} writes (after 2 warm-ups), ${n} routes, no Envoy; load ${load}\n` +
        table(["step (ms)", "median", "p90", "max"], tableRows),
      table(
        ["readDirectory, warm cache, one file changed", "CPU ms median", "p90"],
        [
          ["named by the watch", median(reads.named), percentile(reads.named, 90)],
          ["not named (every file's stat checked)", median(reads.statted), percentile(reads.statted, 90)],
        ],
      ),
    ],
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`file-provider bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
