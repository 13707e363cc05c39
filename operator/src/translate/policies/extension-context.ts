/**
 * What the EnvoyExtensionPolicy list translations share: the objects a policy may reference, the EnvoyGateway
 * switches, and, per list, the policy that owns it (after a merge, the route-level policy owns a list it sets,
 * else its parent: that policy's namespace resolves the list's references and names its IR objects).
 */
import type { DynamicModuleEntry, LuaValidation } from "../../resources/envoy-proxy";
import type { BackendIndex } from "../backends";
import type { ListenerRefs } from "../listener-tls";
import type { ExtensionApiGates } from "../extension-gates";
import type { WasmModules } from "../wasm-sources";
import type { SecurityOwner } from "./security-context";

/** The policy owning a list (its namespace and name). */
export type ExtensionOwner = SecurityOwner;

/** The context of one EnvoyExtensionPolicy spec's translation. */
export interface ExtensionContext {
  /** Secrets and ConfigMaps by key, and the ReferenceGrants. */
  readonly refs: ListenerRefs;
  /** The EnvoyGateway configuration's switches (`enableLua`). */
  readonly gates: ExtensionApiGates;
  /** Services and Backends (the external processors' clusters, security-backends.ts). */
  readonly backends: BackendIndex;
  /** The Gateway's EnvoyProxy `dynamicModules` allowlist (empty when it has none). */
  readonly dynamicModules: readonly DynamicModuleEntry[];
  /** The Gateway's EnvoyProxy `luaValidation` (Strict when unset). */
  readonly luaValidation: LuaValidation;
  /** The policy owning the top-level spec list `list` (`lua`, `extProc`, …). */
  readonly ownerOf: (list: string) => ExtensionOwner;
  /** The Wasm modules fetched so far (pipeline/wasm-cache.ts); absent: every `wasm` entry fails. */
  readonly wasm?: WasmModules;
}

/** Envoy Gateway's IR name of a policy's objects: `envoyextensionpolicy/<ns>/<name>`. */
export function extensionIrName(owner: ExtensionOwner): string {
  return `envoyextensionpolicy/${owner.namespace}/${owner.name}`;
}
