/**
 * What a NACK can be pinned on, and how the pipeline translates without it (nack-bisect.ts holds the search and the
 * quarantine). Three kinds of suspect, each named by a key:
 * - a route-level object (`HTTPRoute/ns/name`, …): left out of the snapshot;
 * - an EnvoyPatchPolicy (`EnvoyPatchPolicy/ns/name`): kept (its Accepted condition and ancestors are still
 *   computed) but with no patches, so the node is published as built;
 * - one `wasm` entry of an EnvoyExtensionPolicy (`EnvoyExtensionPolicy/ns/name/wasm/<index>`, named by Envoy's
 *   `Unable to create Wasm plugin <name>`, wasm-nack.ts): its code source is replaced by a marker the translator
 *   cannot fetch, so the entry fails as a module egts could not get does: its routes answer 500 (Envoy Gateway's
 *   fail-closed rule), or are served without it with `failOpen`.
 *
 * Pure.
 */
import { createHash } from "node:crypto";
import type { ResourceSnapshot } from "../resources/snapshot";
import { WindowedValues } from "../ir/list-window";

/** Snapshot fields holding route-level objects, with their kind. */
const ROUTE_FIELDS = [
  ["httpRoutes", "HTTPRoute"],
  ["grpcRoutes", "GRPCRoute"],
  ["tlsRoutes", "TLSRoute"],
  ["tcpRoutes", "TCPRoute"],
  ["udpRoutes", "UDPRoute"],
] as const;

/** The parts of a suspect object the bisection needs. */
export interface SuspectObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly generation?: number;
    readonly labels?: unknown;
    readonly annotations?: unknown;
  };
  readonly spec?: object & {
    readonly parentRefs?: readonly unknown[];
    readonly wasm?: readonly object[];
    readonly jsonPatches?: readonly unknown[];
  };
}

/** An object a NACK may be pinned on: `Kind/namespace/name` and a hash of its content. */
export interface SuspectRef {
  /** `Kind/namespace/name`. */
  readonly key: string;
  /** Its kind. */
  readonly kind: string;
  /**
   * SHA-256 of the object's spec, labels and annotations (a change releases it from quarantine); not of
   * resourceVersion, which our own status write changes.
   */
  readonly hash: string;
  /** The object. */
  readonly object: SuspectObject;
}

