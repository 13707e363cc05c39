/**
 * A small structured logger: one line per event, `level msg key=value…`, to stderr. Every line is one
 * line: control characters (CR, LF, ESC, NUL, DEL, C1, Unicode line separators and bidirectional overrides)
 * in the message and in field
 * values are escaped, so input-derived names and node ids cannot forge log lines or terminal sequences,
 * and each field value is capped at {@link MAX_FIELD_CHARS} characters (`…(+N)` says how many were cut).
 */
import type { LogLevel } from "./config/env";

/** Logs one event. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Longest field value written, in characters. */
export const MAX_FIELD_CHARS = 1024;
/** Longest message written, in characters. */
export const MAX_MESSAGE_CHARS = 4096;

// C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, and the bidirectional
// overrides (which reorder what a terminal shows).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const NEEDS_QUOTES = /[\s"=\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `s` with control characters written as `\n`, `\r`, `\t` or `\u001b`. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `s` cut to `max` characters, with `…(+N)` naming how many were cut. */
export function capLength(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…(+${s.length - max})` : s;
}

/** One field value as written: bare when it is a plain word, quoted with escapes otherwise; capped. */
export function formatValue(v: unknown): string {
  const text = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  const capped = capLength(text, MAX_FIELD_CHARS);
  if (typeof v === "string" && capped !== "" && !NEEDS_QUOTES.test(capped)) return capped;
  if (typeof v !== "string") return escapeControl(capped);
  return `"${escapeControl(capped.replace(/\\/g, "\\\\").replace(/"/g, '\\"'))}"`;
}

/** A logger that writes lines at or above `min` to `out`. */
export function createLogger(
  min: LogLevel,
  out: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Logger {
  return (level, msg, fields) => {
    if (RANK[level] < RANK[min]) return;
    const kv = Object.entries(fields ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${escapeControl(k)}=${formatValue(v)}`)
      .join(" ");
    const text = escapeControl(capLength(msg, MAX_MESSAGE_CHARS));
    out(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}${kv ? " " + kv : ""}`);
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = () => undefined;

/**
 * Envoy Gateway's logging components (EnvoyGateway `logging.level` keys other than `default`). In egts:
 * `provider` the watches and leader election, `gateway-api` the translator and the status it writes,
 * `xds-translator` the xDS cache fed from the IR, `xds-server` (and `xds`) the delta ADS server,
 * `infrastructure` the applier and the host runner of the proxies, `global-ratelimit` the rate limit
 * service (none yet).
 */
export const LOG_COMPONENTS = [
  "provider",
  "gateway-api",
  "xds-translator",
  "xds-server",
  "xds",
  "infrastructure",
  "global-ratelimit",
] as const;
/** One of {@link LOG_COMPONENTS}. */
export type LogComponent = (typeof LOG_COMPONENTS)[number];

/** Log level per component, as EnvoyGateway's `logging.level`: a component without its own uses `default`. */
export interface LogLevels {
  /** `logging.level.default`. @default info */
  readonly default: LogLevel;
  /** The components given their own level. */
  readonly components?: Readonly<Partial<Record<LogComponent, LogLevel>>>;
}

/** Envoy Gateway's default: everything at info. */
export const DEFAULT_LOG_LEVELS: LogLevels = { default: "info" };

/** The level `component` logs at. */
export function levelOf(levels: LogLevels, component: LogComponent): LogLevel {
  return levels.components?.[component] ?? levels.default;
}

/** Gives each component its logger; see {@link componentLoggers}. */
export type ComponentLoggers = (component: LogComponent) => Logger;

/**
 * One logger per component, each at its own level (`logging.level`), each line carrying `logger=<component>`
 * as Envoy Gateway's lines carry the runner's name.
 */
export function componentLoggers(
  levels: LogLevels,
  out: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): ComponentLoggers {
  const cache = new Map<LogComponent, Logger>();
  return (component) => {
    let log = cache.get(component);
    if (!log) {
      const inner = createLogger(levelOf(levels, component), out);
      log = (level, msg, fields) => inner(level, msg, { ...fields, logger: component });
      cache.set(component, log);
    }
    return log;
  };
}
