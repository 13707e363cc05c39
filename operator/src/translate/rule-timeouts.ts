/** HTTPRoute rule timeouts → TimeoutsIr, with the spec's check that backendRequest ≤ request. */
import type { TimeoutsIr } from "../ir/xds-ir";
import type { HTTPRouteTimeouts } from "../resources/gateway-api";
import { parseDuration } from "./duration";

/** Compiles a rule's timeouts; a string is the message of an invalid value. */
export function compileTimeouts(t: HTTPRouteTimeouts | undefined, where: string): TimeoutsIr | undefined | string {
  if (!t) return undefined;
  const out: { requestMs?: number; backendRequestMs?: number } = {};
  for (const field of ["request", "backendRequest"] as const) {
    const text = t[field];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined) {
      return `${where}: timeouts.${field} "${text}" is not a Gateway API duration (e.g. 10s, 500ms, 1m30s)`;
    }
    out[field === "request" ? "requestMs" : "backendRequestMs"] = ms;
  }
  const { requestMs, backendRequestMs } = out;
  if (requestMs !== undefined && requestMs !== 0 && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    return `${where}: timeouts.backendRequest (${t.backendRequest}) cannot be longer than timeouts.request (${t.request})`;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
