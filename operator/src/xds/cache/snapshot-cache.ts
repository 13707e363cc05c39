/**
 * Per-node xDS resource cache. One node is one Gateway (one Envoy fleet). Every resource is versioned by
 * a hash of its encoded bytes, so setting the same content twice is a no-op, and each update reports
 * exactly which names were added, updated or removed per type.
 */
import { createHash } from "node:crypto";
import { Observable, Subject } from "rxjs";
import { Any } from "../../../../proto/gen/google/protobuf/any";
import { LayeredMap } from "../../ir/layered-map";

/** Resources handed to the cache: typeUrl → resource name → packed resource. */
export type ResourceSet = ReadonlyMap<string, ReadonlyMap<string, Any>>;

/** One cached resource with its content version. */
export interface CachedResource {
  /** Resource name (e.g. the cluster name). */
  readonly name: string;
  /** Content hash: first 16 hex chars of sha256 over the Any value bytes. */
  readonly version: string;
  /** The packed resource as it is sent to Envoy. */
  readonly value: Any;
}

/** An immutable view of one node's resources. */
export interface NodeSnapshot {
  /** Node id (Envoy's `node.id`). */
  readonly nodeId: string;
  /** Monotonically increasing per node; bumped on every effective change. */
  readonly version: number;
  /** typeUrl → name → resource. Types with no resources may be absent. */
  readonly resources: ReadonlyMap<string, ReadonlyMap<string, CachedResource>>;
}

/** What changed for one resource type. */
export interface TypeDiff {
  /** Names that are new or whose content changed. */
  readonly upserted: readonly string[];
  /** Names that are gone. */
  readonly removed: readonly string[];
}

/** What changed for one node in one update. */
export interface CacheDiff {
  /** Snapshot version after the update (unchanged when the diff is empty). */
  readonly version: number;
  /** Per typeUrl, only types with a change are present. */
  readonly types: ReadonlyMap<string, TypeDiff>;
  /** True when nothing changed (no event was emitted). */
  readonly empty: boolean;
}

/** A change event: emitted once per effective update of a node. */
export interface CacheChange {
  /** The node that changed. */
  readonly nodeId: string;
  /** What changed. */
  readonly diff: CacheDiff;
}

const EMPTY_TYPE: ReadonlyMap<string, CachedResource> = new Map();
const EMPTY_NODE: ReadonlyMap<string, ReadonlyMap<string, CachedResource>> = new Map();
const EMPTY_GIVEN: ResourceSet = new Map();

/** A version of a node's snapshot in one life of the node in the cache (see {@link XdsCache.changedSince}). */
export interface NodeVersion {
  readonly life: number;
  readonly version: number;
}

/** How many of a node's last diffs the cache keeps for {@link XdsCache.changedSince}. */
const DIFF_HISTORY = 32;

/** Content version of a packed resource: sha256 over the value bytes, hex, first 16 chars. */
export function resourceVersion(value: Any): string {
  return createHash("sha256").update(value.value).digest("hex").slice(0, 16);
}

/** What versioning one type's resources gave: its resources as cached now, and what changed (undefined: nothing). */
interface TypeVersions {
  readonly fresh: ReadonlyMap<string, CachedResource>;
  readonly diff: TypeDiff | undefined;
}

/** The cached resource of `value` under `name`: `before` when its content is the same (no new object), else a new one. */
function versioned(name: string, value: Any, before: CachedResource | undefined): CachedResource {
  // The same Any object as before (a builder reused it: vhds.ts) is the same content: no hashing.
  if (before && before.value === value) return before;
  const version = resourceVersion(value);
  return before && before.version === version ? before : { name, version, value };
}

/** Versions one type's resources against the previous ones; `diff` is undefined when nothing changed. */
function diffType(old: ReadonlyMap<string, CachedResource>, byName: ReadonlyMap<string, Any>): TypeVersions {
  const upserted: string[] = [];
  const removed: string[] = [];
  const fresh = new Map<string, CachedResource>();
  for (const [name, value] of byName) {
    const before = old.get(name);
    const now = versioned(name, value, before);
    fresh.set(name, now);
    if (now !== before) upserted.push(name);
  }
  for (const name of old.keys()) if (!fresh.has(name)) removed.push(name);
  return { fresh, diff: upserted.length > 0 || removed.length > 0 ? { upserted, removed } : undefined };
}

