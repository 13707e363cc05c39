/**
 * envoy.filters.http.dynamic_modules (rank 250 + index), placement `disabled`. Not fed by any IR yet.
 *
 * Envoy Gateway (EnvoyExtensionPolicy dynamic modules): one filter per module,
 * `envoy.filters.http.dynamic_modules/<policy>/<index>`, `disabled: true`, between wasm and geoip; a route turns
 * it on with FilterConfig. Envoy Gateway's source ranks it although its EnvoyFilter list for `filterOrder`
 * does not name it. No generated type and no sample config: the pinned proto source predates it.
 */
import { FilterConfigType, type HttpFilterDef } from "./registry";

/** The dynamic_modules filter's registry entry. */
export const dynamicModules: HttpFilterDef = {
  name: "envoy.filters.http.dynamic_modules",
  rank: 250,
  indexed: true,
  configType: "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
  perRouteType: FilterConfigType.name,
  placement: "disabled",
};
