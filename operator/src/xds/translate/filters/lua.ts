/**
 * envoy.filters.http.lua (rank 13 + index), placement `disabled`, fed by EnvoyExtensionPolicy `lua`
 * (RouteIr.extensions.lua).
 *
 * As Envoy Gateway v1.9: one filter per script, `envoy.filters.http.lua/envoyextensionpolicy/<ns>/<name>/lua/<i>`,
 * `disabled: true`, holding the script as its default source code; each route of the policy turns it on with an
 * empty FilterConfig, or with LuaPerRoute carrying the script's `filter_context` (field 4, which Envoy 1.36 has
 * and our pinned API protos lack: hand-encoded here). A changed script or ConfigMap changes the listener (LDS),
 * no restart.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type * as LuaProto from "../../../../../proto/gen/envoy/extensions/filters/http/lua/v3/lua";
import type { Lua, LuaPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/lua/v3/lua";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { Struct } from "../../../../../proto/gen/google/protobuf/struct";
import { registerLazyType, registerLazyCodec } from "../../../../../proto/any";
import { enableOnRoute, namedInstances, type HttpFilterDef, LUA_FILTER, packPartial } from "./registry";
import { protoModule } from "../../../../../proto/lazy";

const luaProto = protoModule<typeof LuaProto>("envoy/extensions/filters/http/lua/v3/lua");

/** Lua, registered for Any packing. */
export const LuaType = registerLazyType<Lua>("envoy/extensions/filters/http/lua/v3/lua", "Lua");

/** LuaPerRoute with `filter_context` (field 4, a Struct), which the pinned protos lack. */
export type LuaPerRouteFull = LuaPerRoute & { readonly filterContext?: Readonly<Record<string, unknown>> };

const FILTER_CONTEXT_TAG = (4 << 3) | 2;

/** The LuaPerRoute codec with `filter_context`, registered in place of the generated one. */
export const LuaPerRouteType = registerLazyCodec("envoy.extensions.filters.http.lua.v3.LuaPerRoute", () => {
  const { LuaPerRoute } = luaProto();
  return {
    $type: LuaPerRoute.$type,
    encode(m: LuaPerRouteFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
      LuaPerRoute.encode(m, w);
      if (m.filterContext) Struct.encode(Struct.wrap(m.filterContext), w.uint32(FILTER_CONTEXT_TAG).fork()).join();
      return w;
    },
    // Only ever decoded from an Any's bytes; a nested reader (never used) would lose `filter_context`.
    decode(input: BinaryReader | Uint8Array, length?: number): LuaPerRouteFull {
      if (input instanceof BinaryReader) return LuaPerRoute.decode(input, length);
      const base = LuaPerRoute.decode(input);
      const r = new BinaryReader(input);
      let filterContext: Record<string, unknown> | undefined;
      while (r.pos < r.len) {
        const t = r.uint32();
        if (t === FILTER_CONTEXT_TAG) filterContext = Struct.unwrap(Struct.decode(r, r.uint32()));
        else r.skip(t & 7);
      }
      return filterContext ? { ...base, filterContext } : base;
    },
    fromPartial(o: never): LuaPerRouteFull {
      const p = o as Partial<LuaPerRouteFull>;
      const base = LuaPerRoute.fromPartial(p as never);
      return p.filterContext ? { ...base, filterContext: p.filterContext } : base;
    },
    toJSON(m: LuaPerRouteFull): unknown {
      const json = LuaPerRoute.toJSON(m) as Record<string, unknown>;
      return m.filterContext ? { ...json, filterContext: m.filterContext } : json;
    },
  };
});

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
