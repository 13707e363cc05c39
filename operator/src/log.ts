/** A small structured logger: one line per event, `level msg key=value…`, to stderr. */
import type { LogLevel } from "./config/env";

/** Logs one event. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger that writes lines at or above `min` to `out`. */
export function createLogger(
  min: LogLevel,
  out: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Logger {
  return (level, msg, fields) => {
    if (RANK[level] < RANK[min]) return;
    const kv = Object.entries(fields ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(" ");
    out(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? " " + kv : ""}`);
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = () => undefined;
