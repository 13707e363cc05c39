/**
 * Output reuse across passes of the xDS build (ADR 0012). The build stays a pure function of the IR: the memo only
 * decides how much of it is computed again. What it keeps, and what a kept output is valid for:
 *
 * - an encoded Envoy route per route IR object, per (listener context, virtual host domains): the route's bytes
 *   depend on the route IR, its virtual host's domains, and the listener context (everything else the route build
 *   reads: the listener's name, alt-svc and geoip headers, the filters' `routeContext`, the clusters' hash keys);
 * - an encoded virtual host per virtual host IR object (and, when the IR object is new, per name, if its domains and
 *   every route's bytes are the same objects as last pass);
 * - a packed Cluster (and static ClusterLoadAssignment) per cluster IR object, and a packed Secret per secret IR
 *   object, so the cache sees the same `Any` and does not hash it again.
 *
 * It relies on IR objects never being mutated after `translate` returns (ADR 0009: the compile memo hands out the same
 * route objects while a route and what it reads are unchanged). Entries are keyed by IR object identity (WeakMaps:
 * they go with the IR), so memory is bounded by the IR alive; the by-name fallback keeps the virtual hosts of each
 * of the last 64 nodes built, of the listener contexts its last pass used, less those that left a RouteConfiguration
 * (route-encode.ts builds only the changed window of each one's virtual hosts, ADR 0037).
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import type { ClusterIr, RouteIr, VirtualHostIr } from "../../ir/xds-ir";
import { sameReferences } from "../../ir/list-window";

/** A virtual host's encoded field (tag + length + VirtualHost) and what it was built from. */
export interface VirtualHostEntry {
  /** Listener context id it was built in (see {@link BuildMemo.contextId}). */
  readonly context: number;
  /** Whether it carries the virtual cluster of `virtualHostStats`. */
  readonly stats: boolean;
  readonly domains: readonly string[];
  /** The encoded route fields it holds, in order. */
  readonly routes: readonly Uint8Array[];
  /** RouteConfiguration field 2: tag, length, VirtualHost bytes. */
  readonly field: Uint8Array;
}

/** An encoded route field (tag + length + Route) and the listener context and domains it was built for. */
interface RouteEntry {
  readonly context: number;
  readonly domains: readonly string[];
  readonly field: Uint8Array;
}

/** A cluster's packed resources and the options they were built with. */
export interface ClusterEntry {
  readonly key: string;
  readonly cluster: Any;
  readonly endpoints: Any | undefined;
}

/** Virtual host entries of one node, by listener context, then virtual host name. */
type ByName = Map<number, Map<string, VirtualHostEntry>>;

/** A node's virtual host entries by name and the listener contexts its last pass used. */
interface NodeVirtualHosts {
  readonly byName: ByName;
  readonly used: Set<number>;
}

/** Most (context, domains) variants of one route kept (a route attached to several hosts or listeners). */
const ROUTE_VARIANTS = 8;
/** Nodes whose last pass of virtual hosts is kept for the by-name fallback. */
const MAX_NODES = 64;
/** Listener contexts interned before the table starts again (ids are never reused). */
const MAX_CONTEXTS = 1024;

/** Reusable build outputs (see the module comment). One per process is enough: {@link sharedBuildMemo}. */
export class BuildMemo {
  private readonly routes = new WeakMap<RouteIr, RouteEntry[]>();
  private readonly vhosts = new WeakMap<VirtualHostIr, VirtualHostEntry>();
  private readonly lastByName = new Map<string, NodeVirtualHosts>();
  private readonly clusters = new WeakMap<ClusterIr, ClusterEntry>();
  private readonly secrets = new WeakMap<object, Any>();
  private readonly contexts = new Map<string, number>();
  private readonly lastBytes = new Map<string, Any>();
  private readonly lastInputs = new Map<string, { readonly inputs: readonly unknown[]; readonly output: unknown }>();
  private nextContext = 1;

  /** A small id per distinct listener context string (equal strings, equal ids). */
  contextId(context: string): number {
    const known = this.contexts.get(context);
    if (known !== undefined) return known;
    if (this.contexts.size >= MAX_CONTEXTS) this.contexts.clear();
    const id = this.nextContext++;
    this.contexts.set(context, id);
    return id;
  }

  /** The encoded route field of `route` in `context` with `domains`, built by `build` when not kept. */
  route(route: RouteIr, context: number, domains: readonly string[], build: () => Uint8Array): Uint8Array {
    let variants = this.routes.get(route);
    if (variants) {
      for (const v of variants) if (v.context === context && sameItems(v.domains, domains)) return v.field;
    }
    const field = build();
    if (!variants || variants.length >= ROUTE_VARIANTS) {
      variants = [];
      this.routes.set(route, variants);
    }
    variants.push({ context, domains, field });
    return field;
  }

