/**
 * The HTTPRoute stage, incremental (ADR 0023). What an HTTPRoute contributes to a translation (its status, the
 * entries and attachedRoutes it adds to listeners, the clusters and secrets its Gateways use, what it recorded in
 * the BackendIndex, whether it was rejected) is kept per route object as a {@link RouteRecord}, together with
 * everything derived from all records (per listener, per Gateway, in route key order, as the stage adds them).
 *
 * A record depends only on the route object, its compiled rules (compile-memo.ts) and the attach context: the
 * Gateways' listeners as routes see them (names, ports, protocols, hostnames, allowedRoutes, supported kinds,
 * whether they take routes, the ListenerSets), the Namespaces' labels where a listener selects them, and the
 * controller name ({@link contextSignature}). While that signature is the same, a translation processes only the
 * routes whose object is new or whose compile is no longer current, removes the records of routes gone, and
 * patches the derived state; else every route is processed again (as a translation without this table would).
 *
 * The translation stays a pure function of the snapshot: the derived state is exactly what processing every
 * route in key order would add (each part is rebuilt from the records whenever a patch could order or merge it
 * differently), and nothing in a record is changed after it is built.
 */
import { isDeepStrictEqual } from "node:util";
import type { ClusterIr, GenericSecretIr } from "../ir/xds-ir";
import type { HTTPRoute } from "../resources/gateway-api";
import { keyOf } from "../resources/meta";
import type { BackendIndexEffect } from "./backends";
import type { CompiledRules } from "./httproute-rules";
import type { StatusUpdate } from "./conditions";
import { listenerAttachable, shareRouteParts, type ListenerState } from "./gateway";
import { processHTTPRoute, type RouteContext } from "./httproute";
import { addToListener } from "./parent-refs";
import { listWindow, noteWindow, WindowTracker } from "../ir/list-window";
import type { RejectedObject } from "./intake";
import { guardInto } from "./isolation";
import type { RouteEntry } from "./route-entry";
import { partitionPoint } from "../ir/partition-point";

/** Entries (and, when counted, the route's id) one route added to one listener. */
interface Attachment {
  /** `<gateway key>\n<listener id>`. */
  readonly listener: string;
  readonly id: string | undefined;
  readonly entries: readonly RouteEntry[];
}

/** What one HTTPRoute contributed to a translation. */
interface RouteRecord {
  readonly route: HTTPRoute;
  /** `namespace/name`. */
  readonly key: string;
  /** Its compiled rules (the compile memo's object), undefined when it threw before. */
  readonly compiled: CompiledRules | undefined;
  readonly status: StatusUpdate | undefined;
  readonly rejected: readonly RejectedObject[];
  readonly attachments: readonly Attachment[];
  /** Clusters per Gateway key, as it used them. */
  readonly clusters: ReadonlyMap<string, ReadonlyMap<string, ClusterIr>>;
  /** Generic secrets per Gateway key. */
  readonly secrets: ReadonlyMap<string, ReadonlyMap<string, GenericSecretIr>>;
  /** What it recorded in the BackendIndex, in order. */
  readonly effects: readonly BackendIndexEffect[];
  /** The last translation that found it current. */
  seen: number;
}

/**
 * One value of a {@link Fold}: the values given for it (in fold order), the first record that gave one, and
 * whether they are all equal (found out when a change needs it: comparing them on every fold costs too much).
 */
interface Folded<V> {
  value: V;
  readonly given: V[];
  readonly first: string;
  uniform: boolean | undefined;
}

/**
 * Values by name as folding every record's in key order gives them (names in the order first given, the last
 * value given, or `merge` of the values), kept as counts so that adding or removing one record's values is O(its
 * values). A change the counts cannot follow (a name first given earlier than before, or values that differ)
 * answers false: the fold is then built again from all records.
 */
class Fold<V> {
  readonly values = new Map<string, Folded<V>>();
  private last = "";
  private cached: Map<string, V> | undefined;

