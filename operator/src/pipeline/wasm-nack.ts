/**
 * A Wasm module Envoy fetched but cannot start (its VM or its plugin's start or configure call fails, e.g. a root
 * id the module does not register): the first load is asynchronous, so Envoy ACKs and, without `failOpen`, answers
 * 503 on the routes; from then on it refuses every update of that listener with
 * `Unable to create Wasm plugin <plugin name>` (a NACK), which no route change explains. The plugin name is the
 * policy's (`wasm[].name`, else `envoyextensionpolicy/<ns>/<name>/wasm/<index>`, extension-wasm.ts), so the NACK
 * names the entries to quarantine directly, without a bisection. Pure.
 */
import type { ResourceSnapshot } from "../resources/snapshot";
import { extensionPolicyObjects, wasmEntryKey, type SuspectRef } from "./nack-suspects";

/** What Envoy writes when it cannot create a Wasm plugin (then the plugin name). */
const UNABLE = /Unable to create Wasm (?:plugin|HTTP filter|network filter) /g;

/** One `wasm` entry of an EnvoyExtensionPolicy, with the plugin name Envoy knows it by. */
export interface WasmEntry {
  /** The quarantine key of the entry (`EnvoyExtensionPolicy/ns/name/wasm/<index>`). */
  readonly key: string;
  /** The policy. */
  readonly policy: SuspectRef;
  /** Index in `spec.wasm`. */
  readonly index: number;
  /** The plugin name in Envoy. */
  readonly pluginName: string;
  /** Whether the entry fails open. */
  readonly failOpen: boolean;
}

/** Every `wasm` entry of the snapshot's EnvoyExtensionPolicies. */
export function wasmEntries(snapshot: ResourceSnapshot): WasmEntry[] {
  const out: WasmEntry[] = [];
  for (const policy of extensionPolicyObjects(snapshot)) {
    const { name, namespace } = policy.object.metadata;
    const list = (policy.object.spec?.wasm ?? []) as readonly { name?: string; failOpen?: boolean }[];
    for (const [index, w] of list.entries()) {
      const pluginName =
        w.name !== undefined && w.name !== ""
          ? w.name
          : `envoyextensionpolicy/${namespace ?? "default"}/${name}/wasm/${index}`;
      out.push({ key: wasmEntryKey(policy.key, index), policy, index, pluginName, failOpen: w.failOpen === true });
    }
  }
  return out;
}

/** The plugin names a NACK's error_detail says Envoy could not create (in order, without repeats). */
export function failedWasmPlugins(error: string): string[] {
  const out: string[] = [];
  for (const m of error.matchAll(UNABLE)) {
    const rest = error.slice((m.index ?? 0) + m[0].length);
    const name = /^[^\s,;]+/.exec(rest)?.[0].replace(/[.:]+$/, "");
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The `wasm` entries of `snapshot` a NACK names (every entry of that plugin name, when several share it). */
export function wasmCulprits(error: string, snapshot: ResourceSnapshot): WasmEntry[] {
  const names = new Set(failedWasmPlugins(error));
  if (names.size === 0) return [];
  return wasmEntries(snapshot).filter((e) => names.has(e.pluginName));
}
