/**
 * Intake: before translation, every object is held against its kind's shape (shapes.ts). An object with a
 * wrong type in a field the translator reads (a string where a list is expected, a port out of range) is
 * taken out of the snapshot and reported with a message naming it and the field; the others translate as
 * usual. Null fields count as absent, as the API server prunes them (the file provider has no API server).
 * Pure: the input snapshot is not changed; objects without nulls are passed through as they are.
 */
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { describeValue, KIND_SHAPES, shapeProblem } from "./shapes";
import { listWindow, splicedWindow, StateByName, unchangedWindow } from "../ir/list-window";

/** An object the translator could not use, and why. */
export interface RejectedObject {
  /** The object as given. */
  readonly object: KubeObject<unknown>;
  /** `Kind namespace/name: field: expected …, got …` (or the error that stopped its translation). */
  readonly message: string;
}

/** The snapshot without rejected objects, and the rejected ones. */
export interface Intake {
  /** What the translator reads. */
  readonly snapshot: ResourceSnapshot;
  /** Objects taken out, in snapshot order. */
  readonly rejected: readonly RejectedObject[];
}

/** `Kind namespace/name` of an object whose metadata may be malformed. */
export function objectName(o: unknown): string {
  const obj = (typeof o === "object" && o !== null ? o : {}) as { kind?: unknown; metadata?: unknown };
  const m = (typeof obj.metadata === "object" && obj.metadata !== null ? obj.metadata : {}) as {
    name?: unknown;
    namespace?: unknown;
  };
  const kind = typeof obj.kind === "string" ? obj.kind : "object";
  const ns = typeof m.namespace === "string" ? `${m.namespace}/` : "";
  const name = typeof m.name === "string" ? m.name : `(name: ${describeValue(m.name)})`;
  return `${kind} ${ns}${name}`;
}

/**
 * One snapshot list's intake as last checked: per element, the object kept (undefined: rejected) or its problem. A
 * new version of the list checks only the window that changed (ADR 0030; the other elements are the same objects,
 * whose check is a pure function of the object), and an unchanged list gives the same kept array as last time.
 */
class ListIntake {
  private items: readonly unknown[] = [];
  private kept: unknown[] = [];
  private problems: (string | undefined)[] = [];
  private rejectedCount = 0;
  private out: readonly unknown[] = [];

  /** The kept objects of `items`, in order; each rejected one is added to `rejected`. */
  take(items: readonly unknown[], rejected: RejectedObject[]): readonly unknown[] {
    const w = listWindow(this.items, items);
    if (!unchangedWindow(w)) {
      for (let i = w.from; i < w.beforeTo; i++) if (this.problems[i] !== undefined) this.rejectedCount--;
      const kept: unknown[] = [];
      const problems: (string | undefined)[] = [];
      for (let i = w.from; i < w.afterTo; i++) {
        const checked = checkObject(items[i]);
        const ok = "object" in checked;
        kept.push(ok ? checked.object : undefined);
        problems.push(ok ? undefined : `${objectName(items[i])}: ${checked.problem}`);
        if (!ok) this.rejectedCount++;
      }
      this.kept = splicedWindow(this.kept, w, kept);
      this.problems = splicedWindow(this.problems, w, problems);
      // The same array goes to every translation until the list changes (snapshot lists are readonly).
      this.out = this.rejectedCount === 0 ? this.kept : this.kept.filter((o) => o !== undefined);
    }
    this.items = items;
    if (this.rejectedCount > 0)
      this.problems.forEach((message, i) => {
        if (message !== undefined) rejected.push({ object: items[i] as KubeObject<unknown>, message });
      });
    return this.out;
  }
}

/** The intake of each snapshot list (by field), kept for the next translation (bounded: policy kinds are few). */
const listIntakes = new StateByName(() => new ListIntake(), 256);