  constructor(private readonly merge: (a: V, b: V) => V = (_a, b) => b) {}

  /** Folds `value` for `name` from record `key` (records folded in key order). */
  fold(name: string, value: V, key: string): void {
    this.cached = undefined;
    const f = this.values.get(name);
    if (!f) {
      this.values.set(name, { value, given: [value], first: key, uniform: true });
      this.last = key;
      return;
    }
    if (value !== f.value) f.uniform = undefined;
    f.value = this.merge(f.value, value);
    f.given.push(value);
  }

  /** Adds `value` for `name` from record `key` (in any key order); false when the fold must be built again. */
  add(name: string, value: V, key: string): boolean {
    const f = this.values.get(name);
    if (!f) {
      if (key < this.last) return false;
      this.fold(name, value, key);
      return true;
    }
    if (key < f.first || !uniform(f) || !same(f.value, value)) return false;
    f.given.push(value);
    return true;
  }

  /** Removes `value` given for `name` by record `key`; false when the fold must be built again. */
  remove(name: string, key: string, value: V): boolean {
    const f = this.values.get(name);
    const at = f ? f.given.indexOf(value) : -1;
    if (!f || at < 0 || !uniform(f)) return false;
    f.given.splice(at, 1);
    if (f.given.length > 0) return key !== f.first;
    this.values.delete(name);
    this.cached = undefined;
    return true;
  }

  clear(): void {
    this.values.clear();
    this.last = "";
    this.cached = undefined;
  }

  /** The folded values by name (the same map until the fold changes). */
  map(): ReadonlyMap<string, V> {
    this.cached ??= new Map([...this.values].map(([k, f]) => [k, f.value]));
    return this.cached;
  }
}

function same(a: unknown, b: unknown): boolean {
  return a === b || isDeepStrictEqual(a, b);
}

/** Whether every value given for a name is equal (found out once, then kept while values are added equal). */
function uniform<V>(f: Folded<V>): boolean {
  f.uniform ??= f.given.every((v) => same(v, f.given[0]));
  return f.uniform;
}

/** A cluster used by several routes stays h2c once one of them made it so (useClusters, parent-refs.ts). */
function mergeCluster(a: ClusterIr, b: ClusterIr): ClusterIr {
  return a.protocol === "h2c" ? { ...b, protocol: "h2c" } : b;
}

/**
 * A listener's entries and attached route ids from every record, in key order, and the records attached to it
 * with how many entries each gave. Never changed once built (listeners share `attached` and `entries`).
 */
interface ListenerPart {
  readonly entries: RouteEntry[];
  readonly ids: readonly string[];
  readonly attached: Set<string>;
  readonly routes: readonly RouteRecord[];
  readonly counts: readonly number[];
}

/** The records added to and removed from listener parts in one translation, by listener key. */
class PartChanges {
  readonly byListener = new Map<string, { readonly removed: RouteRecord[]; readonly added: RouteRecord[] }>();

  /** Notes a record added or removed on every listener it attached to. */
  note(r: RouteRecord, how: "added" | "removed"): void {
    for (const key of listenersOf(r)) {
      let c = this.byListener.get(key);
      if (!c) this.byListener.set(key, (c = { removed: [], added: [] }));
      c[how].push(r);
    }
  }
}

/** What the HTTPRoute stage needs from the translation besides the routes. */
export interface RouteStageInputs {
  /** The context routes attach in (its clustersByGateway and secretsByGateway are filled in). */
  readonly ctx: RouteContext;
  /** Changes whenever a memoised compile may have stopped being current (CompileMemo.version). */
  readonly compileVersion: string;
  /** Whether compiling `route` again would return `compiled` without compiling (CompileMemo.holds). */
  readonly holds: (route: HTTPRoute, compiled: CompiledRules) => boolean;
}

