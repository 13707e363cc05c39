/**
 * ClientTrafficPolicy's HTTP protocol fields → ClientTrafficIr, as Envoy Gateway v1.9 translates them: `http1`
 * (trailers, header case, HTTP/1.0), `http2` (flow-control windows, concurrent streams, what an invalid message
 * terminates, PING keepalive), `scheme`, `healthCheck.path`. Values Envoy would refuse (a window outside its range, an unknown
 * enum value, a path that is not one) are reported as `<field path>: <why>`, so the policy is Accepted=False and
 * never reaches Envoy.
 */
import type {
  HeaderNameMatchIr,
  Http1SettingsIr,
  Http2KeepaliveIr,
  Http2SettingsIr,
} from "../../ir/client-traffic-http-ir";
import { parseDuration } from "../duration";
import type { ClientTrafficPolicySpec, HTTP1Settings, HTTP2Settings } from "../../resources/client-traffic-policy";
import { quantityValue } from "../quantity";
import { re2Problem } from "../regex";

/** Envoy's range for both HTTP/2 flow-control windows (Envoy Gateway checks the same). */
export const HTTP2_WINDOW_MIN = 65_535;
export const HTTP2_WINDOW_MAX = 2 ** 31 - 1;
/** Envoy's range for SETTINGS_MAX_CONCURRENT_STREAMS. */
const MAX_CONCURRENT_STREAMS_MAX = 2 ** 31 - 1;

const ON_INVALID = ["TerminateConnection", "TerminateStream"] as const;
const MATCH_TYPES = ["Exact", "Prefix", "Suffix", "RegularExpression"] as const;
const SCHEMES = ["Preserve", "MatchBackend"] as const;

/** A health check path: absolute, a URI path (RFC 3986 pchar and `/`), no query. */
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/** The IR fields this file fills in. */
export interface ProtocolParts {
  /** http1, without the HTTP/1.0 default host (the listener's hostnames decide it). */
  readonly http1?: Http1SettingsIr;
  readonly http2?: Http2SettingsIr;
  /** scheme: MatchBackend → true, Preserve → false. */
  readonly schemeMatchesUpstream?: boolean;
  /** http1.http10.useDefaultHost. */
  readonly http10UseDefaultHost?: boolean;
  /** healthCheck.path. */
  readonly healthCheckPath?: string;
}

/** Translates the policy's http1, http2, scheme and healthCheck fields. */
export function translateProtocolParts(spec: ClientTrafficPolicySpec, invalid: string[]): ProtocolParts {
  const http1 = spec.http1 ? http1Of(spec.http1, invalid) : undefined;
  const http2 = spec.http2 ? http2Of(spec.http2, invalid) : undefined;
  const scheme = spec.scheme === undefined ? undefined : oneOf("scheme", spec.scheme, SCHEMES, invalid);
  const path = spec.healthCheck ? healthCheckPathOf(spec.healthCheck.path, invalid) : undefined;
  return {
    ...(http1 && Object.keys(http1).length > 0 ? { http1 } : {}),
    ...(http2 && Object.keys(http2).length > 0 ? { http2 } : {}),
    ...(scheme ? { schemeMatchesUpstream: scheme === "MatchBackend" } : {}),
    ...(spec.http1?.http10?.useDefaultHost === true ? { http10UseDefaultHost: true } : {}),
    ...(path !== undefined ? { healthCheckPath: path } : {}),
  };
}

function oneOf<T extends string>(
  field: string,
  value: string,
  allowed: readonly T[],
  invalid: string[],
): T | undefined {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  invalid.push(`spec.${field}: "${value}" is not one of ${allowed.join(", ")}`);
  return undefined;
}

/** Envoy Gateway writes HTTP/1 options only for what is turned on. */
function http1Of(h: HTTP1Settings, invalid: string[]): Http1SettingsIr {
  const ignored = (h.ignoredUpgradeTypes ?? []).map((m, i) => upgradeMatchOf(m, i, invalid));
  const ignoredOk = ignored.every((m) => m !== undefined);
  return {
    ...(h.enableTrailers === true ? { enableTrailers: true } : {}),
    ...(h.preserveHeaderCase === true ? { preserveHeaderCase: true } : {}),
    ...(h.http10 ? { http10: {} } : {}),
    ...(ignored.length > 0 && ignoredOk ? { ignoredUpgradeTypes: ignored as HeaderNameMatchIr[] } : {}),
    ...(h.disableSafeMaxConnectionDuration === true ? { disableSafeMaxConnectionDuration: true } : {}),
  };
}

/** One http1.ignoredUpgradeTypes entry: a known match type, a non-empty value, an RE2 pattern for regexes. */
function upgradeMatchOf(
  m: NonNullable<HTTP1Settings["ignoredUpgradeTypes"]>[number],
  i: number,
  invalid: string[],
): HeaderNameMatchIr | undefined {
  const field = `http1.ignoredUpgradeTypes[${i}]`;
  const type = oneOf(`${field}.type`, m.type ?? "Exact", MATCH_TYPES, invalid);
  const value = typeof m.value === "string" ? m.value : "";
  const problem = value === "" ? "must not be empty" : type === "RegularExpression" ? re2Problem(value) : undefined;
  if (problem) invalid.push(`spec.${field}.value: ${problem}`);
  return type && !problem ? { type, value } : undefined;
}

