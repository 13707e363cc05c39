/**
 * BackendTrafficPolicy's fields carried out by HTTP filters per route (local rate limit, fault injection,
 * compression, response override, bandwidth limit, request buffer): spec → the route's
 * RouteTrafficIr. Each field group is one file here; each filter is one file of xds/translate/filters/ reading
 * `RouteIr.traffic`.
 */
import type { RouteTrafficIr } from "../../ir/backend-traffic-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { translateBandwidthLimit } from "./backend-traffic-bandwidth";
import { translateCompression } from "./backend-traffic-compression";
import { translateFault } from "./backend-traffic-fault";
import { translateGlobalRateLimit } from "./backend-traffic-ratelimit-global";
import { translateLocalRateLimit } from "./backend-traffic-ratelimit-local";
import { translateRequestBuffer } from "./backend-traffic-request-buffer";
import { translateResponseOverride } from "./backend-traffic-response-override";

/** Spec paths this file implements (a path covers everything below it). */
export const FILTER_FIELDS: readonly string[] = [
  "rateLimit.type",
  "rateLimit.local",
  "rateLimit.global",
  "faultInjection",
  "compressor",
  "compression",
  "responseOverride",
  "bandwidthLimit",
  "requestBuffer",
];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The route-level filter settings of `spec`; problems go to `invalid` as "<field path>: <why>". */
export function translateRouteFilters(
  spec: BackendTrafficPolicySpec,
  ctx: BackendTrafficContext,
  invalid: string[],
): Omit<RouteTrafficIr, "policy"> | undefined {
  const out: Mutable<Omit<RouteTrafficIr, "policy">> = {};
  const local = spec.rateLimit ? translateLocalRateLimit(spec.rateLimit, invalid) : undefined;
  if (local) out.localRateLimit = local;
  const global = spec.rateLimit ? translateGlobalRateLimit(spec.rateLimit, ctx.policy, ctx, invalid) : undefined;
  if (global) out.globalRateLimit = global;
  const fault = spec.faultInjection ? translateFault(spec.faultInjection, invalid) : undefined;
  if (fault) out.fault = fault;
  const compression = translateCompression(spec, invalid);
  if (compression) out.compression = compression;
  const overrides = spec.responseOverride ? translateResponseOverride(spec.responseOverride, ctx, invalid) : undefined;
  if (overrides) out.responseOverride = overrides;
  const bandwidth = spec.bandwidthLimit ? translateBandwidthLimit(spec.bandwidthLimit, invalid) : undefined;
  if (bandwidth) out.bandwidthLimit = bandwidth;
  const buffered = translateRequestBuffer(spec, invalid);
  if (buffered !== undefined) out.requestBufferBytes = buffered;
  return Object.keys(out).length > 0 ? out : undefined;
}
