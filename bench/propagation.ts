/**
 * End-to-end propagation with real Envoy: a standalone gateway (file provider → translate → XdsCache →
 * delta ADS → host-run Envoy) serving 1,000 HTTPRoutes. Each repetition writes one new file holding one
 * new HTTPRoute and times, from just before the write:
 *   published  the pipeline finished a pass that includes it (watch + debounce + read/parse all files + translate + setNode)
 *   rds sent   the server sent the RouteConfiguration
 *   rds ack    Envoy ACKed it (server event)
 *   first 200  the first 200 through Envoy for the new hostname (polled every ~1 ms from a worker thread,
 *              lib/poller.ts, so the pipeline's event loop does not delay it)
 * and the steps between them, which add up to "write → first 200": write → pass start (beforeTranslate), pass
 * start → setNode (cache change), setNode → route resources sent, sent → ACK, ACK → first 200; plus the longest
 * event-loop block of this process between send and ACK (`BENCH_TRACE=1` prints every xDS event of each step;
 * `BENCH_CPU_PROFILE=<file>` writes a V8 CPU profile of the repetitions),
 * and reports median / p90 / max, plus the control plane's RSS and heap (this process) and Envoy's RSS.
 * Then each repetition changes one of the added routes (a path of its first rule, in its own file) and times the
 * first response that shows the change, counting every other response than 200 while polling.
 * Both kinds of step also count the route bytes sent (RouteConfigurations and, with `--layout vhds`, virtual hosts, with `--layout scoped`, routing scopes).
 *
 *   node --expose-gc dist/bench/propagation.js [--routes 1000] [--reps 10] [--layout scoped|inline|vhds] (scoped: the product default)
 *     [--routes-per-file 2000]
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { filter, firstValueFrom, map, tap, timeout, type Observable, type Subscription } from "rxjs";
import { findEnvoy } from "../operator/src/infra/host/envoy-binary";
import { createLogger } from "../operator/src/log";
import { StandaloneGateway, type PassTiming } from "../operator/src/pipeline/standalone";
import { readDirectory } from "../operator/src/provider/file/file-provider";
import { shortName } from "../operator/src/xds/server/types";
import { TypeUrl } from "../operator/src/xds/types";
import type { RouteLayout } from "../operator/src/xds/translate/vhds";
import { backendObject, gatewayObjects, routeHost, routeObject, toYaml } from "./lib/fixtures";
import {
  envInfo,
  finish,
  fullGc,
  mb,
  median,
  percentile,
  round,
  table,
  type BenchReport,
  type Metric,
} from "./lib/report";
import { arg } from "./lib/cli";
import { startEchoWorker } from "./lib/echo-worker";
import { Poller } from "./lib/poller";
import { coldPageMicros } from "./lib/cold-memory";
import { applyV8Flags } from "../operator/src/cmd/v8-flags";

const STEP_TIMEOUT_MS = Number(process.env.BENCH_STEP_TIMEOUT_MS ?? 30_000);
/**
 * Routes a file of the initial folder (`--routes-per-file`, default 2,000, ~2.9 MB a file: the file provider refuses
 * files over 10 MB); 1 is the folder a GitOps tool writes (a file per object).
 */
const ROUTES_PER_FILE = Number(arg("routes-per-file") ?? 2000);
/** Added routes before the measured repetitions (`--warmup`, default 1). */
const WARMUP = Number(arg("warmup") ?? 1);
/**
 * The pause between repetitions (`--gap-ms`, default 300): long enough for a second watch event and its no-op pass.
 * Shorter pauses keep this process's memory warm on hosts that take idle pages back (lib/cold-memory.ts).
 */
const GAP_MS = Number(arg("gap-ms") ?? process.env.BENCH_GAP_MS ?? 300);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The HTTP poller, in a worker thread (lib/poller.ts); created in main(). */
let poller: Poller;

/** `performance.now()` of this thread for a wall-clock time from the poller's thread. */
const local = (wall: number): number => wall - performance.timeOrigin;

