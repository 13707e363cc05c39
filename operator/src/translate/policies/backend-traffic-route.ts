/**
 * BackendTrafficPolicy's fields that Envoy takes on the route action itself: `retry` (Envoy Gateway's retry
 * policy: its retry_on conditions, status codes, attempts, per-try timeout and back-off, previous_hosts),
 * `retry.numAttemptsPerPriority` (the previous_priorities retry priority: our endpoints all have priority 0 today,
 * so it changes nothing until a backend has priorities), `timeout.http.requestTimeout` (the route timeout), `maxStreamDuration` (max_stream_duration) and
 * `streamIdleTimeout` (the route's idle_timeout), `telemetry.metrics.routeStatName` (stat_prefix) and
 * `telemetry.tracing` (the route's tracing). They
 * replace the HTTPRoute rule's own retry and timeouts, as in Envoy Gateway, where the policy's traffic settings
 * win over the route's.
 */
import { defined, wholeOf } from "./backend-traffic-values";
import type { RetryIr, TimeoutsIr, UpgradeIr } from "../../ir/xds-ir";
import type { Retry } from "../../resources/backend-cluster";
import type { BackendTrafficPolicySpec, ProtocolUpgradeConfig } from "../../resources/backend-traffic-policy";
import { parseDuration } from "../duration";
import { INT32_MAX } from "../shapes";
import type { RouteTracingIr } from "../../ir/telemetry-ir";
import { routeTracingOf } from "../telemetry/tracing";

/** Spec paths this file implements (a path covers everything below it). */
export const ROUTE_FIELDS: readonly string[] = [
  "retry.numRetries",
  "retry.numAttemptsPerPriority",
  "retry.retryOn",
  "retry.perRetry.timeout",
  "retry.perRetry.backOff",
  "timeout.http.requestTimeout",
  "timeout.http.maxStreamDuration",
  "timeout.http.streamIdleTimeout",
  "telemetry.metrics.routeStatName",
  // Route-level tracing without spanName: Envoy 1.37's Route.tracing has no operation names.
  "telemetry.tracing.samplingFraction",
  "telemetry.tracing.clientSamplingFraction",
  "telemetry.tracing.overallSamplingFraction",
  "telemetry.tracing.customTags",
  "telemetry.tracing.tags",
  "httpUpgrade",
];

/** Envoy Gateway's retry defaults: retry_on conditions, the status code they retry, the number of retries. */
export const DEFAULT_RETRY_ON = [
  "connect-failure",
  "refused-stream",
  "unavailable",
  "cancelled",
  "retriable-status-codes",
];
const DEFAULT_RETRY_CODE = 503;
const DEFAULT_RETRIES = 2;

/** The route action settings of a policy. */
export interface RouteActionSettings {
  /** Retry policy (replaces the rule's). */
  readonly retry?: RetryIr;
  /** Request timeout, stream duration and stream idle timeout in milliseconds (over the rule's timeouts). */
  readonly timeouts?: {
    readonly requestMs?: number;
    readonly maxStreamDurationMs?: number;
    readonly streamIdleMs?: number;
  };
  /** `telemetry.metrics.routeStatName`: the route stat prefix template (see {@link routeStatName}). */
  readonly routeStatName?: string;
  /** `httpUpgrade`: the upgrades the route allows, replacing the default (WebSocket). */
  readonly upgrades?: readonly UpgradeIr[];
  /** `telemetry.tracing`: the route's tracing settings (translate/telemetry/tracing.ts). */
  readonly tracing?: RouteTracingIr;
}

/** The route action settings of `spec`; problems go to `invalid` as "<field path>: <why>". */
export function translateRouteAction(spec: BackendTrafficPolicySpec, invalid: string[]): RouteActionSettings {
  const out: {
    retry?: RetryIr;
    timeouts?: RouteActionSettings["timeouts"];
    routeStatName?: string;
    upgrades?: readonly UpgradeIr[];
    tracing?: RouteTracingIr;
  } = {};
  if (spec.httpUpgrade && spec.httpUpgrade.length > 0) out.upgrades = upgradesOf(spec.httpUpgrade, invalid);
  const statName = spec.telemetry?.metrics?.routeStatName;
  if (statName !== undefined && statName !== "") out.routeStatName = statName;
  if (spec.telemetry?.tracing) out.tracing = routeTracingOf(spec.telemetry.tracing, invalid);
  const http = spec.timeout?.http;
  const ms = (field: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = parseDuration(v);
    if (n === undefined) invalid.push(`spec.timeout.http.${field}: ${v} is not a duration`);
    return n;
  };
  const timeouts = {
    requestMs: ms("requestTimeout", http?.requestTimeout),
    maxStreamDurationMs: ms("maxStreamDuration", http?.maxStreamDuration),
    streamIdleMs: ms("streamIdleTimeout", http?.streamIdleTimeout),
  };
  if (Object.values(timeouts).some((v) => v !== undefined)) out.timeouts = defined(timeouts);
  if (spec.retry) out.retry = retryOf(spec.retry, invalid);
  return out;
}

