/**
 * Process and Node.js runtime metrics, with the names prom-client's default metrics use (`process_*`, as every
 * Prometheus client library writes them, and `nodejs_*`): CPU, memory, file descriptors, start time, heap,
 * event loop delay, garbage collection pauses, active resources and the Node.js version. Read at each scrape,
 * except GC pauses and event loop delay, which are sampled continuously until {@link RuntimeMetrics.stop}.
 */
import { readdirSync, readFileSync } from "node:fs";
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from "node:perf_hooks";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import type { Counter, Gauge, Histogram, Registry } from "./registry";

/** prom-client's GC duration buckets, in seconds. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

/** GC kinds by perf_hooks flag, as prom-client names them. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/** `/proc/self/status` fields in bytes (Linux only; empty elsewhere). */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync("/proc/self/status", "utf8");
  } catch {
    return out;
  }
  for (const m of text.matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]) * 1024;
  return out;
}

/** Open file descriptors and their limit (Linux only; undefined elsewhere). */
function fds(): { open?: number; max?: number } {
  try {
    const open = readdirSync("/proc/self/fd").length;
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return { open, ...(limit ? { max: Number(limit[1]) } : {}) };
  } catch {
    return {};
  }
}

/** The runtime families of one registry. */
export class RuntimeMetrics {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly gcObserver: PerformanceObserver;
  private readonly gc: Histogram;

  constructor(registry: Registry) {
    const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
    const cpuUser = registry.counter("process_cpu_user_seconds_total", "User CPU time of the process, in seconds.");
    const cpuSystem = registry.counter(
      "process_cpu_system_seconds_total",
      "System CPU time of the process, in seconds.",
    );
    const cpu = registry.counter("process_cpu_seconds_total", "User and system CPU time of the process, in seconds.");
    const g = (name: string, help: string, labels: readonly string[] = []): Gauge => registry.gauge(name, help, labels);
    const start = g("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.");
    const rss = g("process_resident_memory_bytes", "Resident memory of the process, in bytes.");
    const virt = g("process_virtual_memory_bytes", "Virtual memory of the process, in bytes.");
    const heapBytes = g("process_heap_bytes", "Data segment size of the process, in bytes.");
    const openFds = g("process_open_fds", "Open file descriptors of the process.");
    const maxFds = g("process_max_fds", "Most file descriptors the process may open.");
    const heapTotal = g("nodejs_heap_size_total_bytes", "V8 heap size, in bytes.");
    const heapUsed = g("nodejs_heap_size_used_bytes", "V8 heap in use, in bytes.");
    const external = g("nodejs_external_memory_bytes", "Memory of C++ objects bound to JavaScript objects, in bytes.");
    const space = ["space"];
    const spaceTotal = g("nodejs_heap_space_size_total_bytes", "Size of each V8 heap space, in bytes.", space);
    const spaceUsed = g("nodejs_heap_space_size_used_bytes", "Use of each V8 heap space, in bytes.", space);
    const spaceFree = g("nodejs_heap_space_size_available_bytes", "Room left in each V8 heap space, in bytes.", space);
    const lag = {
      min: g("nodejs_eventloop_lag_min_seconds", "Smallest event loop delay since start, in seconds."),
      max: g("nodejs_eventloop_lag_max_seconds", "Largest event loop delay since start, in seconds."),
      mean: g("nodejs_eventloop_lag_mean_seconds", "Mean event loop delay since start, in seconds."),
      p50: g("nodejs_eventloop_lag_p50_seconds", "Median event loop delay since start, in seconds."),
      p90: g("nodejs_eventloop_lag_p90_seconds", "90th percentile of the event loop delay since start, in seconds."),
      p99: g("nodejs_eventloop_lag_p99_seconds", "99th percentile of the event loop delay since start, in seconds."),
    };
    const resources = g("nodejs_active_resources", "Active resources keeping the event loop alive, by type.", ["type"]);
    const resourcesTotal = g("nodejs_active_resources_total", "Active resources keeping the event loop alive.");
    const version = g("nodejs_version_info", "The Node.js version (always 1).", ["version", "major", "minor", "patch"]);
    this.gc = registry.histogram(
      "nodejs_gc_duration_seconds",
      "Garbage collection pauses, in seconds, by kind.",
      ["kind"],
      GC_BUCKETS,
    );
    const [major, minor, patch] = process.versions.node.split(".");
    const last = { user: 0, system: 0 };
    registry.onCollect(() => {
      const usage = process.cpuUsage();
      addUp(cpuUser, last.user, usage.user);
      addUp(cpuSystem, last.system, usage.system);
      addUp(cpu, last.user + last.system, usage.user + usage.system);
      last.user = usage.user;
      last.system = usage.system;
      start.set({}, startSeconds);
      rss.set({}, process.memoryUsage.rss());
      const status = procStatus();
      if (status.VmSize !== undefined) virt.set({}, status.VmSize);
      if (status.VmData !== undefined) heapBytes.set({}, status.VmData);
      const fd = fds();
      if (fd.open !== undefined) openFds.set({}, fd.open);
      if (fd.max !== undefined) maxFds.set({}, fd.max);
      const heap = getHeapStatistics();
      heapTotal.set({}, heap.total_heap_size);
      heapUsed.set({}, heap.used_heap_size);
      external.set({}, heap.external_memory);
      for (const s of getHeapSpaceStatistics()) {
        const name = { space: s.space_name.replace(/_space$/, "") };
        spaceTotal.set(name, s.space_size);
        spaceUsed.set(name, s.space_used_size);
        spaceFree.set(name, s.space_available_size);
      }
      const ns = (v: number): number => (Number.isFinite(v) ? v / 1e9 : 0);
      lag.min.set({}, ns(this.loop.min));
      lag.max.set({}, ns(this.loop.max));
      lag.mean.set({}, ns(this.loop.mean));
      lag.p50.set({}, ns(this.loop.percentile(50)));
      lag.p90.set({}, ns(this.loop.percentile(90)));
      lag.p99.set({}, ns(this.loop.percentile(99)));
      const active = process.getActiveResourcesInfo();
      resources.reset();
      for (const type of new Set(active)) resources.set({ type }, active.filter((t) => t === type).length);
      resourcesTotal.set({}, active.length);
      version.set({ version: process.version, major, minor, patch }, 1);
    });
    this.loop.enable();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? "unknown";
        this.gc.observe({ kind }, e.duration / 1000);
      }
    });
    this.gcObserver.observe({ entryTypes: ["gc"] });
  }

  /** Stops sampling the event loop and GC. */
  stop(): void {
    this.loop.disable();
    this.gcObserver.disconnect();
  }
}

/** Adds to a counter what a cumulative reading in microseconds grew by since `before`. */
function addUp(counter: Counter, beforeMicros: number, nowMicros: number): void {
  if (nowMicros > beforeMicros) counter.inc({}, (nowMicros - beforeMicros) / 1e6);
}