/** Polls until a 200 for `host`; resolves with performance.now() of that response. */
async function first200(port: number, host: string, timeoutMs: number): Promise<number> {
  const r = await poller.poll({ port, host, path: "/", timeoutMs });
  if (Number.isNaN(r.at)) throw new Error(`no 200 for ${host} within ${timeoutMs} ms (last status ${r.lastStatus})`);
  return local(r.at);
}

/** User + system CPU time of a process in ms, from /proc (Linux only; clock ticks of 10 ms). */
async function cpuMsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of the whole line)
  } catch {
    return NaN;
  }
}

/**
 * CPU one route change costs Envoy, without the poller's requests: changes route `idx` to `variant`, waits for the
 * route ACK and 200 ms more, and returns Envoy's CPU time over that window (it also idles: compare layouts).
 */
async function quietChange(
  gw: StandaloneGateway,
  dir: string,
  fx: Fixture,
  idx: number,
  variant: number,
): Promise<number> {
  const pid = gw.runner?.list()[0]?.pid;
  const ackP = routeAck(gw);
  const before = await cpuMsOf(pid);
  await writeFile(
    join(dir, `10-added-${String(idx).padStart(5, "0")}.yaml`),
    toYaml([routeObject(idx, { ...fx, variant })]),
  );
  await ackP;
  await sleep(200);
  return (await cpuMsOf(pid)) - before;
}

/** VmRSS of a process in bytes, from /proc (Linux only). */
async function rssOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Rep {
  /** CPU time of this process (user + system) from just before the write to published. */
  cpu: number;
  published: number;
  pass: number;
  sent: number;
  ack: number;
  ok: number;
  /** From the route resources' send to Envoy's ACK: Envoy's share (plus the network). */
  sentToAck: number;
  /** Route bytes the server sent for this step (RouteConfigurations + virtual hosts). */
  bytes: number;
  /** Write → the pass starts translating (watch, debounce, read + parse). */
  toPassStart: number;
  /** Pass start → `setNode` (translate, build, cache diff). */
  passToSetNode: number;
  /** `setNode` → route resources sent (the rest of the pass's synchronous work, the streams' syncs, encoding). */
  setNodeToSent: number;
  /** Envoy's ACK → the poller's first 200 (negative: Envoy served it before the ACK reached this process). */
  ackToOk: number;
  /** Longest event-loop block of this process between the send and the ACK. */
  loopBlock: number;
}

/** One changed route on an existing hostname. */
interface ChangeRep {
  ack: number;
  ok: number;
  sentToAck: number;
  bytes: number;
  /** Responses other than 200 while polling for the change. */
  failed: number;
  /** Their statuses (0: no response within 5 s or a socket error). */
  failedStatuses: number[];
}

/** The resource types that carry routes. */
const ROUTE_TYPES: readonly string[] = [TypeUrl.Route, TypeUrl.VirtualHost, TypeUrl.ScopedRoute];

interface Fixture {
  readonly port: number;
  readonly backendAddress: { readonly host: string; readonly port: number };
}

interface Measured {
  readonly samples: Rep[];
  readonly changes: ChangeRep[];
  /** Envoy's CPU time per route change, without polling (quietChange). */
  readonly envoyCpuMs: number[];
  readonly readParseMs: number[];
  readonly initialReadyMs: number;
  readonly memory: { rss: number; heapUsed: number; envoyRss?: number };
  /** This host's cost of a page left idle for the gap between repetitions (lib/cold-memory.ts), µs. */
  readonly coldPageUs: number;
}

const at = <T>(o: Observable<T>): Promise<number> =>
  firstValueFrom(
    o.pipe(
      map(() => performance.now()),
      timeout(STEP_TIMEOUT_MS),
    ),
  );