/** What the last translation did (tests, benches). */
export interface RouteTableStats {
  /** Routes processed (all of them when the context changed). */
  processed: number;
  /** Records removed. */
  removed: number;
  /** Whether every route was processed. */
  full: boolean;
}

/** The HTTPRoute stage's records and what is derived from them (module state of one translator process). */
export class RouteTable {
  private signature: string | undefined;
  private compileVersion = "";
  private pass = 0;
  /** Two records with one key (or one route object twice): always process everything. */
  private ambiguous = false;
  /** The routes of the last translation, in their input order (each has its record unless {@link ambiguous}). */
  private lastRoutes: readonly HTTPRoute[] = [];
  private readonly byRoute = new Map<HTTPRoute, RouteRecord>();
  /** Every record, by key. */
  private sorted: RouteRecord[] = [];
  /** Each record's status, aligned with {@link sorted} (the statuses in key order without reading every record). */
  private statusAt: (StatusUpdate | undefined)[] = [];
  /** How many records of {@link statusAt} have no status (none: the list is handed out as it is). */
  private withoutStatus = 0;
  /** How many records have rejected objects. */
  private rejecting = 0;
  private readonly listeners = new Map<string, ListenerPart>();
  private readonly gatewaysWithClusters = new Fold<true>();
  private readonly clusters = new Map<string, Fold<ClusterIr>>();
  private readonly gatewaysWithSecrets = new Fold<true>();
  private readonly secrets = new Map<string, Fold<GenericSecretIr>>();
  private readonly effects = new Fold<BackendIndexEffect>();
  /** What the last translation did. */
  readonly stats: RouteTableStats = { processed: 0, removed: 0, full: true };

  /**
   * Runs the HTTPRoute stage of one translation: adds every route's entries and ids to the listeners of
   * `inputs.ctx`, its clusters and secrets to the context's maps, its BackendIndex effects to the index and its
   * rejection to `rejected`, in key order; returns the routes' statuses in key order.
   */
  run(routes: readonly HTTPRoute[], inputs: RouteStageInputs, rejected: RejectedObject[]): readonly StatusUpdate[] {
    const { ctx } = inputs;
    const listenerKeys = new Map<ListenerState, string>();
    for (const gw of ctx.gateways.values()) for (const l of gw.listeners) listenerKeys.set(l, `${gw.key}\n${l.id}`);
    const signature = contextSignature(ctx);
    this.pass++;
    this.stats.removed = 0;
    if (signature !== this.signature || this.ambiguous || !this.patch(routes, inputs, listenerKeys)) {
      this.rebuild(routes, ctx, listenerKeys);
    }
    this.signature = signature;
    this.compileVersion = inputs.compileVersion;
    this.lastRoutes = routes;
    return this.apply(ctx, listenerKeys, rejected);
  }

  /** Processes every route again and derives everything from the records. */
  private rebuild(routes: readonly HTTPRoute[], ctx: RouteContext, listenerKeys: Map<ListenerState, string>): void {
    const keyed = routes.map((route) => ({ route, key: keyOf(route.metadata) }));
    keyed.sort((a, b) => cmp(a.key, b.key));
    this.sorted = keyed.map(({ route, key }) => this.process(route, key, ctx, listenerKeys));
    this.statusAt = this.sorted.map((r) => r.status);
    this.withoutStatus = this.statusAt.filter((st) => st === undefined).length;
    this.rejecting = this.sorted.filter((r) => r.rejected.length > 0).length;
    this.byRoute.clear();
    for (const r of this.sorted) this.byRoute.set(r.route, r);
    this.ambiguous =
      this.byRoute.size !== this.sorted.length || this.sorted.some((r, i) => i > 0 && this.sorted[i - 1].key === r.key);
    this.listeners.clear();
    const routesOn = new Map<string, RouteRecord[]>();
    for (const r of this.sorted)
      for (const key of listenersOf(r)) {
        const list = routesOn.get(key);
        if (list) list.push(r);
        else routesOn.set(key, [r]);
      }
    for (const [key, routes] of routesOn) this.listeners.set(key, partOf(key, routes));
    this.refold();
    this.stats.processed = routes.length;
    this.stats.full = true;
  }

