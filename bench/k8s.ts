/**
 * The gateway-api-bench scenarios against our Kubernetes stack (issue 18 part 2), on the e2e harness's real
 * kube-apiserver with the controller as its own process (the real `egts controller`, bench/k8s/controller-process.ts)
 * and the Gateway's real Envoy pod (bench/k8s/stack.ts):
 *   attach       create 1,000 HTTPRoutes: time until a watch sees attachedRoutes = 1,000; the target's part is the
 *                controller's, gateway-api-bench's "setup time" (from the last create answered on), the API
 *                server's (until then) apart; status writes the API server got, the Gateway's updates
 *   propagation  with 3,000 routes, create one more: p50/p99 until its first 200 through Envoy, non-404s before
 *   change       a route with policies changed every 200 ms under load: non-2xx answers
 *   scale        CPU, RSS (and peak) and heap of the controller at 5,000 routes
 *   churn        create/change/delete every 200 ms for --minutes (default 30): RSS and heap slope
 * Each scenario grows the routes it needs (0 → attach → existing → scale), so any subset runs alone.
 *
 *   flock /tmp/egts-e2e.lock node dist/bench/k8s.js [--scenarios attach,propagation,change,scale,churn]
 *     [--attach 1000] [--existing 3000] [--reps 30] [--change-seconds 20] [--scale 5000] [--minutes 30]
 *     [--heap-snapshot]   (writes the controller's heap snapshot at the end of `scale`, into its temporary folder)
 *     [--controller-flags "--max-semi-space-size=4 --cpu-prof"]   (node flags of the controller process)
 */
import { coldPageMicros } from "./lib/cold-memory";
import { percentile, envInfo, finish, loadAverage, median, round, table, type Metric } from "./lib/report";
import { attach, type AttachResult } from "./k8s/attach";
import { propagation, type PropagationResult } from "./k8s/propagate";
import { attachPolicies, routeChange, type RouteChangeResult } from "./k8s/route-change";
import { churn, IDLE_S, scale, type ChurnResult, type ScaleResult } from "./k8s/scale";
import { startStack, type Stack } from "./k8s/stack";
import { arg } from "./lib/cli";

const SCENARIOS = ["attach", "propagation", "change", "scale", "churn"] as const;
type Scenario = (typeof SCENARIOS)[number];

const num = (name: string, fallback: number): number => Number(arg(name) ?? fallback);
const log = (line: string): void => void process.stderr.write(`k8s bench: ${line}\n`);

interface Results {
  attach?: AttachResult;
  propagation?: PropagationResult;
  change?: RouteChangeResult;
  scale?: ScaleResult;
  churn?: ChurnResult;
  /** Load average when each scenario ended. */
  load: Partial<Record<Scenario, string>>;
}

/** Routes 0..count-1 exist; grows them to `to` and waits until attached and served. */
async function grow(stack: Stack, count: number, to: number): Promise<number> {
  if (to <= count) return count;
  log(`creating routes ${count}..${to - 1}…`);
  await stack.createRoutes(count, to);
  await stack.waitAttached(to, 300_000, 200);
  await stack.waitServed(to - 1, 300_000);
  return to;
}

/** Makes the controller write a heap snapshot (its --heapsnapshot-signal) and logs where. */
async function heapSnapshot(stack: Stack): Promise<void> {
  stack.controller.signal("SIGUSR2");
  log(`heap snapshot requested: Heap.*.heapsnapshot in the controller's folder ${stack.controller.cwd}`);
  await new Promise((r) => setTimeout(r, 20_000));
}

