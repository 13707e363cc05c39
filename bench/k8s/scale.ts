/**
 * Scenario d: the control plane at scale and under churn. `scale` grows the route count to N and reports the
 * controller process's CPU (user + system) until it settled, its CPU while idle, and its RSS, peak RSS and heap
 * after a full GC (controller-process.ts). `churn` then keeps the count constant for
 * `minutes`: every `everyMs` one new route is created, one changed and the oldest added one deleted; every
 * `sampleSeconds` it samples RSS and heap (after a full GC) and reports the least-squares slope of each in
 * MB per minute (flat memory: a slope near 0).
 */
import type { Stack } from "./stack";

/** What the scale step measured. */
export interface ScaleResult {
  readonly routes: number;
  /** First create → Envoy serves the last route. */
  readonly readyMs: number;
  /** Controller CPU from the first create until settled (ms). */
  readonly cpuMs: number;
  /** Controller CPU per second while idle for {@link IDLE_S} s at N routes (ms/s). */
  readonly idleCpuMsPerS: number;
  /** Controller passes during that idle time (0 when nothing changes). */
  readonly idlePasses: number;
  /** Controller VmRSS after a full GC (MiB). */
  readonly rssMB: number;
  /** Controller VmRSS at the end of the idle time, before the bench's GC: at rest, as `kubectl top` sees it (MiB). */
  readonly restRssMB: number;
  /** Controller VmHWM: peak RSS so far (MiB). */
  readonly hwmMB: number;
  readonly heapUsedMB: number;
}

/** One memory sample. */
export interface MemorySample {
  /** Minutes since the churn began. */
  readonly min: number;
  readonly rssMB: number;
  readonly hwmMB: number;
  readonly heapUsedMB: number;
}

/** What the churn run measured. */
export interface ChurnResult {
  readonly minutes: number;
  readonly steps: number;
  readonly samples: readonly MemorySample[];
  /** Least-squares slope (MB/min). */
  readonly rssSlope: number;
  readonly heapSlope: number;
  /** Controller CPU per second over the run (ms/s). */
  readonly cpuMsPerS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const memoryNow = (stack: Stack): Promise<{ rssMB: number; hwmMB: number; heapUsedMB: number }> =>
  stack.controller.memory();

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/**
 * Idle time after the routes settled (3 s without a pass) before RSS at rest is read: the controller's collections
 * once quiet (10 s after the last pass, then 6 s later; cmd/idle-collection.ts, ADRs 0034, 0035) have run by then.
 */
export const IDLE_S = 15;

/** Grows the routes from `from` to `to` and measures (see the module comment). */
export async function scale(stack: Stack, from: number, to: number): Promise<ScaleResult> {
  await stack.waitQuiet(2000);
  const cpu0 = stack.controller.cpuMs();
  const t0 = performance.now();
  await stack.createRoutes(from, to);
  await stack.waitServed(to - 1, 300_000);
  const readyMs = performance.now() - t0;
  await stack.waitQuiet(3000);
  const cpuMs = stack.controller.cpuMs() - cpu0;
  const idle0 = stack.controller.cpuMs();
  const passes0 = stack.passes;
  await sleep(IDLE_S * 1000);
  const idleMs = stack.controller.cpuMs() - idle0;
  const restRssMB = stack.controller.rss().rssMB;
  return {
    routes: to,
    restRssMB,
    readyMs,
    cpuMs,
    idleCpuMsPerS: idleMs / IDLE_S,
    idlePasses: stack.passes - passes0,
    ...(await memoryNow(stack)),
  };
}

/**
 * Churns for `minutes` over a constant count of routes: step s creates route `next + s`, changes route
 * `s % changeRange` and deletes route `next + s - window` once `window` were added.
 */
export async function churn(
  stack: Stack,
  next: number,
  opts: { readonly minutes: number; readonly everyMs?: number; readonly sampleSeconds?: number },
): Promise<ChurnResult> {
  const window = 50;
  const everyMs = opts.everyMs ?? 200;
  const sampleMs = (opts.sampleSeconds ?? 10) * 1000;
  const t0 = performance.now();
  const end = t0 + opts.minutes * 60_000;
  const cpu0 = stack.controller.cpuMs();
  const samples: MemorySample[] = [{ min: 0, ...(await memoryNow(stack)) }];
  let nextSample = t0 + sampleMs;
  let steps = 0;
  while (performance.now() < end) {
    const t = performance.now();
    const s = steps++;
    await stack.createRoutes(next + s, next + s + 1);
    await stack.changeRoute(s % Math.min(1000, next), `churn-${s}`);
    if (s >= window) await stack.deleteRoute(next + s - window);
    if (performance.now() >= nextSample) {
      samples.push({ min: (performance.now() - t0) / 60_000, ...(await memoryNow(stack)) });
      nextSample += sampleMs;
    }
    await sleep(Math.max(0, everyMs - (performance.now() - t)));
  }
  const cpuMs = stack.controller.cpuMs() - cpu0;
  const seconds = (performance.now() - t0) / 1000;
  await stack.waitQuiet(3000);
  samples.push({ min: (performance.now() - t0) / 60_000, ...(await memoryNow(stack)) });
  const xs = samples.map((m) => m.min);
  return {
    minutes: opts.minutes,
    steps,
    samples,
    rssSlope: slope(
      xs,
      samples.map((m) => m.rssMB),
    ),
    heapSlope: slope(
      xs,
      samples.map((m) => m.heapUsedMB),
    ),
    cpuMsPerS: cpuMs / seconds,
  };
}
