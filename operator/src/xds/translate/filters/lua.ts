/**
 * envoy.filters.http.lua (rank 63 + index), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (EnvoyExtensionPolicy `lua`): slots `envoy.filters.http.lua/<route config>/<slot>`, `disabled:
 * true`, each holding the scripts of that slot in `source_codes`; a route picks its script by name with
 * LuaPerRoute. Route-level slots rank 63 + slot; listener-level ones (`/listener/` in the name) 13 + slot.
 */
import { Lua, LuaPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/lua/v3/lua";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** Lua, registered for Any packing. */
export const LuaType = registerType(Lua);
/** LuaPerRoute, registered for Any packing. */
export const LuaPerRouteType = registerType(LuaPerRoute);

/** The lua filter's registry entry. */
export const lua: HttpFilterDef = {
  name: "envoy.filters.http.lua",
  rank: 63,
  indexed: true,
  configType: LuaType.name,
  perRouteType: LuaPerRouteType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(LuaType, {}),
};