async function runAll(stack: Stack, wanted: ReadonlySet<Scenario>, r: Results): Promise<void> {
  let count = 0;
  if (wanted.has("attach")) {
    const n = num("attach", 1000);
    log(`attach: ${n} routes…`);
    r.attach = await attach(stack, 0, n);
    count = n;
    r.load.attach = loadAverage();
  }
  if (wanted.has("propagation") || wanted.has("change")) count = await grow(stack, count, num("existing", 3000));
  if (wanted.has("propagation")) {
    const reps = num("reps", 30);
    log(`propagation: ${reps} new routes with ${count} existing…`);
    r.propagation = await propagation(stack, count, reps);
    count += reps + 1;
    r.load.propagation = loadAverage();
  }
  if (wanted.has("change")) {
    log("change: policies on 10 routes, one changed every 200 ms under load…");
    await attachPolicies(stack, 10);
    r.change = await routeChange(stack, 10, num("change-seconds", 20));
    r.load.change = loadAverage();
  }
  if (wanted.has("scale") || wanted.has("churn")) {
    const to = Math.max(count, num("scale", 5000));
    log(`scale: ${count} → ${to} routes…`);
    r.scale = await scale(stack, count, to);
    count = to;
    if (process.argv.includes("--heap-snapshot")) await heapSnapshot(stack);
    r.load.scale = loadAverage();
  }
  if (wanted.has("churn")) {
    const minutes = num("minutes", 30);
    log(`churn: ${minutes} min…`);
    r.churn = await churn(stack, count, { minutes });
    r.load.churn = loadAverage();
  }
}

function attachRows(a: AttachResult, m: Record<string, Metric>, rows: (string | number)[][], load: string): void {
  m["attach/attach_ms"] = { value: round(a.attachMs), unit: "ms" };
  m["attach/create_ms"] = { value: round(a.createMs), unit: "ms" };
  m["attach/controller_ms"] = { value: round(a.controllerMs), unit: "ms" };
  m["attach/status_writes"] = { value: a.statusWrites, unit: "count" };
  m["attach/status_writes_per_object"] = { value: round(a.statusWrites / a.changedObjects), unit: "ratio" };
  m["attach/status_conflicts"] = { value: a.statusConflicts, unit: "count" };
  m["attach/gateway_status_writes"] = { value: a.gatewayStatusWrites, unit: "count" };
  m["attach/gateway_updates"] = { value: a.gatewayUpdates, unit: "count" };
  m["attach/passes"] = { value: a.passes, unit: "count" };
  m["attach/cpu_ms"] = { value: round(a.cpuMs), unit: "ms" };
  const met = (ok: boolean): string => (ok ? "met" : "NOT met");
  const perObject = a.statusWrites / a.changedObjects;
  rows.push(
    [
      `a attach ${a.routes}: last create answered → watch sees attachedRoutes=${a.routes} (gateway-api-bench "setup time")`,
      `${round(a.controllerMs, 0)} ms: ${met(a.controllerMs <= 1000)}`,
      "≤ 1000 ms",
      load,
    ],
    [
      "  API server: first create → last create answered (16 in flight)",
      `${round(a.createMs, 0)} ms; wall first create → attachedRoutes ${round(a.attachMs, 0)} ms`,
      "",
      "",
    ],
    [
      `  status writes (API server) / changed objects`,
      `${a.statusWrites} / ${a.changedObjects} = ${round(perObject, 3)} (409: ${a.statusConflicts}): ${met(perObject <= 1)}`,
      "≤ 1 per object",
      "",
    ],
    [
      '  Gateway: status writes; updates the watch saw (gateway-api-bench "total writes"); distinct attachedRoutes',
      `${a.gatewayStatusWrites}; ${a.gatewayUpdates}; ${a.attachedValues}`,
      "",
      "",
    ],
    ["  controller passes; CPU until settled", `${a.passes}; ${round(a.cpuMs, 0)} ms`, "", ""],
    [
      "  passes after the last create: end (translate+publish) ms",
      a.latePasses.map((p) => `+${round(p.endMs, 0)} (${round(p.ms, 0)})`).join(", "),
      "",
      "",
    ],
  );
}

