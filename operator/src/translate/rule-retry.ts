/** HTTPRoute rule retry → RetryIr. */
import type { RetryIr } from "../ir/xds-ir";
import type { HTTPRouteRetry } from "../resources/gateway-api";
import { parseDuration } from "./duration";

/** Compiles a rule's retry; undefined when retries are off; a string is the message of an invalid value. */
export function compileRetry(r: HTTPRouteRetry | undefined, where: string): RetryIr | undefined | string {
  if (!r) return undefined;
  const attempts = r.attempts ?? 1;
  if (!Number.isInteger(attempts) || attempts < 0) return `${where}: retry.attempts must be an integer >= 0`;
  const bad = (r.codes ?? []).find((c) => !Number.isInteger(c) || c < 400 || c > 599);
  if (bad !== undefined) return `${where}: retry.codes must be HTTP status codes 400-599 (got ${bad})`;
  let backoffMs: number | undefined;
  if (r.backoff !== undefined) {
    backoffMs = parseDuration(r.backoff);
    if (backoffMs === undefined) {
      return `${where}: retry.backoff "${r.backoff}" is not a Gateway API duration (e.g. 100ms, 1s)`;
    }
  }
  if (attempts === 0) return undefined; // an explicit 0 disables retries
  return { codes: [...new Set(r.codes ?? [])], attempts, ...(backoffMs !== undefined ? { backoffMs } : {}) };
}