/**
 * {@link diffType} looking only at `names`, the only names whose resource may differ from what `old` was made of (the
 * map given last time, ADR 0040); the cached map is `old` edited, in O(names) when `old` is layered.
 */
function diffNames(
  old: ReadonlyMap<string, CachedResource>,
  byName: ReadonlyMap<string, Any>,
  names: ReadonlySet<string>,
): TypeVersions {
  const upserted: string[] = [];
  const removed: string[] = [];
  const edits = new Map<string, CachedResource | undefined>();
  for (const name of names) {
    const before = old.get(name);
    const value = byName.get(name);
    if (value === undefined) {
      if (!before) continue;
      edits.set(name, undefined);
      removed.push(name);
      continue;
    }
    const now = versioned(name, value, before);
    if (now === before) continue;
    edits.set(name, now);
    upserted.push(name);
  }
  if (edits.size === 0) return { fresh: old, diff: undefined };
  // The cache never changes a map it made: a plain one becomes the base as it is.
  const layered = old instanceof LayeredMap ? old : LayeredMap.flat(old);
  const fresh = layered.edited(edits, () => {
    const flat = new Map<string, CachedResource>();
    for (const name of byName.keys()) flat.set(name, edits.get(name) ?? old.get(name)!);
    return flat;
  });
  return { fresh, diff: { upserted, removed } };
}

/**
 * Versions one type's resources: the very map given last time (a stage kept it: nothing changed, scoped-window.ts) is
 * not looked at again; a new version of a layered map given last time (ADR 0040) is looked at in the names either
 * version edited; any other map, name by name.
 */
function versionType(
  old: ReadonlyMap<string, CachedResource>,
  byName: ReadonlyMap<string, Any>,
  lastGiven: ReadonlyMap<string, Any> | undefined,
): TypeVersions {
  if (lastGiven === byName) return { fresh: old, diff: undefined };
  const names = lastGiven && byName instanceof LayeredMap ? byName.namesChangedFrom(lastGiven) : undefined;
  return names ? diffNames(old, byName, names) : diffType(old, byName);
}

/** Per-node resource store with content-hash versions and change diffs. */
export class XdsCache {
  private readonly nodes = new Map<string, NodeSnapshot>();
  /**
   * Each node's life in the cache (a number: a node deleted and set again counts its versions from 1 again) and its
   * last diffs, oldest first (at most {@link DIFF_HISTORY}).
   */
  private readonly history = new Map<string, { readonly life: number; readonly diffs: CacheDiff[] }>();
  private nextLife = 1;
  /** The resources each node was last set with: a type given the same map object again is unchanged (maps never change). */
  private readonly given = new Map<string, ResourceSet>();
  private readonly subject = new Subject<CacheChange>();

  /** Emits `{ nodeId, diff }` for every effective change (never for no-op updates). */
  readonly changes$: Observable<CacheChange> = this.subject.asObservable();

  /**
   * Replaces the resource set of a node and returns what changed. Hashing is O(resources); the diff (and
   * therefore what the server sends) is O(changed). Unchanged resources keep their previous objects. A type's map
   * is read only when it is not the map given for the type last time: a map given here may not be changed.
   */
  setNode(nodeId: string, resources: ResourceSet): CacheDiff {
    const prev = this.nodes.get(nodeId);
    const prevRes = prev?.resources ?? EMPTY_NODE;
    const next = new Map<string, ReadonlyMap<string, CachedResource>>();
    const types = new Map<string, TypeDiff>();

    const given = this.given.get(nodeId) ?? EMPTY_GIVEN;
    for (const [typeUrl, byName] of resources) {
      const old = prevRes.get(typeUrl) ?? EMPTY_TYPE;
      const { fresh, diff } = versionType(old, byName, given.get(typeUrl));
      if (diff) types.set(typeUrl, diff);
      // Reuse the previous map when the type did not change, so unchanged snapshots share structure.
      if (fresh.size > 0) next.set(typeUrl, diff ? fresh : old);
    }
    this.given.set(nodeId, resources);
    for (const [typeUrl, old] of prevRes) {
      if (!resources.has(typeUrl) && old.size > 0) types.set(typeUrl, { upserted: [], removed: [...old.keys()] });
    }

    if (prev && types.size === 0) return { version: prev.version, types, empty: true };
    return this.commit(nodeId, (prev?.version ?? 0) + 1, next, types);
  }