  /**
   * Processes only the routes that are new or whose compile is no longer current, and removes the records of
   * routes gone; false when it cannot (a key twice): then nothing was changed.
   */
  private patch(routes: readonly HTTPRoute[], inputs: RouteStageInputs, keys: Map<ListenerState, string>): boolean {
    const { fresh, gone } = this.sortOut(routes, inputs);
    this.stats.processed = fresh.length;
    this.stats.full = false;
    // The same route object twice (one record for two places).
    if (this.byRoute.size - gone.length + fresh.length !== routes.length) return false;
    if (fresh.length === 0 && gone.length === 0) return true;
    if (fresh.length > routes.length / 2) return false; // cheaper to process everything
    const added = fresh.map((route) => ({ route, key: keyOf(route.metadata) })).sort((a, b) => cmp(a.key, b.key));
    // A key that stays (or comes twice) would give two records one place.
    const goneKeys = new Set(gone.map((r) => r.key));
    const staying = (key: string): boolean => !goneKeys.has(key) && this.indexOf(key).found;
    if (added.some((a, i) => staying(a.key) || (i > 0 && added[i - 1].key === a.key))) return false;
    const changes = new PartChanges();
    // Folded in one by one while that works; else everything is folded again.
    const folded = this.addRecords(added, inputs, keys, changes, this.removeRecords(gone, changes));
    if (!folded) this.refold();
    for (const [key, change] of changes.byListener) {
      const part = patchedPart(this.listeners.get(key), key, change.removed, change.added);
      if (part.routes.length > 0) this.listeners.set(key, part);
      else this.listeners.delete(key);
    }
    return true;
  }

  /** Takes the records of routes gone out of the table; false when one could not be unfolded (refold all). */
  private removeRecords(gone: readonly RouteRecord[], changes: PartChanges): boolean {
    let unfolded = true;
    for (const r of gone) {
      this.byRoute.delete(r.route);
      const at = this.indexOf(r.key).at;
      this.sorted.splice(at, 1);
      if (this.statusAt.splice(at, 1)[0] === undefined) this.withoutStatus--;
      if (r.rejected.length > 0) this.rejecting--;
      changes.note(r, "removed");
      if (!this.unfold(r)) unfolded = false;
      this.stats.removed++;
    }
    return unfolded;
  }

  /**
   * Processes the new routes into records in the table, folding each in while `fold` and that works; false when a
   * refold of everything is due.
   */
  private addRecords(
    added: readonly { readonly route: HTTPRoute; readonly key: string }[],
    inputs: RouteStageInputs,
    keys: Map<ListenerState, string>,
    changes: PartChanges,
    fold: boolean,
  ): boolean {
    let folded = fold;
    for (const { route, key } of added) {
      const r = this.process(route, key, inputs.ctx, keys);
      this.byRoute.set(route, r);
      const at = this.indexOf(key).at;
      this.sorted.splice(at, 0, r);
      this.statusAt.splice(at, 0, r.status);
      if (r.status === undefined) this.withoutStatus++;
      if (r.rejected.length > 0) this.rejecting++;
      changes.note(r, "added");
      if (folded && !this.addFolds(r)) folded = false;
    }
    return folded;
  }