/** A policy's `retry` in Envoy Gateway's shape (see RetryIr.policy). */
function retryOf(r: Retry, invalid: string[]): RetryIr {
  const numRetries = r.numRetries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(numRetries) || numRetries < 0) {
    invalid.push(`spec.retry.numRetries: ${String(numRetries)} must be a whole number from 0`);
  }
  const triggers = r.retryOn?.triggers ?? [];
  const codes = retryCodes(r.retryOn?.httpStatusCodes ?? [], invalid);
  const { perTry, base, max } = perRetry(r, invalid);
  // Envoy Gateway: 0 (or unset) sends every attempt to the highest healthy priority (no retry priority).
  const perPriority = wholeOf("spec.retry.numAttemptsPerPriority", r.numAttemptsPerPriority, invalid, 0, INT32_MAX);
  return {
    // Envoy Gateway: retryOn given replaces the conditions (triggers) and the codes; unset keeps its defaults.
    codes: r.retryOn ? codes : [DEFAULT_RETRY_CODE],
    attempts: numRetries,
    ...(base !== undefined ? { backoffMs: base } : {}),
    policy: {
      retryOn: triggers.length > 0 ? [...triggers] : DEFAULT_RETRY_ON,
      ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
      ...(max !== undefined ? { maxBackoffMs: max } : {}),
      ...(perPriority !== undefined && perPriority > 0 ? { attemptsPerPriority: perPriority } : {}),
    },
  };
}

function retryCodes(codes: readonly number[], invalid: string[]): number[] {
  for (const c of codes) {
    if (!Number.isInteger(c) || c < 100 || c > 599) {
      invalid.push(`spec.retry.retryOn.httpStatusCodes: ${c} must be 100-599`);
    }
  }
  return [...codes];
}

/** `retry.perRetry` in milliseconds: the attempt timeout and the back-off bounds. */
function perRetry(r: Retry, invalid: string[]): { perTry?: number; base?: number; max?: number } {
  const ms = (field: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = parseDuration(v);
    if (n === undefined || n <= 0) invalid.push(`spec.retry.perRetry.${field}: ${v} must be a duration of 1ms or more`);
    return n;
  };
  const backOff = r.perRetry?.backOff;
  const perTry = ms("timeout", r.perRetry?.timeout);
  const base = ms("backOff.baseInterval", backOff?.baseInterval);
  const max = ms("backOff.maxInterval", backOff?.maxInterval);
  if (base !== undefined && max !== undefined && max < base) {
    invalid.push(`spec.retry.perRetry.backOff.maxInterval: ${backOff?.maxInterval} is less than baseInterval`);
  }
  return { perTry, base, max };
}

/** The rule's timeouts with the policy's over them. */
export function withPolicyTimeouts(
  t: TimeoutsIr | undefined,
  policy: RouteActionSettings["timeouts"],
): TimeoutsIr | undefined {
  return policy ? Object.assign({}, t, policy) : t; // `{ ...t, ...policy }`, faster per route (copy.ts)
}

/** The route a stat name is made for: its kind, namespace, name and rule name (absent: the rule has none). */
export interface RouteIdentity {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly rule?: string;
}

/**
 * Envoy Gateway's route stat name: the template with `%ROUTE_NAME%`, `%ROUTE_NAMESPACE%`, `%ROUTE_KIND%` and
 * `%ROUTE_RULE_NAME%` (`-` for a rule without a name) replaced.
 */
export function routeStatName(template: string, r: RouteIdentity): string {
  return template
    .replaceAll("%ROUTE_NAME%", r.name)
    .replaceAll("%ROUTE_NAMESPACE%", r.namespace)
    .replaceAll("%ROUTE_KIND%", r.kind)
    .replaceAll("%ROUTE_RULE_NAME%", r.rule ?? "-");
}

/** An upgrade type token (RFC 9110: `token [ "/" token ]`), as Envoy matches it against the Upgrade header. */
const UPGRADE_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$/;

/** `httpUpgrade` → the route's upgrades; a type that cannot be an Upgrade value, or a repeated one, is invalid. */
function upgradesOf(list: readonly ProtocolUpgradeConfig[], invalid: string[]): UpgradeIr[] {
  const seen = new Set<string>();
  return list.map((u, i) => {
    const at = `spec.httpUpgrade[${i}]`;
    const type = String(u.type ?? "");
    if (!UPGRADE_TYPE.test(type)) invalid.push(`${at}.type: ${JSON.stringify(type)} is not an upgrade type`);
    if (seen.has(type.toLowerCase())) invalid.push(`${at}.type: ${type} is listed twice`);
    seen.add(type.toLowerCase());
    const connect = type.toUpperCase() === "CONNECT";
    if (u.connect && !connect) invalid.push(`${at}.connect: only for type CONNECT`);
    return { type, ...(connect && u.connect?.terminate === true ? { connectTerminate: true } : {}) };
  });
}