function propagationRows(
  p: PropagationResult,
  m: Record<string, Metric>,
  rows: (string | number)[][],
  load: string,
): void {
  const s = p.samples;
  m["propagation/first200_ms.p50"] = { value: round(median(s)), unit: "ms" };
  m["propagation/first200_ms.p99"] = { value: round(percentile(s, 99)), unit: "ms" };
  m["propagation/first200_ms.max"] = { value: round(Math.max(...s)), unit: "ms" };
  m["propagation/create_ms.p50"] = { value: round(median(p.createSamples)), unit: "ms" };
  m["propagation/pass_ms.p50"] = { value: round(median(p.passSamples)), unit: "ms" };
  m["propagation/unexpected_responses"] = { value: p.unexpected, unit: "count" };
  rows.push(
    [
      `b propagation (${s.length} reps): create → first 200, p50 / p99 / max`,
      `${round(median(s), 1)} / ${round(percentile(s, 99), 1)} / ${round(Math.max(...s), 1)} ms`,
      "p99 ≤ 100 ms",
      load,
    ],
    ["  create request alone (p50)", `${round(median(p.createSamples), 1)} ms`, "", ""],
    ["  controller passes' translate+publish in between (p50)", `${round(median(p.passSamples), 1)} ms`, "", ""],
    ["  answers other than 404 before the 200 / all", `${p.unexpected} / ${p.polls}`, "0", ""],
  );
}

function otherRows(r: Results, m: Record<string, Metric>, rows: (string | number)[][]): void {
  if (r.change) {
    const c = r.change;
    m["change/non2xx"] = { value: c.non2xx, unit: "count" };
    rows.push([
      `c ${c.changes} route changes in ${c.seconds} s (late ≤ ${round(c.maxLateMs, 0)} ms): non-2xx / requests`,
      `${c.non2xx} / ${c.requests} ${JSON.stringify(c.byStatus)}`,
      "0",
      r.load.change ?? "",
    ]);
  }
  if (r.scale) {
    const s = r.scale;
    m["scale/ready_ms"] = { value: round(s.readyMs), unit: "ms" };
    m["scale/cpu_ms"] = { value: round(s.cpuMs), unit: "ms" };
    m["scale/idle_cpu_ms_per_s"] = { value: round(s.idleCpuMsPerS), unit: "ms/s" };
    m["scale/rss_MB"] = { value: round(s.rssMB, 1), unit: "MB" };
    m["scale/rest_rss_MB"] = { value: round(s.restRssMB, 1), unit: "MB" };
    m["scale/rss_peak_MB"] = { value: round(s.hwmMB, 1), unit: "MB" };
    m["scale/heap_used_MB"] = { value: round(s.heapUsedMB, 1), unit: "MB" };
    rows.push(
      [
        `d at ${s.routes} routes: controller RSS / peak RSS / heap after GC (MiB); RSS at rest before the GC`,
        `${round(s.rssMB, 0)} / ${round(s.hwmMB, 0)} / ${round(s.heapUsedMB, 0)}; ${round(s.restRssMB, 0)}`,
        s.routes === 1000 ? "RSS ≤ 120" : "",
        r.load.scale ?? "",
      ],
      [
        "  grow: CPU until settled; until last route served",
        `${round(s.cpuMs, 0)} ms; ${round(s.readyMs, 0)} ms`,
        "",
        "",
      ],
      [`  idle ${IDLE_S} s: CPU; controller passes`, `${round(s.idleCpuMsPerS, 1)} ms/s; ${s.idlePasses}`, "", ""],
    );
  }
  if (r.churn) churnRows(r.churn, m, rows, r.load.churn ?? "");
}