  /**
   * The routes to process (new objects, or compiles no longer current) and the records of routes gone; marks the
   * records it keeps as seen in this translation. While every compile is current, only the window of the route list
   * that differs from the last translation's is looked at (ADR 0030): the routes before and after it are the same
   * objects as last time, each with its record.
   */
  private sortOut(routes: readonly HTTPRoute[], inputs: RouteStageInputs): { fresh: HTTPRoute[]; gone: RouteRecord[] } {
    const checkCompiles = inputs.compileVersion !== this.compileVersion;
    const current = (route: HTTPRoute, r: RouteRecord): boolean =>
      !checkCompiles || !r.compiled || inputs.holds(route, r.compiled);
    const w = checkCompiles
      ? { from: 0, beforeTo: this.lastRoutes.length, afterTo: routes.length }
      : listWindow(this.lastRoutes, routes);
    const fresh: HTTPRoute[] = [];
    const take = (route: HTTPRoute): void => {
      const r = this.byRoute.get(route);
      if (r && r.seen !== this.pass && current(route, r)) r.seen = this.pass;
      else fresh.push(route);
    };
    for (let i = w.from; i < w.afterTo; i++) take(routes[i]);
    if (checkCompiles) return { fresh, gone: [...this.byRoute.values()].filter((r) => r.seen !== this.pass) };
    const gone: RouteRecord[] = [];
    for (let i = w.from; i < w.beforeTo; i++) {
      const r = this.byRoute.get(this.lastRoutes[i]);
      if (r && r.seen !== this.pass) gone.push(r);
    }
    return { fresh, gone };
  }

  /** Where a record of `key` is (found) or goes among {@link sorted}. */
  private indexOf(key: string): { at: number; found: boolean } {
    const at = recordIndex(this.sorted, key);
    return { at, found: at < this.sorted.length && this.sorted[at].key === key };
  }

  /** Runs one route's part of the stage, recording what it adds instead of adding it. */
  private process(route: HTTPRoute, key: string, ctx: RouteContext, keys: Map<ListenerState, string>): RouteRecord {
    const attachments: Attachment[] = [];
    const clusters = new Map<string, Map<string, ClusterIr>>();
    const secrets = new Map<string, Map<string, GenericSecretIr>>();
    const rejected: RejectedObject[] = [];
    let compiled: CompiledRules | undefined;
    const own: RouteContext = {
      ...ctx,
      clustersByGateway: clusters,
      secretsByGateway: secrets,
      ...(ctx.compile ? { compile: (r: HTTPRoute) => (compiled = ctx.compile!(r)) } : {}),
      sink: (l, id, entries) => attachments.push({ listener: keys.get(l) ?? "", id, entries }),
      guard: guardInto(rejected),
    };
    const { value: status, effects } = ctx.backends.recording(() =>
      own.guard!(route, () => processHTTPRoute(route, own)),
    );
    return { route, key, compiled, status, rejected, attachments, clusters, secrets, effects, seen: this.pass };
  }

  /** Folds every record again, in key order. */
  private refold(): void {
    this.gatewaysWithClusters.clear();
    this.clusters.clear();
    this.gatewaysWithSecrets.clear();
    this.secrets.clear();
    this.effects.clear();
    for (const r of this.sorted) {
      for (const [gw, byName] of r.clusters) {
        this.gatewaysWithClusters.fold(gw, true, r.key);
        const fold = this.foldOf(this.clusters, gw, mergeCluster);
        for (const [name, c] of byName) fold.fold(name, c, r.key);
      }
      for (const [gw, byName] of r.secrets) {
        this.gatewaysWithSecrets.fold(gw, true, r.key);
        const fold = this.foldOf(this.secrets, gw);
        for (const [name, s] of byName) fold.fold(name, s, r.key);
      }
      for (const e of r.effects) this.effects.fold(effectKey(e), e, r.key);
    }
  }

  private foldOf<V>(folds: Map<string, Fold<V>>, gw: string, merge?: (a: V, b: V) => V): Fold<V> {
    let fold = folds.get(gw);
    if (!fold) folds.set(gw, (fold = new Fold<V>(merge)));
    return fold;
  }