/** `Kind/namespace/name` of an object. */
function objectKey(kind: string, o: SuspectObject): string {
  return `${kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

/** The content hash of an object (see {@link SuspectRef.hash}). */
function contentHash(o: SuspectObject): string {
  const content = [o.spec, o.metadata.labels, o.metadata.annotations];
  return createHash("sha256").update(JSON.stringify(content)).digest("hex");
}

/**
 * The suspects of each kind's last list (ADR 0030): a snapshot's list shares its unchanged objects, in order, with the
 * last one, so only its changed window is looked up (every pass records its suspects for the NACK guard).
 */
const kindLists = new Map<string, WindowedValues<SuspectObject, SuspectRef>>();

/** The suspects of a list of objects of one kind, in order. */
function suspectsOf(kind: string, list: readonly SuspectObject[]): readonly SuspectRef[] {
  let w = kindLists.get(kind);
  if (!w) kindLists.set(kind, (w = new WindowedValues((o: SuspectObject) => suspect(kind, o))));
  return w.update(list);
}

/** Every object of the snapshot a bisection may leave out: route-level objects and EnvoyPatchPolicies. */
export function suspectObjects(snapshot: ResourceSnapshot): SuspectRef[] {
  const lists: (readonly SuspectRef[])[] = [];
  for (const [field, kind] of ROUTE_FIELDS) {
    const list = snapshot[field] as readonly SuspectObject[] | undefined;
    if (list && list.length > 0) lists.push(suspectsOf(kind, list));
  }
  const patches = snapshot.policies?.envoyPatchPolicies as readonly SuspectObject[] | undefined;
  if (patches && patches.length > 0) lists.push(suspectsOf("EnvoyPatchPolicy", patches));
  return ([] as SuspectRef[]).concat(...lists);
}

/**
 * The suspect of each object, by object: snapshots are immutable and providers hand out the same object while it is
 * unchanged (the file provider's parse cache, the Kubernetes reflector's store), so a pass makes (and hashes) only
 * changed objects' suspects.
 */
const refs = new WeakMap<SuspectObject, SuspectRef>();

function suspect(kind: string, o: SuspectObject): SuspectRef {
  const known = refs.get(o);
  if (known?.kind === kind) return known;
  const ref = { key: objectKey(kind, o), kind, hash: contentHash(o), object: o };
  refs.set(o, ref);
  return ref;
}

/** The EnvoyExtensionPolicies of the snapshot, as suspects (their `wasm` entries are quarantined one by one). */
export function extensionPolicyObjects(snapshot: ResourceSnapshot): SuspectRef[] {
  const policies = (snapshot.policies?.envoyExtensionPolicies ?? []) as readonly SuspectObject[];
  return policies.map((o) => suspect("EnvoyExtensionPolicy", o));
}

/** The key of a policy's `wasm` entry `index`. */
export function wasmEntryKey(policyKey: string, index: number): string {
  return `${policyKey}/wasm/${index}`;
}

/** The object key (`Kind/namespace/name`) of a quarantine key (which may name a part of it). */
export function objectKeyOf(key: string): string {
  return key.split("/").slice(0, 3).join("/");
}

/** The Wasm code source type the translator refuses, marking a quarantined entry (`index` tells them apart). */
export function quarantinedWasmType(index: number): string {
  return `EnvoyRejected-${index}`;
}

/**
 * The snapshot without the suspects in `exclude` (pure): routes left out, patch policies emptied, Wasm entries
 * marked (see the module comment).
 */
export function withoutSuspects(snapshot: ResourceSnapshot, exclude: ReadonlySet<string>): ResourceSnapshot {
  if (exclude.size === 0) return snapshot;
  const out: Record<string, unknown> = { ...snapshot };
  for (const [field, kind] of ROUTE_FIELDS) {
    const list = snapshot[field] as readonly SuspectObject[] | undefined;
    if (list) out[field] = list.filter((o) => !exclude.has(objectKey(kind, o)));
  }
  const p = snapshot.policies;
  if (p) {
    const patches = (p.envoyPatchPolicies ?? []) as readonly SuspectObject[];
    const extensions = (p.envoyExtensionPolicies ?? []) as readonly SuspectObject[];
    out.policies = {
      ...p,
      ...(p.envoyPatchPolicies ? { envoyPatchPolicies: patches.map((o) => withoutPatches(o, exclude)) } : {}),
      ...(p.envoyExtensionPolicies
        ? { envoyExtensionPolicies: extensions.map((o) => withoutWasmEntries(o, exclude)) }
        : {}),
    };
  }
  return out as unknown as ResourceSnapshot;
}

/** An EnvoyPatchPolicy without its patches when it is quarantined. */
function withoutPatches(o: SuspectObject, exclude: ReadonlySet<string>): SuspectObject {
  return exclude.has(objectKey("EnvoyPatchPolicy", o)) ? { ...o, spec: { ...o.spec, jsonPatches: [] } } : o;
}

/** An EnvoyExtensionPolicy with its quarantined `wasm` entries marked. */
function withoutWasmEntries(o: SuspectObject, exclude: ReadonlySet<string>): SuspectObject {
  const key = objectKey("EnvoyExtensionPolicy", o);
  const wasm = o.spec?.wasm;
  if (!wasm?.some((_, i) => exclude.has(wasmEntryKey(key, i)))) return o;
  const marked = wasm.map((w, i) =>
    exclude.has(wasmEntryKey(key, i)) ? { ...w, code: { type: quarantinedWasmType(i) } } : w,
  );
  return { ...o, spec: { ...o.spec, wasm: marked } };
}
