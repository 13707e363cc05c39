/**
 * envoy.filters.http.lua (rank 13 + index), placement `disabled`, fed by EnvoyExtensionPolicy `lua`
 * (RouteIr.extensions.lua).
 *
 * As Envoy Gateway v1.9: one filter per script, `envoy.filters.http.lua/envoyextensionpolicy/<ns>/<name>/lua/<i>`,
 * `disabled: true`, holding the script as its default source code; each route of the policy turns it on with an
 * empty FilterConfig, or with LuaPerRoute carrying the script's `filter_context`. A changed script or ConfigMap changes the listener (LDS),
 * no restart.
 */
import type { Lua, LuaPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/lua/v3/lua";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType } from "../../../../../proto/any";
import { enableOnRoute, namedInstances, type HttpFilterDef, LUA_FILTER, packPartial } from "./registry";

/** Lua, registered for Any packing. */
export const LuaType = registerLazyType<Lua>("envoy/extensions/filters/http/lua/v3/lua", "Lua");

/** LuaPerRoute, registered for Any packing. */
export const LuaPerRouteType = registerLazyType<LuaPerRoute>("envoy/extensions/filters/http/lua/v3/lua", "LuaPerRoute");

/** The lua filter's registry entry. */
export const lua: HttpFilterDef = {
  name: LUA_FILTER,
  rank: 13,
  indexed: true,
  configType: LuaType.name,
  perRouteType: LuaPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, LUA_FILTER, (r) => r.extensions?.lua ?? [])].map(
      ([name, s]) =>
        ({
          name,
          typedConfig: packPartial(LuaType, { defaultSourceCode: { inlineString: s.code } }),
          disabled: true,
        }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const scripts = r.extensions?.lua ?? [];
    if (scripts.length === 0) return undefined;
    return Object.fromEntries(
      scripts.map((s) => [
        `${LUA_FILTER}/${s.name}`,
        s.filterContext ? packPartial(LuaPerRouteType, { filterContext: s.filterContext } as never) : enableOnRoute(),
      ]),
    );
  },
  sampleConfig: () => packPartial(LuaType, { defaultSourceCode: { inlineString: "function envoy_on_request(h) end" } }),
};