  /** Adds a record's values to the folds; false when they must be folded again. */
  private addFolds(r: RouteRecord): boolean {
    let ok = true;
    for (const [gw, byName] of r.clusters) {
      ok &&= this.gatewaysWithClusters.add(gw, true, r.key);
      const fold = this.foldOf(this.clusters, gw, mergeCluster);
      for (const [name, c] of byName) ok &&= fold.add(name, c, r.key);
    }
    for (const [gw, byName] of r.secrets) {
      ok &&= this.gatewaysWithSecrets.add(gw, true, r.key);
      const fold = this.foldOf(this.secrets, gw);
      for (const [name, s] of byName) ok &&= fold.add(name, s, r.key);
    }
    for (const e of r.effects) ok &&= this.effects.add(effectKey(e), e, r.key);
    return ok;
  }

  /** Removes a record's values from the folds; false when they must be folded again. */
  private unfold(r: RouteRecord): boolean {
    let ok = true;
    for (const [gw, byName] of r.clusters) {
      ok &&= this.gatewaysWithClusters.remove(gw, r.key, true);
      for (const [name, c] of byName) ok &&= this.clusters.get(gw)?.remove(name, r.key, c) ?? false;
    }
    for (const [gw, byName] of r.secrets) {
      ok &&= this.gatewaysWithSecrets.remove(gw, r.key, true);
      for (const [name, c] of byName) ok &&= this.secrets.get(gw)?.remove(name, r.key, c) ?? false;
    }
    for (const e of r.effects) ok &&= this.effects.remove(effectKey(e), r.key, e);
    return ok;
  }

  /** Adds what every record contributes to this translation's listeners, maps, index and `rejected`. */
  private apply(ctx: RouteContext, keys: Map<ListenerState, string>, rejected: RejectedObject[]): StatusUpdate[] {
    for (const [l, key] of keys) {
      const part = this.listeners.get(key);
      if (!part) continue;
      if (l.attached.size === 0 && l.entries.length === 0) shareRouteParts(l, part.attached, part.entries);
      else
        for (const a of [...part.routes].flatMap((r) => r.attachments.filter((x) => x.listener === key))) {
          addToListener(l, a.id, a.entries);
        }
    }
    for (const gw of this.gatewaysWithClusters.values.keys())
      ctx.clustersByGateway.set(gw, new Map(this.clusters.get(gw)?.map()));
    for (const gw of this.gatewaysWithSecrets.values.keys())
      ctx.secretsByGateway.set(gw, new Map(this.secrets.get(gw)?.map()));
    ctx.backends.replay([...this.effects.map().values()]);
    if (this.rejecting > 0) for (const r of this.sorted) for (const x of r.rejected) rejected.push(x);
    // The list itself when every record has a status (the caller does not keep it: the next run edits it).
    if (this.withoutStatus === 0) return this.statusAt as StatusUpdate[];
    return this.statusAt.filter((s): s is StatusUpdate => s !== undefined);
  }
}

/** The listeners a record attached to (keys), each once. */
function listenersOf(r: RouteRecord): string[] {
  if (r.attachments.length === 1) return [r.attachments[0].listener];
  return [...new Set(r.attachments.map((a) => a.listener))];
}

/** What a record gave listener `key`: its entries (attachments in order) and its id if counted. */
function givenTo(r: RouteRecord, key: string): { entries: readonly RouteEntry[]; id: string | undefined } {
  const mine = r.attachments.filter((a) => a.listener === key);
  if (mine.length === 1) return mine[0];
  return { entries: mine.flatMap((a) => a.entries), id: mine.find((a) => a.id !== undefined)?.id };
}

/** A listener's part built from the records attached to it (in key order). */
function partOf(key: string, routes: RouteRecord[]): ListenerPart {
  const entries: RouteEntry[] = [];
  const ids: string[] = [];
  const counts: number[] = [];
  for (const r of routes) {
    const given = givenTo(r, key);
    for (const e of given.entries) entries.push(e);
    if (given.id !== undefined) ids.push(given.id);
    counts.push(given.entries.length);
  }
  return { entries, ids, attached: new Set(ids), routes, counts };
}

/** At most this many records change in a part: patch it; more: build it again from its records. */
const MAX_PART_CHANGES = 16;

