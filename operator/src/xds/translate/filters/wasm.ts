/**
 * envoy.filters.http.wasm (rank 200 + index), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (EnvoyExtensionPolicy `wasm`): one filter per module, `envoy.filters.http.wasm/<policy>/<index>`,
 * `disabled: true`, ranked 200 + index; a route turns it on with FilterConfig. No sample config: any config needs a
 * Wasm module.
 */
import { Wasm } from "../../../../../proto/gen/envoy/extensions/filters/http/wasm/v3/wasm";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef } from "./registry";

/** Wasm, registered for Any packing. */
export const WasmType = registerType(Wasm);

/** The wasm filter's registry entry. */
export const wasm: HttpFilterDef = {
  name: "envoy.filters.http.wasm",
  rank: 200,
  indexed: true,
  configType: WasmType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
};
