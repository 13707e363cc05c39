/**
 * The status of what the NACK quarantine holds (nack-bisect.ts, nack-suspects.ts), written over a pass's statuses:
 * - a route (left out of translation, so the pass wrote nothing for it): Accepted=False on every parentRef, reason
 *   UnsupportedValue (the route reasons have no "Invalid": a value in it cannot be programmed), with Envoy's error;
 * - an EnvoyPatchPolicy (translated without its patches): Programmed=False, reason Invalid (Envoy Gateway's reason
 *   for patches that cannot be programmed), `Envoy rejected the patched resources: <Envoy's reason>. …`, under
 *   every ancestor; its Accepted stays as translated;
 * - a Wasm entry of an EnvoyExtensionPolicy (translated as a module that cannot be had, so the policy is
 *   Accepted=False Invalid, or its failOpen routes served without it): the translator's message for the marker is
 *   replaced by Envoy's reason, naming the plugin.
 * Pure.
 */
import type { Condition } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { CondType, Reason, type StatusUpdate } from "../translate/conditions";
import { PatchReason } from "../xds/patch/status";
import { objectKeyOf, quarantinedWasmType, suspectObjects, type SuspectObject } from "./nack-suspects";
import { wasmEntries } from "./wasm-nack";

/** One quarantined key's record (nack-bisect.ts `QuarantineEntry`). */
interface Held {
  /** Envoy's reason. */
  readonly error: string;
}

/** A policy status body: conditions per ancestor. */
interface PolicyStatusBody {
  readonly ancestors?: readonly { readonly conditions: readonly Condition[]; readonly [k: string]: unknown }[];
  readonly [key: string]: unknown;
}

/** `translated` with the quarantine's conditions (see the module comment). */
export function quarantinedStatuses(
  translated: readonly StatusUpdate[],
  held: ReadonlyMap<string, Held>,
  snapshot: ResourceSnapshot,
  controllerName: string,
): readonly StatusUpdate[] {
  // Nothing held: the very list (the status log compares it with the last by reference, list-window.ts).
  if (held.size === 0) return translated;
  const objects = new Map(suspectObjects(snapshot).map((r) => [r.key, r]));
  const routes: StatusUpdate[] = [];
  const policies = new Map<string, (c: Condition) => Condition>();
  for (const [key, e] of held) {
    const r = objects.get(key);
    if (r?.kind === "EnvoyPatchPolicy") policies.set(key, patchProgrammed(e.error));
    else if (r) routes.push(routeStatus(r.kind, r.object, e.error, controllerName));
  }
  for (const w of wasmEntries(snapshot)) {
    const e = held.get(w.key);
    if (!e) continue;
    const prev = policies.get(objectKeyOf(w.key)) ?? ((c: Condition): Condition => c);
    policies.set(objectKeyOf(w.key), (c) => wasmMessage(prev(c), w.index, w.pluginName, e.error));
  }
  const out = translated.map((u) => {
    const edit = policies.get(`${u.kind}/${u.namespace ?? "default"}/${u.name}`);
    return edit ? editConditions(u, edit) : u;
  });
  return [...out, ...routes];
}

/** Accepted=False on every parentRef of a quarantined route. */
function routeStatus(kind: string, o: SuspectObject, error: string, controllerName: string): StatusUpdate {
  const condition = {
    type: CondType.Accepted,
    status: "False",
    reason: Reason.UnsupportedValue,
    message: `Envoy rejected the configuration: ${error}. The route is left out until it changes`,
  };
  return {
    apiVersion: o.apiVersion ?? "gateway.networking.k8s.io/v1",
    kind,
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    status: {
      parents: (o.spec?.parentRefs ?? []).map((parentRef) => ({ parentRef, controllerName, conditions: [condition] })),
    },
  };
}

/** The Programmed condition of a quarantined EnvoyPatchPolicy (any other condition unchanged). */
function patchProgrammed(error: string): (c: Condition) => Condition {
  const message = `Envoy rejected the patched resources: ${error}. The policy's patches are left out until it changes.`;
  return (c) => (c.type === CondType.Programmed ? { ...c, status: "False", reason: PatchReason.Invalid, message } : c);
}

/** A condition whose message has the translator's words for the marker of entry `index` replaced by Envoy's reason. */
function wasmMessage(c: Condition, index: number, plugin: string, error: string): Condition {
  const marker = `unsupported Wasm code source type "${quarantinedWasmType(index)}"`;
  if (!c.message.includes(marker)) return c;
  const reason = `Envoy could not start the module (${wasmLine(error, plugin)}); the entry is left out until the policy changes`;
  return { ...c, message: c.message.split(marker).join(reason) };
}

/** The part of Envoy's error about `plugin` (its listener prefix dropped), else the whole error. */
function wasmLine(error: string, plugin: string): string {
  const line = error.split("\n").find((l) => l.includes(plugin)) ?? error;
  return line.replace(/^Error adding\/updating listener\(s\) [^:]*: /, "").trim();
}

/** A policy status with `edit` applied to every condition of every ancestor. */
function editConditions(u: StatusUpdate, edit: (c: Condition) => Condition): StatusUpdate {
  const status = u.status as PolicyStatusBody;
  const ancestors = (status.ancestors ?? []).map((a) => ({ ...a, conditions: a.conditions.map(edit) }));
  return { ...u, status: { ...status, ancestors } };
}