/** Counts the route bytes (encoded RouteConfigurations and virtual hosts) the server sends until `stop()`. */
function countRouteBytes(gw: StandaloneGateway): { stop(): number } {
  let bytes = 0;
  const sub = gw.server.events$.subscribe((e) => {
    if (e.kind !== "sent" || !e.typeUrl || !ROUTE_TYPES.includes(e.typeUrl)) return;
    const byName = gw.cache.getNode(e.nodeId)?.resources.get(e.typeUrl);
    for (const n of e.names ?? []) bytes += byName?.get(n)?.value.value.length ?? 0;
  });
  return {
    stop: (): number => {
      sub.unsubscribe();
      return bytes;
    },
  };
}

/** The first route ACK (RouteConfiguration or virtual host) from now on. */
function routeAck(gw: StandaloneGateway): Promise<number> {
  return at(gw.server.events$.pipe(filter((e) => e.kind === "ack" && ROUTE_TYPES.includes(e.typeUrl ?? ""))));
}

/**
 * What the pipeline and the xDS server did after a file write, in this thread's `performance.now()`: the pass's
 * start (the provider's snapshot reached the translator), the cache's change (`setNode`), the first route resources
 * sent, Envoy's ACK of them, and the longest event-loop block between that send and that ACK (an ACK that arrived
 * while the loop was busy is seen late: that part of "sent → ACK" is this process's, not Envoy's).
 */
class Timeline {
  passStart = NaN;
  setNode = NaN;
  sent = NaN;
  ack = NaN;
  loopBlockMs = NaN;
  private readonly subs: Subscription[] = [];
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  /** Every xDS event of the step, for `BENCH_TRACE=1`. */
  readonly trace: string[] = [];

  constructor(
    gw: StandaloneGateway,
    private readonly t0: number,
  ) {
    passStarts.push((t) => (this.passStart = Number.isNaN(this.passStart) ? t : this.passStart));
    this.subs.push(
      gw.cache.changes$.subscribe(() => {
        if (Number.isNaN(this.setNode)) this.setNode = performance.now();
      }),
      gw.server.events$.subscribe((e) => {
        const now = performance.now();
        if (TRACE) {
          const n = (e.names?.length ?? 0) + (e.removed?.length ?? 0);
          const w = performance.timeOrigin + now;
          const wall =
            new Date(w).toISOString().slice(11, 19) + "." + String(Math.floor((w % 1000) * 1000)).padStart(6, "0");
          this.trace.push(
            `${(now - this.t0).toFixed(1)} (${wall}) ${e.kind} ${shortName(e.typeUrl ?? "")} #${e.streamId} ${n}`,
          );
        }
        if (!e.typeUrl || !ROUTE_TYPES.includes(e.typeUrl)) return;
        if (e.kind === "sent" && Number.isNaN(this.sent)) {
          this.sent = now;
          this.loop.enable();
          this.loop.reset();
        } else if (e.kind === "ack" && Number.isNaN(this.ack)) {
          this.ack = now;
          this.loop.disable();
          this.loopBlockMs = this.loop.max / 1e6;
        }
      }),
    );
  }

  /** Stops recording; prints the trace with `BENCH_TRACE=1`. */
  stop(label: string, timing?: PassTiming): void {
    for (const s of this.subs) s.unsubscribe();
    this.loop.disable();
    passStarts.length = 0;
    if (TRACE) {
      const rel = (t: number | undefined): string => (t === undefined ? "-" : (t - this.t0).toFixed(1));
      const provider = timing
        ? `watch ${rel(timing.changedAt)}, read ${rel(timing.readStartedAt)}–${rel(timing.readEndedAt)}, `
        : "";
      const marks = `${provider}pass start ${rel(this.passStart)}, setNode ${rel(this.setNode)}`;
      process.stderr.write(`  ${label}: ${marks} | ${this.trace.join(" | ")}\n`);
    }
  }
}

/** Called with `performance.now()` when a pass starts translating (StandaloneOptions.beforeTranslate). */
const passStarts: ((t: number) => void)[] = [];
const TRACE = process.env.BENCH_TRACE === "1";

