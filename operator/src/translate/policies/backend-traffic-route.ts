/**
 * BackendTrafficPolicy's fields that Envoy takes on the route action itself: `retry` (Envoy Gateway's retry
 * policy: its retry_on conditions, status codes, attempts, per-try timeout and back-off, previous_hosts) and
 * `timeout.http.requestTimeout` (the route timeout). They replace the HTTPRoute rule's own retry and request
 * timeout, as in Envoy Gateway, where the policy's traffic settings win over the route's.
 */
import type { RetryIr, TimeoutsIr } from "../../ir/xds-ir";
import type { Retry } from "../../resources/backend-cluster";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { parseDuration } from "../duration";

/** Spec paths this file implements (a path covers everything below it). */
export const ROUTE_FIELDS: readonly string[] = [
  "retry.numRetries",
  "retry.retryOn",
  "retry.perRetry.timeout",
  "retry.perRetry.backOff",
  "timeout.http.requestTimeout",
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
  /** Request timeout in milliseconds (replaces the rule's `timeouts.request`). */
  readonly requestTimeoutMs?: number;
}

/** The route action settings of `spec`; problems go to `invalid` as "<field path>: <why>". */
export function translateRouteAction(spec: BackendTrafficPolicySpec, invalid: string[]): RouteActionSettings {
  const out: { retry?: RetryIr; requestTimeoutMs?: number } = {};
  const timeout = spec.timeout?.http?.requestTimeout;
  if (timeout !== undefined) {
    const ms = parseDuration(timeout);
    if (ms === undefined) invalid.push(`spec.timeout.http.requestTimeout: ${timeout} is not a duration`);
    else out.requestTimeoutMs = ms;
  }
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
  return {
    // Envoy Gateway: retryOn given replaces the conditions (triggers) and the codes; unset keeps its defaults.
    codes: r.retryOn ? codes : [DEFAULT_RETRY_CODE],
    attempts: numRetries,
    ...(base !== undefined ? { backoffMs: base } : {}),
    policy: {
      retryOn: triggers.length > 0 ? [...triggers] : DEFAULT_RETRY_ON,
      ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
      ...(max !== undefined ? { maxBackoffMs: max } : {}),
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

/** The rule's timeouts with the policy's request timeout over them. */
export function withRequestTimeout(t: TimeoutsIr | undefined, ms: number | undefined): TimeoutsIr | undefined {
  if (ms === undefined) return t;
  return { ...t, requestMs: ms };
}
