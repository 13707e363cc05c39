/**
 * envoy.filters.http.dynamic_modules (rank 250 + index), placement `disabled`, fed by EnvoyExtensionPolicy
 * `dynamicModule` (RouteIr.extensions.dynamicModules).
 *
 * As Envoy Gateway v1.9: one filter per entry, `envoy.filters.http.dynamic_modules/envoyextensionpolicy/<ns>/
 * <name>/dynamic-module/<i>`, `disabled: true`, holding DynamicModuleFilter{dynamic_module_config{do_not_close,
 * load_globally}, filter_name, terminal_filter, filter_config: StringValue(<config JSON>)}; each route of the policy
 * turns it on with an empty FilterConfig. Envoy 1.36 has no `module` data source: the config names the module
 * (`dynamic_module_config.name`), which Envoy loads as `lib<name>.so` from ENVOY_DYNAMIC_MODULES_SEARCH_PATH (the
 * host runner's per-proxy directory of links).
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { DynamicModuleFilter } from "../../../../../proto/gen/envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules";
import type { StringValue } from "../../../../../proto/gen/google/protobuf/wrappers";
import { pack, registerLazyType } from "../../../../../proto/any";
import type { DynamicModuleIr } from "../../../ir/extension-ir";
import { enableOnRoute, FilterConfigType, type HttpFilterDef, namedInstances, packPartial } from "./registry";

/** DynamicModuleFilter, registered for Any packing. */
export const DynamicModuleFilterType = registerLazyType<DynamicModuleFilter>(
  "envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules",
  "DynamicModuleFilter",
);

/** StringValue, registered for Any packing (the filter config). */
export const StringValueType = registerLazyType<StringValue>("google/protobuf/wrappers", "StringValue");

/** Name of the dynamic modules filter. */
export const DYNAMIC_MODULES_FILTER = "envoy.filters.http.dynamic_modules";

/** The DynamicModuleFilter of one entry (a fromPartial object). */
export function dynamicModuleConfig(m: DynamicModuleIr): object {
  return {
    dynamicModuleConfig: { name: m.module, doNotClose: m.doNotClose, loadGlobally: m.loadGlobally },
    filterName: m.filterName,
    ...(m.config !== undefined ? { filterConfig: pack(StringValueType, { value: m.config }) } : {}),
    terminalFilter: m.terminalFilter,
  };
}

/** The dynamic_modules filter's registry entry. */
export const dynamicModules: HttpFilterDef = {
  name: DYNAMIC_MODULES_FILTER,
  rank: 250,
  indexed: true,
  configType: DynamicModuleFilterType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, DYNAMIC_MODULES_FILTER, (r) => r.extensions?.dynamicModules ?? [])].map(
      ([name, m]) =>
        ({
          name,
          typedConfig: packPartial(DynamicModuleFilterType, dynamicModuleConfig(m)),
          disabled: true,
        }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const list = r.extensions?.dynamicModules ?? [];
    if (list.length === 0) return undefined;
    return Object.fromEntries(list.map((m) => [`${DYNAMIC_MODULES_FILTER}/${m.name}`, enableOnRoute()]));
  },
};