/** Times one added route: from just before the file write to published / sent / ACK / first 200. */
async function addOne(gw: StandaloneGateway, dir: string, fx: Fixture, idx: number): Promise<Rep> {
  const ackP = routeAck(gw);
  const sentP = at(gw.server.events$.pipe(filter((e) => e.kind === "sent" && ROUTE_TYPES.includes(e.typeUrl ?? ""))));
  const bytes = countRouteBytes(gw);
  let passMs = NaN;
  let cpuMs = NaN;
  let timing: PassTiming | undefined;
  const cpu0 = process.cpuUsage();
  const pubP = at(
    gw.events$.pipe(
      filter((e) => e.kind === "published"),
      tap((e) => {
        passMs = e.kind === "published" ? e.pass.ms : NaN;
        if (e.kind === "published" && e.timing) timing = e.timing;
        const c = process.cpuUsage(cpu0);
        cpuMs = (c.user + c.system) / 1000;
      }),
    ),
  );
  const text = toYaml([routeObject(idx, fx)]); // the writer's serialisation is not the pipeline's latency
  const t0 = performance.now();
  const tl = new Timeline(gw, t0);
  const okP = first200(fx.port, routeHost(idx), STEP_TIMEOUT_MS);
  writeFileSync(join(dir, `10-added-${String(idx).padStart(5, "0")}.yaml`), text);
  const [pub, sent, ack, ok] = await Promise.all([pubP, sentP, ackP, okP]);
  await sleep(50); // the ACK of a second response (if any) of the same change
  tl.stop(`add ${idx}`, timing);
  return {
    cpu: cpuMs,
    published: pub - t0,
    pass: passMs,
    sent: sent - t0,
    ack: ack - t0,
    ok: ok - t0,
    sentToAck: ack - sent,
    bytes: bytes.stop(),
    toPassStart: tl.passStart - t0,
    passToSetNode: tl.setNode - tl.passStart,
    setNodeToSent: sent - tl.setNode,
    ackToOk: ok - ack,
    loopBlock: tl.loopBlockMs,
  };
}

/** The path the first rule of route `idx` matches in `variant` (fixtures.ts: `/api/v<k>[-<variant>]`). */
function changedPath(idx: number, variant: number): string {
  return `/api/v${1 + (idx % 3)}-${variant}`;
}

/**
 * Changes route `idx` (an added one, in its own file) to `variant` and times the first response through its new
 * path that went through the changed rule (its `x-route` header), polling from just before the write; until then
 * the path falls through to the route's catch-all rule, so every response must be a 200.
 */
async function changeOne(
  gw: StandaloneGateway,
  dir: string,
  fx: Fixture,
  idx: number,
  variant: number,
): Promise<ChangeRep> {
  const ackP = routeAck(gw);
  const sentP = at(gw.server.events$.pipe(filter((e) => e.kind === "sent" && ROUTE_TYPES.includes(e.typeUrl ?? ""))));
  const bytes = countRouteBytes(gw);
  const text = toYaml([routeObject(idx, { ...fx, variant })]); // the writer's serialisation is not the latency
  const t0 = performance.now();
  // Until the change, the path falls through to the route's catch-all rule: every response must be a 200.
  const pollP = poller.poll({
    port: fx.port,
    host: routeHost(idx),
    path: changedPath(idx, variant),
    marker: '"x-route"',
    timeoutMs: STEP_TIMEOUT_MS,
  });
  writeFileSync(join(dir, `10-added-${String(idx).padStart(5, "0")}.yaml`), text);
  const r = await pollP;
  const ok = local(r.at);
  if (Number.isNaN(ok)) throw new Error(`route ${idx} did not change within ${STEP_TIMEOUT_MS} ms`);
  const failedStatuses = [...r.failedStatuses];
  const failed = failedStatuses.length;
  const [ack, sent] = await Promise.all([ackP, sentP]);
  await sleep(50);
  return { ack: ack - t0, ok: ok - t0, sentToAck: ack - sent, bytes: bytes.stop(), failed, failedStatuses };
}