  /**
   * Starts a pass over a node's virtual hosts: the by-name entries of the listener contexts its last pass did not use
   * (a listener gone or changed) are dropped.
   */
  virtualHosts(node: string): VirtualHostMemo {
    const last = this.lastByName.get(node);
    const byName: ByName = last?.byName ?? new Map();
    if (last) for (const context of byName.keys()) if (!last.used.has(context)) byName.delete(context);
    const used = new Set<number>();
    // Most recently built last; the oldest node goes beyond MAX_NODES (a Gateway that is gone).
    this.lastByName.delete(node);
    this.lastByName.set(node, { byName, used });
    if (this.lastByName.size > MAX_NODES) this.lastByName.delete(this.lastByName.keys().next().value as string);
    return new VirtualHostMemo(this.vhosts, byName, used);
  }

  /** The packed cluster (and endpoints) of `c` built with options `key`, built by `build` when not kept. */
  cluster(c: ClusterIr, key: string, build: () => Omit<ClusterEntry, "key">): ClusterEntry {
    const known = this.clusters.get(c);
    if (known && known.key === key) return known;
    const entry = { key, ...build() };
    this.clusters.set(c, entry);
    return entry;
  }

  /**
   * `any`, or the `Any` last kept under `key` when its bytes are the same (a listener, built again every pass: the
   * scoped layout then keeps what it made of it, and the cache skips hashing it; ADR 0024).
   */
  sameBytes(key: string, any: Any): Any {
    const known = this.lastBytes.get(key);
    if (known && known.typeUrl === any.typeUrl && Buffer.compare(known.value, any.value) === 0) return known;
    if (this.lastBytes.size >= MAX_CONTEXTS) this.lastBytes.clear();
    this.lastBytes.set(key, any);
    return any;
  }

  /**
   * What `build` gave last under `key` when `inputs` (everything the build reads) are the same references, in the same
   * order, as then; else `build()` again. Undefined inputs: built every time (the build reads more than can be named).
   */
  sameInputs<T>(key: string, inputs: readonly unknown[] | undefined, build: () => T): T {
    const known = this.lastInputs.get(key);
    if (inputs && known && sameReferences(known.inputs, inputs)) return known.output as T;
    const output = build();
    if (this.lastInputs.size >= MAX_CONTEXTS) this.lastInputs.clear();
    if (inputs) this.lastInputs.set(key, { inputs, output });
    else this.lastInputs.delete(key);
    return output;
  }

  /** The packed secret of `s`, built by `build` when not kept. */
  secret(s: object, build: () => Any): Any {
    const known = this.secrets.get(s);
    if (known) return known;
    const built = build();
    this.secrets.set(s, built);
    return built;
  }
}

/** One node's pass over its virtual hosts (see {@link BuildMemo.virtualHosts}). */
export class VirtualHostMemo {
  constructor(
    private readonly byIr: WeakMap<VirtualHostIr, VirtualHostEntry>,
    private readonly byName: ByName,
    private readonly used: Set<number>,
  ) {}

  /** Notes that this pass builds in listener context `context` (its by-name entries stay for the next pass). */
  use(context: number): void {
    this.used.add(context);
  }

  /** Drops the by-name entry of a virtual host gone from context `context`. */
  forget(context: number, name: string): void {
    this.byName.get(context)?.delete(name);
  }

  /**
   * The encoded field of `vh` in `context`: kept for the same IR object, or for a virtual host of the same name
   * whose domains and route fields (`routes()`, the memoised route fields) are the same; else `build(routes)`.
   */
  field(
    vh: VirtualHostIr,
    context: number,
    stats: boolean,
    routes: () => readonly Uint8Array[],
    build: (routes: readonly Uint8Array[]) => Uint8Array,
  ): Uint8Array {
    this.used.add(context);
    let current = this.byName.get(context);
    if (!current) {
      current = new Map();
      this.byName.set(context, current);
    }
    const same = this.byIr.get(vh);
    if (same && same.context === context && same.stats === stats) {
      current.set(vh.name, same);
      return same.field;
    }
    const fields = routes();
    const before = current.get(vh.name);
    const entry =
      before && before.stats === stats && sameItems(before.domains, vh.domains) && sameItems(before.routes, fields)
        ? before
        : { context, stats, domains: vh.domains, routes: fields, field: build(fields) };
    this.byIr.set(vh, entry);
    current.set(vh.name, entry);
    return entry.field;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The memo the pipeline's builds share. */
export const sharedBuildMemo = new BuildMemo();