  private commit(
    nodeId: string,
    version: number,
    resources: Map<string, ReadonlyMap<string, CachedResource>>,
    types: ReadonlyMap<string, TypeDiff>,
  ): CacheDiff {
    this.nodes.set(nodeId, { nodeId, version, resources });
    const diff: CacheDiff = { version, types, empty: types.size === 0 };
    let history = this.history.get(nodeId);
    if (!history) this.history.set(nodeId, (history = { life: this.nextLife++, diffs: [] }));
    history.diffs.push(diff);
    if (history.diffs.length > DIFF_HISTORY) history.diffs.shift();
    if (!diff.empty) this.subject.next({ nodeId, diff });
    return diff;
  }

  /**
   * Forgets a node. Emits a diff removing every resource it had (so connected streams remove them)
   * and returns it; returns an empty diff when the node was unknown.
   */
  deleteNode(nodeId: string): CacheDiff {
    const prev = this.nodes.get(nodeId);
    if (!prev) return { version: 0, types: new Map(), empty: true };
    this.nodes.delete(nodeId);
    this.history.delete(nodeId);
    this.given.delete(nodeId);
    const types = new Map<string, TypeDiff>();
    for (const [typeUrl, byName] of prev.resources) {
      if (byName.size > 0) types.set(typeUrl, { upserted: [], removed: [...byName.keys()] });
    }
    const diff: CacheDiff = { version: prev.version + 1, types, empty: types.size === 0 };
    if (!diff.empty) this.subject.next({ nodeId, diff });
    return diff;
  }

  /**
   * The names of type `typeUrl` upserted or removed in the node's snapshots after version `since` up to the current
   * one: what a stream that had the node's resources of that type in order at `since` must look at (xDS streams, ADR
   * 0037); undefined when the cache no longer knows every diff since then, or `since` was of another life of the node
   * ({@link XdsCache.versionOf}), or the node is unknown.
   */
  changedSince(nodeId: string, since: NodeVersion, typeUrl: string): ReadonlySet<string> | undefined {
    const current = this.nodes.get(nodeId)?.version;
    if (current === undefined || since.life !== this.history.get(nodeId)?.life || since.version > current)
      return undefined;
    return this.namesSince(nodeId, since.version, current, typeUrl);
  }

  /** The node's current version with the number of its life in the cache; undefined when the node is unknown. */
  versionOf(nodeId: string): NodeVersion | undefined {
    const version = this.nodes.get(nodeId)?.version;
    const life = this.history.get(nodeId)?.life;
    return version === undefined || life === undefined ? undefined : { life, version };
  }

  private namesSince(nodeId: string, since: number, current: number, typeUrl: string): ReadonlySet<string> | undefined {
    const out = new Set<string>();
    if (since === current) return out;
    const history = this.history.get(nodeId)?.diffs ?? [];
    const first = history.findIndex((d) => d.version > since);
    // The diffs must run without a gap from since + 1 to the current version.
    if (first < 0 || history[first].version !== since + 1) return undefined;
    for (let i = first; i < history.length; i++) {
      const diff = history[i].types.get(typeUrl);
      if (!diff) continue;
      for (const n of diff.upserted) out.add(n);
      for (const n of diff.removed) out.add(n);
    }
    return out;
  }

  /** The current snapshot of a node, or undefined when the node is unknown. */
  getNode(nodeId: string): NodeSnapshot | undefined {
    return this.nodes.get(nodeId);
  }

  /** Ids of all nodes in the cache. */
  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  /** Completes `changes$`. */
  close(): void {
    this.subject.complete();
  }
}