/**
 * With `BENCH_CPU_PROFILE=<file>`, records a V8 CPU profile of this process over the repetitions only (not the
 * start-up); the returned function stops it and writes the `.cpuprofile`.
 */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    process.stderr.write(`  CPU profile of the repetitions: ${file}\n`);
  };
}

/** Starts the gateway on `dir`, waits for Envoy to serve, runs the repetitions and samples memory. */
async function measure(
  gw: StandaloneGateway,
  dir: string,
  fx: Fixture,
  nRoutes: number,
  reps: number,
): Promise<Omit<Measured, "coldPageUs">> {
  process.stderr.write(`propagation bench: starting gateway + Envoy with ${nRoutes} routes…\n`);
  const tStart = performance.now();
  await gw.start();
  await first200(fx.port, routeHost(0), 2 * STEP_TIMEOUT_MS);
  const initialReadyMs = performance.now() - tStart;

  // How much of a pass is the file provider re-reading and re-parsing every file.
  const readParseMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await readDirectory(dir);
    readParseMs.push(performance.now() - t0);
  }

  const profile = await startProfile();
  const samples: Rep[] = [];
  for (let rep = -WARMUP; rep < reps; rep++) {
    // Negative reps are warm-ups.
    const r = await addOne(gw, dir, fx, nRoutes + WARMUP + rep);
    if (rep >= 0) samples.push(r);
    process.stderr.write(`  rep ${rep < 0 ? "warm-up" : rep}: ack ${r.ack.toFixed(1)} ms, 200 ${r.ok.toFixed(1)} ms\n`);
    await sleep(GAP_MS); // let a possible second watch event (and its no-op pass) settle
  }
  const changes: ChangeRep[] = [];
  for (let rep = -1; rep < reps; rep++) {
    const c = await changeOne(gw, dir, fx, nRoutes + WARMUP + Math.max(rep, 0), rep + 2);
    if (rep >= 0) changes.push(c);
    process.stderr.write(
      `  change ${rep < 0 ? "warm-up" : rep}: ack ${c.ack.toFixed(1)} ms, seen ${c.ok.toFixed(1)} ms, ${c.bytes} B, ` +
        `${c.failed} failed ${JSON.stringify(c.failedStatuses)}\n`,
    );
    await sleep(GAP_MS);
  }

  const envoyCpuMs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    envoyCpuMs.push(await quietChange(gw, dir, fx, nRoutes + WARMUP + rep, 100 + rep));
    await sleep(GAP_MS);
  }
  process.stderr.write(`  Envoy CPU per quiet change (ms): ${JSON.stringify(envoyCpuMs)}\n`);
  await profile?.();

  fullGc();
  const mu = process.memoryUsage();
  const envoyRss = await rssOf(gw.runner?.list()[0]?.pid);
  return {
    samples,
    changes,
    envoyCpuMs,
    readParseMs,
    initialReadyMs,
    memory: { rss: mu.rss, heapUsed: mu.heapUsed, envoyRss },
  };
}

const LABELS: [keyof Rep, string][] = [
  ["cpu", "CPU of this process, write → published"],
  ["pass", "pipeline pass (translate+build+setNode)"],
  ["published", "write → published"],
  ["sent", "write → RDS sent"],
  ["ack", "write → RDS ACK (Envoy)"],
  ["ok", "write → first 200 via Envoy"],
  ["toPassStart", "step 1: write → pass start (watch, read, parse)"],
  ["passToSetNode", "step 2: pass start → setNode (translate, build)"],
  ["setNodeToSent", "step 3: setNode → route resources sent"],
  ["sentToAck", "step 4: route sent → ACK (Envoy's share)"],
  ["ackToOk", "step 5: ACK → first 200 (poller thread)"],
  ["loopBlock", "longest event-loop block of this process, sent → ACK"],
];

