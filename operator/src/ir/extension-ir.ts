/**
 * The EnvoyExtensionPolicy part of the xDS IR (issue 16): the extensions a route's effective EnvoyExtensionPolicy
 * runs on its traffic, in the policy's order. A route under a policy that cannot be applied carries none of it:
 * its action is a direct 500 instead (Envoy Gateway's code for a Lua error).
 */
import type { WasmIr } from "./wasm-ir";

/** One Lua script (filter envoy.filters.http.lua, one instance per script). */
export interface LuaIr {
  /** Instance name suffix: `envoyextensionpolicy/<ns>/<name>/lua/<index>`. */
  readonly name: string;
  /** The script, validated. */
  readonly code: string;
  /** The script's filter context (a JSON object), when the policy sets one. */
  readonly filterContext?: Readonly<Record<string, unknown>>;
}

/** What the effective EnvoyExtensionPolicy of a route asks of Envoy. */
export interface RouteExtensionsIr {
  /** `namespace/name` of the policy (`a+b` when a route policy is merged onto its parent's). */
  readonly policy: string;
  /** Lua scripts, in order. */
  readonly lua: readonly LuaIr[];
  /** Wasm modules, in order (ir/wasm-ir.ts). */
  readonly wasm: readonly WasmIr[];
}