/**
 * The part of listener `key` without the `removed` records and with the `added` ones. Its `entries`, `routes`,
 * `counts` and `ids` are new arrays where they changed (the last part's are never changed: they may be shared with a
 * listener); the new `entries` carry their window against the last ones ({@link noteWindow}), so the virtual host
 * stage does not compare 10,000s of entries to find a changed route's. `attached` is the last part's Set changed in place (O(changed), not a copy of every id): the
 * listeners of the last translation that shared it are done with it. Route ids (`HTTPRoute/<key>`) sort as their
 * records do.
 */
function patchedPart(
  part: ListenerPart | undefined,
  key: string,
  removed: readonly RouteRecord[],
  added: readonly RouteRecord[],
): ListenerPart {
  if (!part || removed.length + added.length > MAX_PART_CHANGES) {
    const gone = new Set(removed);
    return partOf(
      key,
      [...(part?.routes ?? []).filter((r) => !gone.has(r)), ...added].sort((a, b) => cmp(a.key, b.key)),
    );
  }
  const next: PartDraft = {
    routes: part.routes as RouteRecord[],
    counts: part.counts as number[],
    entries: part.entries,
    ids: part.ids as string[],
    window: new WindowTracker(part.entries.length),
    idsOut: [],
    idsIn: [],
  };
  for (const r of removed) withoutRecord(next, part, r, key);
  for (const r of added) withRecord(next, part, r, key);
  const { entries, counts, routes } = next;
  if (entries !== part.entries) noteWindow(part.entries, entries, next.window.window(entries.length));
  // A changed route (taken out and put back) usually leaves the ids as they were.
  if (sameIds(next.idsOut, next.idsIn)) return { ...part, entries, routes, counts };
  const { ids } = next;
  for (const id of next.idsOut) if (!hasId(ids, id)) part.attached.delete(id);
  for (const id of next.idsIn) part.attached.add(id);
  return { entries, ids, attached: part.attached, routes, counts };
}

/** Whether the ids taken out are the ids put in (as multisets; a few each). */
function sameIds(out: string[], into: string[]): boolean {
  if (out.length !== into.length) return false;
  const a = [...out].sort();
  const b = [...into].sort();
  return a.every((id, i) => id === b[i]);
}

/**
 * A listener part being patched. Each list is the last part's until its first edit: a removal copies it once and
 * then removes in place; an insertion into the last part's list makes a new array of the exact size around what it
 * inserts, and one into a list already copied (a removal left room: a changed route) inserts in place
 * ({@link insertedInto}). The last part's lists are never changed.
 */
interface PartDraft {
  routes: RouteRecord[];
  counts: number[];
  entries: RouteEntry[];
  ids: string[];
  /** The window of `entries` changed so far. */
  readonly window: WindowTracker;
  /** The ids taken out and put in. */
  readonly idsOut: string[];
  readonly idsIn: string[];
}

/** The lists of a draft. */
type DraftList = "routes" | "counts" | "entries" | "ids";

/** The draft's list `k`, copied from the last part's on its first edit, to be edited in place. */
function own<K extends DraftList>(next: PartDraft, part: ListenerPart, k: K): PartDraft[K] {
  if (next[k] === part[k]) next[k] = part[k].slice() as PartDraft[K];
  return next[k];
}

/**
 * `list` with `items` inserted at `at`: in place when the draft owns it (`owned`), else a new array of the exact size.
 * Copying and then splicing in would grow the copy's backing store by half again (measured, node 20: inserting four
 * entries into a copy of 12,000 cost ~100 µs that way, ~12 µs this way).
 */
function insertedInto<T>(list: T[], owned: boolean, at: number, items: readonly T[]): T[] {
  if (!owned) return list.slice(0, at).concat(items, list.slice(at));
  list.splice(at, 0, ...items);
  return list;
}

