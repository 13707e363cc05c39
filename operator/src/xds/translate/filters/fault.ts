/**
 * envoy.filters.http.fault (rank 2), placement `shared`, fed by BackendTrafficPolicy `faultInjection`
 * (`RouteIr.traffic.fault`).
 *
 * As Envoy Gateway: one empty HTTPFault on the HCM when some route of the listener injects faults; the route's
 * delay and abort as an HTTPFault in typed_per_filter_config, percentages as parts per million (always set:
 * Envoy's default is 0 %, the API's 100 %).
 */
import type { HTTPFault } from "../../../../../proto/gen/envoy/extensions/filters/http/fault/v3/fault";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType } from "../../../../../proto/any";
import type { FaultIr } from "../../../ir/fault-ir";
import { duration } from "../route-filters";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** HTTPFault, registered for Any packing. */
export const FaultType = registerLazyType<HTTPFault>("envoy/extensions/filters/http/fault/v3/fault", "HTTPFault");

const NAME = "envoy.filters.http.fault";
/** FractionalPercent's MILLION denominator. */
const MILLION = 2;

/** The fault filter's registry entry. */
export const fault: HttpFilterDef = {
  name: NAME,
  rank: 2,
  configType: FaultType.name,
  perRouteType: FaultType.name,
  placement: "shared",
  hcmFilters: (listener) =>
    listenerHasRoute(listener, (r) => r.traffic?.fault !== undefined)
      ? [{ name: NAME, typedConfig: packPartial(FaultType, {}) } as HttpFilter]
      : [],
  perRouteConfig: (route) =>
    route.traffic?.fault ? { [NAME]: packPartial(FaultType, routeConfig(route.traffic.fault)) } : undefined,
  sampleConfig: () => packPartial(FaultType, {}),
};

function routeConfig(f: FaultIr): object {
  return {
    ...(f.delay ? { delay: { fixedDelay: duration(f.delay.fixedDelayMs), ...percentage(f.delay.percentage) } } : {}),
    ...(f.abort
      ? {
          abort: {
            ...(f.abort.httpStatus !== undefined
              ? { httpStatus: f.abort.httpStatus }
              : { grpcStatus: f.abort.grpcStatus }),
            ...percentage(f.abort.percentage),
          },
        }
      : {}),
  };
}

function percentage(p: number): object {
  return { percentage: { numerator: Math.round(p * 10_000), denominator: MILLION } };
}