/**
 * `spec.http2` → Http2SettingsIr (ClientTrafficPolicy's, and BackendTrafficPolicy's for the backend
 * connections: the same type, checks and messages).
 */
export function http2Of(h: HTTP2Settings, invalid: string[]): Http2SettingsIr {
  const stream = windowOf("initialStreamWindowSize", h.initialStreamWindowSize, invalid);
  const connection = windowOf("initialConnectionWindowSize", h.initialConnectionWindowSize, invalid);
  const streams = h.maxConcurrentStreams;
  const streamsBad =
    streams !== undefined && (!Number.isInteger(streams) || streams < 1 || streams > MAX_CONCURRENT_STREAMS_MAX);
  if (streamsBad) {
    invalid.push(
      `spec.http2.maxConcurrentStreams: ${String(streams)} must be between 1 and ${MAX_CONCURRENT_STREAMS_MAX}`,
    );
  }
  const onInvalid =
    h.onInvalidMessage === undefined
      ? undefined
      : oneOf("http2.onInvalidMessage", h.onInvalidMessage, ON_INVALID, invalid);
  const keepalive = h.connectionKeepalive ? keepaliveOf(h.connectionKeepalive, invalid) : undefined;
  return {
    ...(keepalive ? { connectionKeepalive: keepalive } : {}),
    ...(stream !== undefined ? { initialStreamWindowSize: stream } : {}),
    ...(connection !== undefined ? { initialConnectionWindowSize: connection } : {}),
    ...(streams !== undefined && !streamsBad ? { maxConcurrentStreams: streams } : {}),
    ...(onInvalid ? { resetStreamOnError: onInvalid === "TerminateStream" } : {}),
  };
}

/**
 * http2.connectionKeepalive → Envoy's KeepaliveSettings. Envoy requires `timeout` and takes each duration from
 * 1 ms; Envoy Gateway's CEL rule wants the timeout below the interval.
 */
function keepaliveOf(
  k: NonNullable<HTTP2Settings["connectionKeepalive"]>,
  invalid: string[],
): Http2KeepaliveIr | undefined {
  const field = "spec.http2.connectionKeepalive";
  const before = invalid.length;
  const ms = (name: "interval" | "timeout" | "idleInterval"): number | undefined => {
    const v = k[name];
    if (v === undefined) return undefined;
    const n = parseDuration(String(v));
    if (n === undefined || n < 1) invalid.push(`${field}.${name}: "${String(v)}" is not a duration of at least 1ms`);
    return n;
  };
  const intervalMs = ms("interval");
  const timeoutMs = ms("timeout");
  const idleIntervalMs = ms("idleInterval");
  if (k.timeout === undefined)
    invalid.push(`${field}.timeout: must be set (Envoy needs it to close a dead connection)`);
  if (timeoutMs !== undefined && intervalMs !== undefined && timeoutMs >= intervalMs) {
    invalid.push(`${field}: timeout must be less than interval`);
  }
  const jitter = k.intervalJitter;
  if (jitter !== undefined && !(Number.isInteger(jitter) && jitter >= 0 && jitter <= 100)) {
    invalid.push(`${field}.intervalJitter: ${String(jitter)} must be a whole number from 0 to 100`);
  }
  if (invalid.length > before || timeoutMs === undefined) return undefined;
  return {
    timeoutMs,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(jitter !== undefined ? { intervalJitterPercent: jitter } : {}),
    ...(idleIntervalMs !== undefined ? { idleIntervalMs } : {}),
  };
}

/** A flow-control window in bytes, in Envoy's range (Envoy Gateway's messages). */
function windowOf(
  field: "initialStreamWindowSize" | "initialConnectionWindowSize",
  value: number | string | undefined,
  invalid: string[],
): number | undefined {
  if (value === undefined) return undefined;
  const n = quantityValue(value);
  if (n === undefined) {
    invalid.push(`spec.http2.${field}: invalid value ${String(value)}`);
    return undefined;
  }
  if (n < HTTP2_WINDOW_MIN || n > HTTP2_WINDOW_MAX) {
    invalid.push(
      `spec.http2.${field}: value ${String(value)} is out of range, must be between ${HTTP2_WINDOW_MIN} and ${HTTP2_WINDOW_MAX}`,
    );
    return undefined;
  }
  return n;
}

function healthCheckPathOf(path: string | undefined, invalid: string[]): string | undefined {
  if (typeof path === "string" && path.length <= 1024 && PATH.test(path)) return path;
  invalid.push(`spec.healthCheck.path: "${String(path ?? "")}" is not an absolute path (e.g. /healthz)`);
  return undefined;
}