/** The draft without record `r` (attached to listener `key`). */
function withoutRecord(next: PartDraft, part: ListenerPart, r: RouteRecord, key: string): void {
  const at = recordIndex(next.routes, r.key);
  const from = sum(next.counts, at);
  next.window.edit(next.entries.length, from, next.counts[at]);
  own(next, part, "entries").splice(from, next.counts[at]);
  const id = givenTo(r, key).id;
  if (id !== undefined) {
    // Ids are sorted: remove the run of `id` (binary search, not a pass over every id).
    const at = idIndex(next.ids, id, false);
    const end = idIndex(next.ids, id, true);
    if (end > at) own(next, part, "ids").splice(at, end - at);
    for (let k = at; k < end; k++) next.idsOut.push(id);
  }
  own(next, part, "routes").splice(at, 1);
  own(next, part, "counts").splice(at, 1);
}

/** The draft with record `r` (attached to listener `key`) in its place. */
function withRecord(next: PartDraft, part: ListenerPart, r: RouteRecord, key: string): void {
  const at = recordIndex(next.routes, r.key);
  const given = givenTo(r, key);
  const from = sum(next.counts, at);
  next.window.edit(next.entries.length, from, 0);
  next.entries = insertedInto(next.entries, next.entries !== part.entries, from, given.entries);
  const id = given.id;
  if (id !== undefined) {
    next.ids = insertedInto(next.ids, next.ids !== part.ids, idIndex(next.ids, id, true), [id]);
    next.idsIn.push(id);
  }
  next.routes = insertedInto(next.routes, next.routes !== part.routes, at, [r]);
  next.counts = insertedInto(next.counts, next.counts !== part.counts, at, [given.entries.length]);
}

/** Whether sorted `ids` hold `id`. */
function hasId(ids: readonly string[], id: string): boolean {
  const at = idIndex(ids, id, false);
  return at < ids.length && ids[at] === id;
}

/** Where a record of `key` is or goes among records sorted by key. */
function recordIndex(records: readonly RouteRecord[], key: string): number {
  return partitionPoint(records.length, (i) => records[i].key < key);
}

/** In sorted `ids`, the first index whose id is `>= id` (`after`: `> id`). */
function idIndex(ids: readonly string[], id: string, after: boolean): number {
  return partitionPoint(ids.length, (i) => ids[i] < id || (after && ids[i] === id));
}

/** The sum of the first `n` numbers. */
function sum(xs: readonly number[], n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += xs[i];
  return total;
}

/** What a BackendIndex effect sets (a later one for the same thing replaces it). */
function effectKey(e: BackendIndexEffect): string {
  return "cluster" in e ? `cluster\n${e.cluster}` : `backend\n${e.key}`;
}

/**
 * Everything attaching an HTTPRoute reads besides the route and its compile: each Gateway's and ListenerSet's
 * listeners as routes see them, the Namespaces' labels where a listener selects routes by them, the controller.
 */
export function contextSignature(ctx: RouteContext): string {
  let selectors = false;
  const gateways = [...ctx.gateways].map(([key, gw]) => [
    key,
    gw.key,
    gw.listeners.map((l) => {
      if (l.listener.allowedRoutes?.namespaces?.from === "Selector") selectors = true;
      const { name, port, protocol, hostname, allowedRoutes } = l.listener;
      const owner = [l.owner.kind, l.owner.namespace, l.owner.name];
      const kinds = l.supportedKinds.map((k) => k.kind);
      return [l.id, name, port, protocol, hostname, allowedRoutes, kinds, owner, listenerAttachable(l)];
    }),
    gw.listenerSets.map((s) => [s.key, s.rejected?.message, s.listeners.map((l) => l.id)]),
  ]);
  const sets = [...(ctx.listenerSets ?? [])].map(([key, gw]) => [key, gw.key]);
  const labels = selectors ? [...ctx.namespaces].map(([name, ns]) => [name, ns.metadata.labels]) : [];
  return JSON.stringify([ctx.controllerName, gateways, sets, labels]);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
