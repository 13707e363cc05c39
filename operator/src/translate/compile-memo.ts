/**
 * Memoised per-route compile (ADR 0009, dependencies per route: ADR 0013, GRPCRoutes: ADR 0018): an HTTPRoute's or
 * GRPCRoute's rules → IR routes and clusters (compileRules, compileGrpcRules) are reused across translations while
 * the route object and every object its compile read are unchanged. Providers hand out the same object while it is unchanged (the file provider's parse cache, the
 * Kubernetes reflector's store), so the key is the route object itself.
 *
 * What a compile can read is only what the BackendIndex and ExtensionRefIndex are built from. Of that:
 * - Services, EndpointSlices, Backends, ReferenceGrants, BackendTLSPolicies and HTTPRouteFilters are tracked per
 *   object: each compile records the keys it looked up (compile-reads.ts), and each translation compares these
 *   lists with the previous translation's by key and identity, bumping the version of every key whose objects
 *   changed (added, removed, replaced). A route compiles again when a version it read moved;
 * - ConfigMaps, Secrets, extension-owned objects (`unknown`) and the options are coarse: any change there starts
 *   a new generation and every route compiles again (they are read through several indexes that are shared
 *   with the Gateways', and change rarely).
 * Nothing else of the snapshot (Gateways, GatewayClasses, Namespaces, EnvoyProxies, policies other than
 * HTTPRouteFilters, other routes, statuses) is read by the compile, so a change there reuses every route.
 *
 * The translation stays a pure function of the snapshot: a hit returns what the compile would return (the IR is
 * never mutated after it is built), and replays what the compile recorded in the BackendIndex (Backends used,
 * BackendTLSPolicies of clusters), in the same order, so statuses are the same.
 */
import type { HTTPRoute } from "../resources/gateway-api";
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { BackendIndex, BackendIndexEffect } from "./backends";
import { readsOf, TRACKED_KINDS, type ReadKey } from "./compile-reads";
import type { ExtensionRefIndex } from "./filters/extension-refs";
import { compileRules, type CompiledRules } from "./httproute-rules";

/** One memoised compile, with the version of every key it read then. */
interface Entry {
  readonly generation: number;
  readonly compiled: unknown;
  readonly effects: readonly BackendIndexEffect[];
  readonly reads: readonly (readonly [ReadKey, number])[];
  /** The {@link CompileMemo.epoch} at which its reads were last found current (no need to look again). */
  checked: number;
}

/** What the memo did in the last translation (tests, benches). */
export interface CompileMemoStats {
  /** Routes reused. */
  hits: number;
  /** Routes compiled. */
  compiles: number;
  /** Whether this translation started a new generation (every route compiled). */
  newGeneration: boolean;
  /** Keys whose objects changed since the previous translation. */
  changedKeys: number;
}

type TrackedField = keyof typeof TRACKED_KINDS;

/** The previous translation's list of a tracked kind, and its objects by key. */
interface Tracked {
  readonly list: readonly KubeObject[];
  readonly byKey: ReadonlyMap<ReadKey, readonly KubeObject[]>;
}

/** The memo of one translator process (module state; translations may alternate snapshots: it only costs reuse). */
export class CompileMemo {
  private generation = 0;
  private coarse: readonly (readonly unknown[])[] = [];
  private options = "";
  /** By route object (HTTPRoutes and GRPCRoutes: distinct objects, each compiled by one function). */
  private entries = new WeakMap<object, Entry>();
  /** Version of each key read (absent: 0); bumped when its objects change. */
  private readonly versions = new Map<ReadKey, number>();
  private tracked = new Map<TrackedField, Tracked>();
  /** Counts version bumps: an entry checked at the current epoch needs no look at its reads. */
  private epoch = 0;
  /** What the last translation did. */
  readonly stats: CompileMemoStats = { hits: 0, compiles: 0, newGeneration: false, changedKeys: 0 };

  /**
   * Starts a translation of `snapshot` with these options (JSON-able: the Backend settings and extension kinds):
   * a new generation unless every coarse dependency is the same as the previous translation's; the keys of the
   * tracked kinds whose objects changed get a new version.
   */
  begin(snapshot: ResourceSnapshot, options: unknown): void {
    const coarse = coarseDependencies(snapshot);
    const opts = JSON.stringify(options) ?? "";
    this.stats.hits = 0;
    this.stats.compiles = 0;
    this.stats.changedKeys = 0;
    this.stats.newGeneration = !(opts === this.options && sameLists(coarse, this.coarse));
    if (this.stats.newGeneration) {
      this.generation++;
      this.coarse = coarse;
      this.options = opts;
      this.entries = new WeakMap(); // the old generation's entries can never hit again
    }
    for (const field of Object.keys(TRACKED_KINDS) as TrackedField[]) this.track(field, trackedList(snapshot, field));
  }

