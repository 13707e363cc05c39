/**
 * End-to-end propagation with real Envoy: a standalone gateway (file provider → translate → XdsCache →
 * delta ADS → host-run Envoy) serving 1,000 HTTPRoutes. Each repetition writes one new file holding one
 * new HTTPRoute and times, from just before the write:
 *   published  the pipeline finished a pass that includes it (watch + debounce + read/parse all files + translate + setNode)
 *   rds sent   the server sent the RouteConfiguration
 *   rds ack    Envoy ACKed it (server event)
 *   first 200  the first 200 through Envoy for the new hostname (polled every ~1 ms from this process)
 * and reports median / p90 / max, plus the control plane's RSS and heap (this process) and Envoy's RSS.
 *
 *   node --expose-gc dist/bench/propagation.js [--routes 1000] [--reps 10]
 */
import { Agent, request } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, map, tap, timeout, type Observable } from "rxjs";
import { startEchoBackend } from "../operator/src/demo/echo-backend";
import { findEnvoy } from "../operator/src/infra/host/envoy-binary";
import { createLogger } from "../operator/src/log";
import { StandaloneGateway } from "../operator/src/pipeline/standalone";
import { readDirectory } from "../operator/src/provider/file/file-provider";
import { TypeUrl } from "../operator/src/xds/types";
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

const STEP_TIMEOUT_MS = 30_000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

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

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One GET through Envoy; resolves with the status (0 on a socket error). */
function get(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(0));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until a 200 for `host`; resolves with performance.now() of that response. */
async function first200(port: number, host: string, deadline: number): Promise<number> {
  for (;;) {
    const status = await get(port, host);
    if (status === 200) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`no 200 for ${host} within ${STEP_TIMEOUT_MS} ms (last status ${status})`);
    await sleep(1);
  }
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
}

interface Fixture {
  readonly port: number;
  readonly backendAddress: { readonly host: string; readonly port: number };
}

interface Measured {
  readonly samples: Rep[];
  readonly readParseMs: number[];
  readonly initialReadyMs: number;
  readonly memory: { rss: number; heapUsed: number; envoyRss?: number };
}

/** Times one added route: from just before the file write to published / sent / ACK / first 200. */
async function addOne(gw: StandaloneGateway, dir: string, fx: Fixture, idx: number): Promise<Rep> {
  const at = <T>(o: Observable<T>): Promise<number> =>
    firstValueFrom(
      o.pipe(
        map(() => performance.now()),
        timeout(STEP_TIMEOUT_MS),
      ),
    );
  const ackP = at(gw.server.events$.pipe(filter((e) => e.kind === "ack" && e.typeUrl === TypeUrl.Route)));
  const sentP = at(gw.server.events$.pipe(filter((e) => e.kind === "sent" && e.typeUrl === TypeUrl.Route)));
  let passMs = NaN;
  let cpuMs = NaN;
  const cpu0 = process.cpuUsage();
  const pubP = at(
    gw.events$.pipe(
      filter((e) => e.kind === "published"),
      tap((e) => {
        passMs = e.kind === "published" ? e.pass.ms : NaN;
        const c = process.cpuUsage(cpu0);
        cpuMs = (c.user + c.system) / 1000;
      }),
    ),
  );
  const t0 = performance.now();
  await writeFile(join(dir, `10-added-${String(idx).padStart(5, "0")}.yaml`), toYaml([routeObject(idx, fx)]));
  const okP = first200(fx.port, routeHost(idx), t0 + STEP_TIMEOUT_MS);
  const [pub, sent, ack, ok] = await Promise.all([pubP, sentP, ackP, okP]);
  return { cpu: cpuMs, published: pub - t0, pass: passMs, sent: sent - t0, ack: ack - t0, ok: ok - t0 };
}

/** Starts the gateway on `dir`, waits for Envoy to serve, runs the repetitions and samples memory. */
async function measure(
  gw: StandaloneGateway,
  dir: string,
  fx: Fixture,
  nRoutes: number,
  reps: number,
): Promise<Measured> {
  process.stderr.write(`propagation bench: starting gateway + Envoy with ${nRoutes} routes…\n`);
  const tStart = performance.now();
  await gw.start();
  await first200(fx.port, routeHost(0), performance.now() + 60_000);
  const initialReadyMs = performance.now() - tStart;

  // How much of a pass is the file provider re-reading and re-parsing every file.
  const readParseMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await readDirectory(dir);
    readParseMs.push(performance.now() - t0);
  }

  const samples: Rep[] = [];
  for (let rep = -1; rep < reps; rep++) {
    // rep -1 is a warm-up.
    const r = await addOne(gw, dir, fx, nRoutes + rep + 1);
    if (rep >= 0) samples.push(r);
    process.stderr.write(`  rep ${rep < 0 ? "warm-up" : rep}: ack ${r.ack.toFixed(1)} ms, 200 ${r.ok.toFixed(1)} ms\n`);
    await sleep(300); // let a possible second watch event (and its no-op pass) settle
  }

  fullGc();
  const mu = process.memoryUsage();
  const envoyRss = await rssOf(gw.runner?.list()[0]?.pid);
  return { samples, readParseMs, initialReadyMs, memory: { rss: mu.rss, heapUsed: mu.heapUsed, envoyRss } };
}