function churnRows(c: ChurnResult, m: Record<string, Metric>, rows: (string | number)[][], load: string): void {
  m["churn/rss_slope_MB_per_min"] = { value: round(c.rssSlope), unit: "MB/min" };
  m["churn/heap_slope_MB_per_min"] = { value: round(c.heapSlope), unit: "MB/min" };
  m["churn/cpu_ms_per_s"] = { value: round(c.cpuMsPerS), unit: "ms/s" };
  const first = c.samples[0];
  const last = c.samples.at(-1);
  m["churn/rss_peak_MB"] = { value: round(last?.hwmMB ?? NaN, 1), unit: "MB" };
  rows.push(
    [
      `d churn ${c.minutes} min (${c.steps} steps): RSS / heap slope`,
      `${round(c.rssSlope, 2)} / ${round(c.heapSlope, 2)} MB/min`,
      "≈ 0 (flat)",
      load,
    ],
    [
      "  RSS, heap first → last sample; peak RSS; CPU",
      `${round(first?.rssMB ?? NaN, 0)} → ${round(last?.rssMB ?? NaN, 0)}, ${round(first?.heapUsedMB ?? NaN, 0)} → ${round(last?.heapUsedMB ?? NaN, 0)} MiB; ${round(last?.hwmMB ?? NaN, 0)} MiB; ${round(c.cpuMsPerS, 0)} ms/s`,
      "",
      "",
    ],
  );
}

function report(r: Results, params: Record<string, unknown>, coldPageUs: number): void {
  const metrics: Record<string, Metric> = {};
  const rows: (string | number)[][] = [];
  // What this host charges for a page left idle 300 ms (lib/cold-memory.ts): read latency numbers next to it.
  metrics["machine_cold_page_us"] = { value: round(coldPageUs), unit: "µs" };
  if (r.attach) attachRows(r.attach, metrics, rows, r.load.attach ?? "");
  if (r.propagation) propagationRows(r.propagation, metrics, rows, r.load.propagation ?? "");
  otherRows(r, metrics, rows);
  const samples: Record<string, number[]> = {};
  if (r.propagation) samples["propagation/first200_ms"] = r.propagation.samples.map((x) => round(x));
  if (r.churn) {
    samples["churn/min"] = r.churn.samples.map((s) => round(s.min));
    samples["churn/rss_MB"] = r.churn.samples.map((s) => round(s.rssMB, 1));
    samples["churn/heap_used_MB"] = r.churn.samples.map((s) => round(s.heapUsedMB, 1));
    samples["churn/rss_peak_MB"] = r.churn.samples.map((s) => round(s.hwmMB, 1));
  }
  finish({ name: "k8s", finishedAt: new Date().toISOString(), env: envInfo(), params, metrics, samples }, [
    table(["scenario", "measured", "target", "load avg (1 5 15)"], rows),
    `this host: ${round(coldPageUs)} µs to read a page left idle 300 ms (bench/README.md, "This host's idle memory")`,
  ]);
}

async function main(): Promise<void> {
  const list = (arg("scenarios") ?? SCENARIOS.join(",")).split(",");
  const unknown = list.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.join(", ")}`);
  const wanted = new Set(list as Scenario[]);
  const loadBefore = loadAverage();
  const coldPageUs = await coldPageMicros(300);
  const snapshot = process.argv.includes("--heap-snapshot") ? ["--heapsnapshot-signal=SIGUSR2"] : [];
  const flags = (arg("controller-flags") ?? "").split(" ").filter((f) => f !== "");
  const stack = await startStack(log, { controllerExecArgv: [...snapshot, ...flags] });
  const r: Results = { load: {} };
  try {
    await runAll(stack, wanted, r);
  } finally {
    await stack.stop();
  }
  const params = {
    scenarios: [...wanted],
    attach: num("attach", 1000),
    existing: num("existing", 3000),
    reps: num("reps", 30),
    changeSeconds: num("change-seconds", 20),
    scale: num("scale", 5000),
    minutes: num("minutes", 30),
    controllerFlags: flags,
    loadBefore,
    loadPerScenario: r.load,
    note: "controller = its own process (bin/egts.js controller): CPU from /proc/<pid>/stat, RSS VmRSS/VmHWM, heap nodejs_heap_size_used_bytes after a full GC",
  };
  report(r, params, coldPageUs);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`k8s bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
