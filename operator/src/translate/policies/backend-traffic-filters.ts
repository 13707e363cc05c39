/**
 * BackendTrafficPolicy's fields carried out by HTTP filters per route (local rate limit, fault injection,
 * compression, response override, bandwidth limit, admission control, request buffer): spec → the route's
 * RouteTrafficIr. Each filter is one file of xds/translate/filters/ reading `RouteIr.traffic`.
 */
import type { RouteTrafficIr } from "../../ir/backend-traffic-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";

/** Spec paths this file implements (a path covers everything below it). */
export const FILTER_FIELDS: readonly string[] = [];

/** The route-level filter settings of `spec`; problems go to `invalid` as "<field path>: <why>". */
export function translateRouteFilters(
  _spec: BackendTrafficPolicySpec,
  _ctx: BackendTrafficContext,
  _invalid: string[],
): Omit<RouteTrafficIr, "policy"> | undefined {
  return undefined;
}