  /** compileRules(route, backends, extensions), reused when this generation compiled the same route object. */
  compile(route: HTTPRoute, backends: BackendIndex, extensions: ExtensionRefIndex): CompiledRules {
    return this.reuse(route, backends, () => compileRules(route, backends, extensions));
  }

  /**
   * `compile()` (which reads only through `backends` and the indexes compile-reads.ts notes, and only `route` of
   * the snapshot), reused when this generation compiled the same route object with the same function.
   */
  reuse<C>(route: object, backends: BackendIndex, compile: () => C): C {
    const hit = this.entries.get(route);
    if (hit && hit.generation === this.generation && (hit.checked === this.epoch || this.current(hit.reads))) {
      hit.checked = this.epoch;
      this.stats.hits++;
      backends.replay(hit.effects);
      return hit.compiled as C;
    }
    this.stats.compiles++;
    const { value: recorded, reads } = readsOf(() => backends.recording(compile));
    const versions = [...reads].map((k) => [k, this.versions.get(k) ?? 0] as const);
    const { value: compiled, effects } = recorded;
    this.entries.set(route, { generation: this.generation, compiled, effects, reads: versions, checked: this.epoch });
    return compiled;
  }

  /** Changes whenever a memoised compile may have stopped being current (a new generation, a key's new version). */
  get version(): string {
    return `${this.generation}/${this.epoch}`;
  }

  /**
   * Whether compiling `route` again would return `compiled` without compiling (it is this generation's memoised
   * compile of that route object, and no key it read changed).
   */
  holds(route: object, compiled: unknown): boolean {
    const hit = this.entries.get(route);
    if (!hit || hit.compiled !== compiled || hit.generation !== this.generation) return false;
    if (hit.checked !== this.epoch && !this.current(hit.reads)) return false;
    hit.checked = this.epoch;
    return true;
  }

  /** Whether no key of `reads` changed since they were read. */
  private current(reads: readonly (readonly [ReadKey, number])[]): boolean {
    for (const [key, version] of reads) if ((this.versions.get(key) ?? 0) !== version) return false;
    return true;
  }

  /** Compares a tracked kind's list with the previous translation's and bumps the keys whose objects changed. */
  private track(field: TrackedField, list: readonly KubeObject[]): void {
    const before = this.tracked.get(field);
    if (before && sameElements(before.list, list)) return;
    const byKey = new Map<ReadKey, KubeObject[]>();
    for (const o of list) {
      const key = TRACKED_KINDS[field](o);
      if (key === undefined) continue;
      const group = byKey.get(key);
      if (group) group.push(o);
      else byKey.set(key, [o]);
    }
    const old = before?.byKey ?? new Map<ReadKey, readonly KubeObject[]>();
    for (const [key, objects] of byKey) if (!sameElements(old.get(key) ?? [], objects)) this.bump(key);
    for (const key of old.keys()) if (!byKey.has(key)) this.bump(key);
    this.tracked.set(field, { list, byKey });
  }

  private bump(key: ReadKey): void {
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    this.epoch++;
    this.stats.changedKeys++;
  }
}

/** A tracked kind's list in the snapshot (HTTPRouteFilters are among the policies). */
function trackedList(s: ResourceSnapshot, field: TrackedField): readonly KubeObject[] {
  const list = field === "httpRouteFilters" ? s.policies?.httpRouteFilters : s[field];
  return (list ?? []) as readonly KubeObject[];
}

/** What the compile reads without per-object tracking: ConfigMaps, Secrets, extension-owned objects. */
function coarseDependencies(s: ResourceSnapshot): (readonly unknown[])[] {
  return [s.configMaps ?? [], s.secrets ?? [], s.unknown ?? []];
}

/** Whether two lists hold the same elements (by identity) in the same order. */
function sameElements(x: readonly unknown[], y: readonly unknown[]): boolean {
  if (x.length !== y.length) return false;
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  return true;
}

/** Whether two lists of lists hold the same elements (by identity) in the same order. */
function sameLists(a: readonly (readonly unknown[])[], b: readonly (readonly unknown[])[]): boolean {
  return a.length === b.length && a.every((x, i) => sameElements(x, b[i]));
}