function report(m: Measured, params: Record<string, unknown>, nRoutes: number, reps: number): void {
  const col = (k: keyof Rep): number[] => m.samples.map((s) => s[k]);
  const metrics: Record<string, Metric> = {};
  const rows: (string | number)[][] = [];
  for (const [k, label] of LABELS) {
    const xs = col(k);
    const s = { median: median(xs), p90: percentile(xs, 90), max: Math.max(...xs) };
    metrics[`${k}_ms.median`] = { value: round(s.median), unit: "ms" };
    metrics[`${k}_ms.p90`] = { value: round(s.p90), unit: "ms" };
    metrics[`${k}_ms.max`] = { value: round(s.max), unit: "ms" };
    rows.push([label, s.median, s.p90, s.max]);
  }
  metrics["add_route_bytes.median"] = { value: median(col("bytes")), unit: "B" };
  const ch = (k: Exclude<keyof ChangeRep, "failedStatuses">): number[] => m.changes.map((c) => c[k]);
  const changeRows: (string | number)[][] = [];
  for (const [k, label] of [
    ["ack", "write → route ACK (Envoy)"],
    ["ok", "write → first response of the changed rule"],
    ["sentToAck", "route sent → ACK (Envoy's share)"],
  ] as const) {
    const xs = ch(k);
    metrics[`change_${k}_ms.median`] = { value: round(median(xs)), unit: "ms" };
    metrics[`change_${k}_ms.p90`] = { value: round(percentile(xs, 90)), unit: "ms" };
    changeRows.push([label, median(xs), percentile(xs, 90), Math.max(...xs)]);
  }
  metrics["envoy_cpu_per_change_ms.median"] = { value: median(m.envoyCpuMs), unit: "ms" };
  metrics["change_route_bytes.median"] = { value: median(ch("bytes")), unit: "B" };
  metrics["change_failed_requests"] = { value: ch("failed").reduce((a, b) => a + b, 0), unit: "count" };
  metrics["provider_read_parse_ms.median"] = { value: round(median(m.readParseMs)), unit: "ms" };
  metrics["initial_ready_ms"] = { value: round(m.initialReadyMs), unit: "ms" };
  metrics["machine_cold_page_us"] = { value: round(m.coldPageUs), unit: "µs" };
  metrics["cp_rss_MB"] = { value: round(mb(m.memory.rss), 1), unit: "MB" };
  metrics["cp_heap_used_MB"] = { value: round(mb(m.memory.heapUsed), 1), unit: "MB" };
  if (m.memory.envoyRss !== undefined) metrics["envoy_rss_MB"] = { value: round(mb(m.memory.envoyRss), 1), unit: "MB" };

  const out: BenchReport = {
    name: "propagation",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params,
    metrics,
    samples: {
      ...Object.fromEntries(LABELS.map(([k]) => [`${k}_ms`, col(k).map((x) => round(x))])),
      add_route_bytes: col("bytes"),
      change_ack_ms: ch("ack").map((x) => round(x)),
      change_ok_ms: ch("ok").map((x) => round(x)),
      change_route_bytes: ch("bytes"),
      change_failed: ch("failed"),
      change_failed_statuses: m.changes.flatMap((c) => c.failedStatuses),
      envoy_cpu_per_change_ms: m.envoyCpuMs,
    },
  };
  const latency = table(["step (ms, from just before the file write)", "median", "p90", "max"], rows);
  const other = table(
    ["other", "value"],
    [
      ["Envoy CPU per route change, no polling (ms, median; 10 ms ticks)", median(m.envoyCpuMs)],
      ["route bytes sent per added route (median)", median(col("bytes"))],
      ["route bytes sent per changed route (median)", median(ch("bytes"))],
      ["non-200 responses while routes changed (total)", ch("failed").reduce((a, b) => a + b, 0)],
      ["provider read+parse of all files (ms, median of 5)", median(m.readParseMs)],
      [`cold start: start() → first 200 with ${nRoutes} routes (ms)`, m.initialReadyMs],
      [`this host: µs to read a page left idle ${GAP_MS} ms (the gap between repetitions)`, m.coldPageUs],
      ["control plane RSS after (MB)", mb(m.memory.rss)],
      ["control plane heap used after GC (MB)", mb(m.memory.heapUsed)],
      ["Envoy RSS after (MB)", m.memory.envoyRss !== undefined ? mb(m.memory.envoyRss) : NaN],
    ],
  );
  const changed = table(
    ["changed route on its hostname (ms, from just before the write)", "median", "p90", "max"],
    changeRows,
  );
  finish(out, [
    `${reps} repetitions (after ${WARMUP} warm-up, ${GAP_MS} ms apart), ${nRoutes} routes loaded:\n` + latency,
    changed,
    other,
  ]);
}

