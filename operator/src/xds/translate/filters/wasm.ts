/**
 * envoy.filters.http.wasm (rank 200 + index), placement `disabled`, fed by EnvoyExtensionPolicy `wasm`
 * (RouteIr.extensions.wasm, ir/wasm-ir.ts).
 *
 * As Envoy Gateway v1.9 (its `wasm.go`): one filter per module entry,
 * `envoy.filters.http.wasm/envoyextensionpolicy/<ns>/<name>/wasm/<i>`, `disabled: true`, holding a PluginConfig
 * (name, root id, the entry's `config` JSON as a StringValue, `fail_open`) whose V8 VM (vm id = the IR name) loads
 * the module from egts's module server through `wasm_cluster` (remote source: URL, sha256, 10 s timeout, 10
 * retries backing off 1 s to 30 s), with the host environment keys the entry allows; each route of the policy
 * turns it on with an empty FilterConfig. No sample config: any config needs a module.
 */
import type { Wasm } from "../../../../../proto/gen/envoy/extensions/filters/http/wasm/v3/wasm";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { StringValue } from "../../../../../proto/gen/google/protobuf/wrappers";
import { pack, registerLazyType, registerType } from "../../../../../proto/any";
import { WASM_CLUSTER, type WasmIr } from "../../../ir/wasm-ir";
import { enableOnRoute, FilterConfigType, namedInstances, packPartial, type HttpFilterDef } from "./registry";

/** Wasm, registered for Any packing. */
export const WasmType = registerLazyType<Wasm>("envoy/extensions/filters/http/wasm/v3/wasm", "Wasm");

/** StringValue (the plugin configuration), registered for Any packing. */
export const StringValueType = registerType(StringValue);

/** Name of the Wasm filter. */
export const WASM_FILTER = "envoy.filters.http.wasm";

/** Envoy Gateway's Wasm runtime. */
const V8_RUNTIME = "envoy.wasm.runtime.v8";

/** The filter config of one module. */
export function wasmFilterConfig(w: WasmIr): object {
  return {
    config: {
      name: w.pluginName,
      rootId: w.rootId ?? "",
      configuration: pack(StringValueType, StringValue.fromPartial({ value: w.config })),
      failOpen: w.failOpen,
      vmConfig: {
        vmId: w.name,
        runtime: V8_RUNTIME,
        code: {
          remote: {
            httpUri: { uri: w.servingUrl, cluster: WASM_CLUSTER, timeout: { seconds: 10, nanos: 0 } },
            sha256: w.sha256,
            retryPolicy: {
              numRetries: 10,
              retryBackOff: { baseInterval: { seconds: 1, nanos: 0 }, maxInterval: { seconds: 30, nanos: 0 } },
            },
          },
        },
        ...(w.hostKeys.length > 0 ? { environmentVariables: { hostEnvKeys: [...w.hostKeys] } } : {}),
      },
    },
  };
}

/** The wasm filter's registry entry. */
export const wasm: HttpFilterDef = {
  name: WASM_FILTER,
  rank: 200,
  indexed: true,
  configType: WasmType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, WASM_FILTER, (r) => r.extensions?.wasm ?? [])].map(
      ([name, w]) => ({ name, typedConfig: packPartial(WasmType, wasmFilterConfig(w)), disabled: true }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const modules = r.extensions?.wasm ?? [];
    if (modules.length === 0) return undefined;
    return Object.fromEntries(modules.map((w) => [`${WASM_FILTER}/${w.name}`, enableOnRoute()]));
  },
};
