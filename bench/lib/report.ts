/** Shared bench plumbing: statistics, aligned tables, results files and the comparison with the last run. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";

/** One number a bench reports. Every metric here is "lower is better". */
export interface Metric {
  readonly value: number;
  readonly unit: "ms" | "MB" | "KB" | "B" | "count" | "ratio" | "MB/min" | "ms/s" | "µs";
}

/** What a bench writes to bench/results/<name>.json and prints as JSON. */
export interface BenchReport {
  readonly name: string;
  readonly finishedAt: string;
  readonly env: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string };
  readonly params: Record<string, unknown>;
  /** Flat metric map, keyed like `n=1000/translate_ms.median`; compared key by key with the previous run. */
  readonly metrics: Record<string, Metric>;
  /** Raw samples, for whoever wants more than the summary. */
  readonly samples?: Record<string, readonly number[]>;
  /** % change per metric against the previous results file (absent on a first run). */
  changePct?: Record<string, number>;
  /** finishedAt of the run compared against. */
  comparedWith?: string;
}

/** Environment description for a report. */
export function envInfo(): BenchReport["env"] {
  const c = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
  };
}

/** Median of the samples (mean of the middle two for even counts). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Percentile with linear interpolation between closest ranks. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

/** The 1, 5 and 15 minute load averages (`uptime`), for the report next to the numbers. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

/** Rounds for display and JSON (3 significant decimals is plenty for timings). */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Bytes → MB. */
export function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Runs a full GC when node was started with --expose-gc; returns false otherwise. */
export function fullGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/** Folder of results files: $BENCH_RESULTS_DIR, else <repo>/bench/results (this file runs from dist/bench/lib). */
export function resultsDir(): string {
  return process.env.BENCH_RESULTS_DIR
    ? resolve(process.env.BENCH_RESULTS_DIR)
    : resolve(__dirname, "..", "..", "..", "bench", "results");
}

/** Formats rows as an aligned text table; numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers.map(String), ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[], isHeader: boolean): string =>
    r
      .map((c, i) => {
        const numeric = !isHeader && typeof rows[0]?.[i] === "number";
        return numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return [
    line(cells[0]!, true),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map((r) => line(r, false)),
  ].join("\n");
}

/** Number formatting for tables. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 1 : a >= 1 ? 2 : 3);
}

/**
 * Compares with the previous bench/results/<name>.json (if any), writes the new one, then prints the JSON
 * report on one line, the caller's tables and the per-metric % change. Returns the report with
 * `changePct` filled.
 */
export function finish(report: BenchReport, tables: readonly string[]): BenchReport {
  const dir = resultsDir();
  const file = join(dir, `${report.name}.json`);
  let prev: BenchReport | undefined;
  if (existsSync(file)) {
    try {
      prev = JSON.parse(readFileSync(file, "utf8")) as BenchReport;
    } catch {
      prev = undefined;
    }
  }
  if (prev) {
    const changePct: Record<string, number> = {};
    for (const [k, m] of Object.entries(report.metrics)) {
      const before = prev.metrics?.[k]?.value;
      if (typeof before === "number" && before !== 0) changePct[k] = round(((m.value - before) / before) * 100, 1);
    }
    report.changePct = changePct;
    report.comparedWith = prev.finishedAt;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");

  process.stdout.write(JSON.stringify(report) + "\n\n");
  for (const t of tables) process.stdout.write(t + "\n\n");
  if (prev) {
    const rows = Object.entries(report.metrics).map(([k, m]) => {
      const before = prev?.metrics?.[k]?.value;
      const pct = report.changePct?.[k];
      return [
        k,
        m.unit,
        before === undefined ? "-" : fmt(before),
        fmt(m.value),
        pct === undefined ? "-" : `${pct > 0 ? "+" : ""}${pct.toFixed(1)}%`,
      ];
    });
    process.stdout.write(`vs previous run (${prev.finishedAt}); lower is better for every metric:\n`);
    process.stdout.write(table(["metric", "unit", "previous", "now", "change"], rows) + "\n\n");
  } else {
    process.stdout.write(`no previous ${file}: nothing to compare with (run again to see % changes)\n\n`);
  }
  process.stdout.write(`wrote ${file}\n`);
  return report;
}