/** Checks every object of the snapshot (EnvoyProxies among `unknown` too). */
export function checkSnapshot(s: ResourceSnapshot): Intake {
  const rejected: RejectedObject[] = [];
  const keep = <T>(field: string, items: readonly T[]): T[] => listIntakes.get(field).take(items, rejected) as T[];
  const snapshot: ResourceSnapshot = {
    gatewayClasses: keep("gatewayClasses", s.gatewayClasses),
    gateways: keep("gateways", s.gateways),
    httpRoutes: keep("httpRoutes", s.httpRoutes),
    backends: keep("backends", s.backends),
    services: keep("services", s.services),
    endpointSlices: keep("endpointSlices", s.endpointSlices),
    namespaces: keep("namespaces", s.namespaces),
    referenceGrants: keep("referenceGrants", s.referenceGrants),
    backendTLSPolicies: keep("backendTLSPolicies", s.backendTLSPolicies),
    configMaps: keep("configMaps", s.configMaps),
    secrets: keep("secrets", s.secrets),
    tlsRoutes: keep("tlsRoutes", s.tlsRoutes),
    tcpRoutes: keep("tcpRoutes", s.tcpRoutes),
    udpRoutes: keep("udpRoutes", s.udpRoutes),
    grpcRoutes: keep("grpcRoutes", s.grpcRoutes ?? []),
    listenerSets: keep("listenerSets", s.listenerSets ?? []),
    policies: Object.fromEntries(
      Object.entries(s.policies ?? {}).map(([f, items]) => [f, keep(`policies.${f}`, items ?? [])]),
    ),
    unknown: keep("unknown", s.unknown),
    ...(s.unservedKinds ? { unservedKinds: s.unservedKinds } : {}),
  };
  return { snapshot, rejected };
}

/** The object without nulls, or the problem with it. */
/**
 * Intake results by object: snapshots are immutable and providers hand out the same object while it is unchanged,
 * so a translation checks only new objects, and an object copied without its nulls keeps one identity across
 * translations (the per-route compile memo, compile-memo.ts, keys on it).
 */
const checkedObjects = new WeakMap<object, { readonly object: unknown } | { readonly problem: string }>();

function checkObject(item: unknown): { readonly object: unknown } | { readonly problem: string } {
  if (typeof item !== "object" || item === null) return checkUncached(item);
  const known = checkedObjects.get(item);
  if (known) return known;
  const checked = checkUncached(item);
  checkedObjects.set(item, checked);
  return checked;
}

function checkUncached(item: unknown): { readonly object: unknown } | { readonly problem: string } {
  try {
    const object = withoutNulls(item);
    const problem = objectProblem(object);
    return problem === undefined ? { object } : { problem };
  } catch (err) {
    return { problem: `unreadable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The problem with one object, or undefined. Kinds without a shape only need metadata.name. */
function objectProblem(o: unknown): string | undefined {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return `expected an object, got ${describeValue(o)}`;
  const kind = (o as { kind?: unknown }).kind;
  const shape = typeof kind === "string" ? KIND_SHAPES[kind] : undefined;
  if (shape) return shapeProblem(o, shape, "");
  return shapeProblem(o, { fields: { metadata: { fields: { name: "string" }, required: ["name"] } } }, "");
}

/**
 * The value without object fields whose value is null (the same reference when there are none). The `value`
 * of an EnvoyProxy `patch` is free-form JSON, where a null means "delete" (JSONMerge): it is kept as written,
 * as the API server keeps it (x-kubernetes-preserve-unknown-fields).
 */
export function withoutNulls(v: unknown): unknown {
  return hasNullField(v) ? copyWithoutNulls(v) : v;
}

function hasNullField(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) return v.some(hasNullField);
  // A plain loop: this walks every field of every object on each translation (no entry arrays allocated).
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const x = o[k];
    if (x === null || (k !== FREE_FORM && hasNullField(x))) return true;
  }
  return false;
}

function copyWithoutNulls(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map(copyWithoutNulls);
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, k === FREE_FORM ? keepPatchValue(x) : copyWithoutNulls(x)]),
  );
}

/** The field whose `value` is free-form JSON. */
const FREE_FORM = "patch";

/** A `patch` object with its `value` untouched and nulls dropped from its other fields. */
function keepPatchValue(patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return copyWithoutNulls(patch);
  const { value, ...rest } = patch as { value?: unknown };
  return { ...(copyWithoutNulls(rest) as object), ...(value !== undefined ? { value } : {}) };
}