async function main(): Promise<void> {
  // The V8 flags `egts standalone` sets before loading its pipeline (EGTS_V8_FLAGS, ADR 0041): this process is the
  // control plane, and its pipeline's functions compile on their first call, after this.
  const v8Flags = applyV8Flags();
  const nRoutes = Number(arg("routes") ?? process.env.BENCH_ROUTES ?? 1000);
  const reps = Number(arg("reps") ?? process.env.BENCH_REPS ?? 10);
  const asked = arg("layout") ?? process.env.BENCH_LAYOUT ?? "scoped";
  const layout: RouteLayout = asked === "vhds" || asked === "inline" ? asked : "scoped";
  const gcOk = fullGc();
  if (!gcOk) process.stderr.write("warning: run with `node --expose-gc` for meaningful heap numbers\n");
  // Before the gateway starts: what this host charges per page this process leaves idle as long as the gap.
  const coldPageUs = await coldPageMicros(GAP_MS);
  fullGc();

  const envoyBin = findEnvoy();
  const echo = await startEchoWorker("bench");
  const fx: Fixture = { port: await freePort(), backendAddress: { host: "127.0.0.1", port: echo.port } };
  const dir = await mkdtemp(join(tmpdir(), "egts-bench-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "egts-bench-state-"));
  await writeFile(join(dir, "00-gateway.yaml"), toYaml(gatewayObjects(fx)));
  await writeFile(join(dir, "01-backends.yaml"), toYaml(Array.from({ length: 100 }, (_, j) => backendObject(j, fx))));
  for (let start = 0; start < nRoutes; start += ROUTES_PER_FILE) {
    const routes = Array.from({ length: Math.min(ROUTES_PER_FILE, nRoutes - start) }, (_, k) =>
      routeObject(start + k, fx),
    );
    await writeFile(join(dir, `02-routes-${String(start / ROUTES_PER_FILE).padStart(5, "0")}.yaml`), toYaml(routes));
  }

  const gw = new StandaloneGateway({
    configDir: dir,
    envoyBin,
    xdsPort: 0,
    listenAddress: "127.0.0.1",
    stateDir,
    logger: createLogger(process.env.BENCH_LOG === "info" ? "info" : "warn", (line) =>
      process.stderr.write(line + "\n"),
    ),
    envoyOutput: "ignore",
    backends: { enabled: true, allow: ["Loopback"] }, // the echo backend listens on 127.0.0.1
    routeLayout: layout,
    beforeTranslate: () => {
      const t = performance.now();
      for (const f of passStarts) f(t);
    },
  });
  poller = new Poller();
  let m: Measured;
  try {
    m = { ...(await measure(gw, dir, fx, nRoutes, reps)), coldPageUs };
  } finally {
    await poller.close();
    await gw.stop();
    await echo.close();
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
  const params = {
    routes: nRoutes,
    reps,
    layout,
    gapMs: GAP_MS,
    routesPerFile: ROUTES_PER_FILE,
    warmup: WARMUP,
    v8Flags,
    exposeGc: gcOk,
    envoyBin,
    note: "control plane = this process; the echo backend and the HTTP poller run in worker threads",
  };
  report(m, params, nRoutes, reps);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`propagation bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