const LABELS: [keyof Rep, string][] = [
  ["cpu", "CPU of this process, write → published"],
  ["pass", "pipeline pass (translate+build+setNode)"],
  ["published", "write → published"],
  ["sent", "write → RDS sent"],
  ["ack", "write → RDS ACK (Envoy)"],
  ["ok", "write → first 200 via Envoy"],
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
  metrics["provider_read_parse_ms.median"] = { value: round(median(m.readParseMs)), unit: "ms" };
  metrics["initial_ready_ms"] = { value: round(m.initialReadyMs), unit: "ms" };
  metrics["cp_rss_MB"] = { value: round(mb(m.memory.rss), 1), unit: "MB" };
  metrics["cp_heap_used_MB"] = { value: round(mb(m.memory.heapUsed), 1), unit: "MB" };
  if (m.memory.envoyRss !== undefined) metrics["envoy_rss_MB"] = { value: round(mb(m.memory.envoyRss), 1), unit: "MB" };

  const out: BenchReport = {
    name: "propagation",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params,
    metrics,
    samples: Object.fromEntries(LABELS.map(([k]) => [`${k}_ms`, col(k).map((x) => round(x))])),
  };
  const latency = table(["step (ms, from just before the file write)", "median", "p90", "max"], rows);
  const other = table(
    ["other", "value"],
    [
      ["provider read+parse of all files (ms, median of 5)", median(m.readParseMs)],
      [`cold start: start() → first 200 with ${nRoutes} routes (ms)`, m.initialReadyMs],
      ["control plane RSS after (MB)", mb(m.memory.rss)],
      ["control plane heap used after GC (MB)", mb(m.memory.heapUsed)],
      ["Envoy RSS after (MB)", m.memory.envoyRss !== undefined ? mb(m.memory.envoyRss) : NaN],
    ],
  );
  finish(out, [`${reps} repetitions (after 1 warm-up), ${nRoutes} routes loaded:\n` + latency, other]);
}

async function main(): Promise<void> {
  const nRoutes = Number(arg("routes") ?? process.env.BENCH_ROUTES ?? 1000);
  const reps = Number(arg("reps") ?? process.env.BENCH_REPS ?? 10);
  const gcOk = fullGc();
  if (!gcOk) process.stderr.write("warning: run with `node --expose-gc` for meaningful heap numbers\n");

  const envoyBin = findEnvoy();
  const echo = await startEchoBackend({ name: "bench" });
  const fx: Fixture = { port: await freePort(), backendAddress: { host: "127.0.0.1", port: echo.port } };
  const dir = await mkdtemp(join(tmpdir(), "egts-bench-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "egts-bench-state-"));
  await writeFile(join(dir, "00-gateway.yaml"), toYaml(gatewayObjects(fx)));
  await writeFile(join(dir, "01-backends.yaml"), toYaml(Array.from({ length: 100 }, (_, j) => backendObject(j, fx))));
  await writeFile(join(dir, "02-routes.yaml"), toYaml(Array.from({ length: nRoutes }, (_, i) => routeObject(i, fx))));

  const gw = new StandaloneGateway({
    configDir: dir,
    envoyBin,
    xdsPort: 0,
    listenAddress: "127.0.0.1",
    stateDir,
    logger: createLogger("warn", (line) => process.stderr.write(line + "\n")),
    envoyOutput: "ignore",
    backends: { enabled: true, allow: ["Loopback"] }, // the echo backend listens on 127.0.0.1
  });
  let m: Measured;
  try {
    m = await measure(gw, dir, fx, nRoutes, reps);
  } finally {
    agent.destroy();
    await gw.stop();
    await echo.close();
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
  const params = {
    routes: nRoutes,
    reps,
    exposeGc: gcOk,
    envoyBin,
    note: "control plane = this process (also runs the echo backend and the HTTP poller)",
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
