/**
 * envoy.filters.http.dynamic_modules (rank 250 + index), placement `disabled`. Not fed by any IR yet.
 *
 * Envoy Gateway (EnvoyExtensionPolicy dynamic modules): one filter per module,
 * `envoy.filters.http.dynamic_modules/<policy>/<index>`, `disabled: true`, between wasm and geoip; a route turns
 * it on with FilterConfig. No generated type and no sample config yet: its proto (filters/http/dynamic_modules/v3,
 * in the pinned proto source) is not a root in proto/generate.mjs.
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
