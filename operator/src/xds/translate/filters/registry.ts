/**
 * The ranked HTTP filter registry: every HTTP filter an HTTP connection manager can carry, one file per filter
 * in this folder, placed in Envoy Gateway's order (its xDS translator's `newOrderedHTTPFilter`), optionally
 * reordered by the user (EnvoyProxy `spec.filterOrder`, see {@link applyFilterOrder}).
 *
 * Envoy Gateway's placement patterns, which each filter file states for its filter:
 * - `shared`: one filter per HCM, present when some route of the listener needs it, with a neutral HCM-level
 *   config; each route that uses it carries the filter's native per-route config in `typed_per_filter_config`.
 * - `disabled`: the HCM-level filter holds the real config (one filter per policy where configs differ, named
 *   `<filter name>/<suffix>`) with `disabled: true`; a route turns it on with its native per-route config, or
 *   with `envoy.config.route.v3.FilterConfig` (`config` empty, see {@link enableOnRoute}) when the filter has none.
 * - `listener`: configured for the whole listener; no per-route config.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { FilterConfig } from "../../../../../proto/gen/envoy/config/route/v3/route_components";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import { pack, registerType } from "../../../../../proto/any";
import type { FilterPositionIr, HttpListenerIr, RouteIr, VirtualHostIr } from "../../../ir/xds-ir";
import { WindowedByName } from "../../../ir/list-window";

/** How Envoy Gateway places a filter on the HCM and enables it per route (see the module comment). */
export type FilterPlacement = "shared" | "disabled" | "listener";

/** One HTTP filter of the registry. */
export interface HttpFilterDef {
  /** Envoy's filter name, Envoy Gateway's `EnvoyFilter` value; instance names start with it. */
  readonly name: string;
  /**
   * Envoy Gateway's rank: lower runs first; equal ranks are ordered by filter name. For indexed filters
   * (several instances, lua, ext_proc, wasm, dynamic_modules) the rank of the first instance: each instance
   * adds the index its name ends with (`<name>/.../<index>`).
   */
  readonly rank: number;
  /** Instances are ranked by the index their name ends with. @default false */
  readonly indexed?: boolean;
  /** Fully qualified proto name of the HCM-level config (its type URL without `type.googleapis.com/`). */
  readonly configType: string;
  /**
   * Fully qualified proto name of the value a route puts in `typed_per_filter_config` under the filter's
   * name: the filter's own per-route message, or `envoy.config.route.v3.FilterConfig`; absent when the
   * filter has no route-level setting.
   */
  readonly perRouteType?: string;
  /** How Envoy Gateway places it. */
  readonly placement: FilterPlacement;
  /** The filters of this kind the listener's HCM needs (none when no route uses it); absent until an IR feeds it. */
  readonly hcmFilters?: (listener: HttpListenerIr) => readonly HttpFilter[];
  /** The route's `typed_per_filter_config` entries for this filter (on `listener`); absent until an IR feeds it. */
  readonly perRouteConfig?: (route: RouteIr, listener: HttpListenerIr) => Readonly<Record<string, Any>> | undefined;
  /**
   * Everything `perRouteConfig` reads from the listener (not from the route), as a JSON value: a built route is
   * reused while this (and the route) is unchanged (ADR 0012). Required when `perRouteConfig` takes the listener.
   */
  readonly routeContext?: (listener: HttpListenerIr) => unknown;
  /**
   * A small config Envoy accepts, for tests that have real Envoy validate the whole registry; never emitted by
   * the translator. Absent where any config needs something the test cannot provide (a Wasm module, a GeoIP
   * database, a type our pinned protos lack).
   */
  readonly sampleConfig?: () => Any;
}

/** One position of EnvoyProxy `spec.filterOrder` (see {@link FilterPositionIr}). */
export type FilterPosition = FilterPositionIr;

/** Envoy Gateway's rank for a filter it does not know. */
export const DEFAULT_RANK = 50;

/** FilterConfig, registered for Any packing. */
export const FilterConfigType = registerType(FilterConfig);

/** Whether `filterName` is an instance of the filter type `type` (Envoy Gateway: a name prefix). */
export function isFilterType(filterName: string, type: string): boolean {
  return filterName.startsWith(type);
}

/**
 * The route-level value that turns on a filter placed `disabled: true` on the HCM, for filters without a
 * per-route message: `envoy.config.route.v3.FilterConfig` with an empty `config`, as Envoy Gateway writes it.
 */
export function enableOnRoute(): Any {
  return pack(FilterConfigType, FilterConfig.fromPartial({ config: { typeUrl: "", value: Buffer.alloc(0) } }));
}

/** The index an indexed filter's name ends with (`.../<index>`); throws naming the filter when it does not. */
export function filterIndex(filterName: string): number {
  const last = filterName.slice(filterName.lastIndexOf("/") + 1);
  if (!/^\d+$/.test(last)) throw new Error(`filter ${filterName} has no index: its name must end with /<index>`);
  return Number(last);
}

/** The registered filter a name belongs to (longest matching type), or undefined. */
export function filterDefOf(defs: readonly HttpFilterDef[], filterName: string): HttpFilterDef | undefined {
  let best: HttpFilterDef | undefined;
  for (const d of defs) {
    if (isFilterType(filterName, d.name) && (!best || d.name.length > best.name.length)) best = d;
  }
  return best;
}

/** A filter's rank among `defs` (Envoy Gateway's newOrderedHTTPFilter). */
export function filterRank(defs: readonly HttpFilterDef[], filterName: string): number {
  const def = filterDefOf(defs, filterName);
  if (!def) return DEFAULT_RANK;
  if (!def.indexed) return def.rank;
  return def.rank + filterIndex(filterName);
}

/** Name of the Lua filter. */
export const LUA_FILTER = "envoy.filters.http.lua";

/** Sorts filters by rank, then name (stable for equal names); returns a new array. */
export function sortHttpFilters<T extends { readonly name: string }>(
  defs: readonly HttpFilterDef[],
  filters: readonly T[],
): T[] {
  const ranked = filters.map((f) => ({ f, rank: filterRank(defs, f.name) }));
  ranked.sort((a, b) => a.rank - b.rank || (a.f.name < b.f.name ? -1 : a.f.name > b.f.name ? 1 : 0));
  return ranked.map((r) => r.f);
}

/**
 * Applies EnvoyProxy `spec.filterOrder` to sorted filters, as Envoy Gateway does: positions apply one after
 * the other; each moves every filter of type `name` (keeping their relative order) right before the first
 * filter of type `before`, or right after the last filter of type `after`. A position whose filters or
 * anchor are not in the list changes nothing. Returns a new array.
 */
export function applyFilterOrder<T extends { readonly name: string }>(
  filters: readonly T[],
  positions: readonly FilterPosition[],
): T[] {
  let list = [...filters];
  for (const p of positions) {
    const anchor = p.before ?? p.after;
    if (anchor === undefined || anchor === p.name) continue;
    const moving = list.filter((f) => isFilterType(f.name, p.name));
    if (moving.length === 0) continue;
    const rest = list.filter((f) => !isFilterType(f.name, p.name));
    const at =
      p.before !== undefined
        ? rest.findIndex((f) => isFilterType(f.name, anchor))
        : lastIndex(rest, (f) => isFilterType(f.name, anchor));
    if (at < 0) continue;
    rest.splice(p.before !== undefined ? at : at + 1, 0, ...moving);
    list = rest;
  }
  return list;
}

function lastIndex<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i])) return i;
  return -1;
}

/** Packs a message built from a partial object (ts-proto `fromPartial`); the filters import it from here. */
export { packPartial } from "../../../../../proto/any";

/** Cluster the sample configs of filters that call a service point at (tests provide it). */
export const SAMPLE_CLUSTER = "egts-sample-service";

/** Generic SDS secret the sample configs of filters that need one name (tests provide it). */
export const SAMPLE_SECRET = "egts-sample-secret";

/** An SDS secret reference over ADS. */
export function sampleSdsSecret(name: string = SAMPLE_SECRET): object {
  return { name, sdsConfig: { ads: {}, resourceApiVersion: 2 } };
}

/** A gRPC service on {@link SAMPLE_CLUSTER}. */
export function sampleGrpcService(): object {
  return { envoyGrpc: { clusterName: SAMPLE_CLUSTER } };
}

/**
 * Whether an HTTP filter can read anything of the route: the route fields the filters' `hcmFilters` and
 * `perRouteConfig` look at (security, traffic, extensions, credential injection, dynamic-resolver destinations).
 * A filter that reads another route field adds it here; the build memo's test checks every golden case with and
 * without this cut (test/xds-translate/build-reuse.test.ts).
 */
export function routeReadByFilters(r: RouteIr): boolean {
  if (r.security !== undefined || r.traffic !== undefined || r.extensions !== undefined) return true;
  if (r.credentialInjection !== undefined) return true;
  if (r.action.kind !== "forward") return false;
  for (const d of r.action.destinations) if (d.dynamic === true || d.credentialInjection !== undefined) return true;
  return false;
}

const views = new WeakMap<HttpListenerIr, HttpListenerIr>();
/** The routes of a virtual host the filters can read, per virtual host object (they are never mutated). */
const readRoutes = new WeakMap<VirtualHostIr, readonly RouteIr[]>();
const NO_ROUTES: readonly RouteIr[] = [];

/** The routes of `vh` the filters can read ({@link routeReadByFilters}), in order. */
function routesReadIn(vh: VirtualHostIr): readonly RouteIr[] {
  let routes = readRoutes.get(vh);
  if (!routes) {
    const read = vh.routes.filter(routeReadByFilters);
    readRoutes.set(vh, (routes = read.length > 0 ? read : NO_ROUTES));
  }
  return routes;
}

/** Each listener's virtual hosts' readable routes, looked up again only where its list changed (ADR 0030). */
const readByListener = new WindowedByName<VirtualHostIr, readonly RouteIr[]>(routesReadIn);

/**
 * What the filters see of a listener: the listener with only the routes they can read (routeReadByFilters), in
 * order, in one virtual host (filters read routes, never virtual host names or domains). Each filter scans the
 * listener's routes once or more per pass; most routes have nothing a filter reads, so the scans become one
 * decision per route per pass; that decision is kept per virtual host object (ADR 0024). Memoised per listener object.
 */
export function filterView(listener: HttpListenerIr): HttpListenerIr {
  const known = views.get(listener);
  if (known) return known;
  const routes: RouteIr[] = [];
  for (const read of readByListener.update(listener.name, listener.virtualHosts)) {
    if (read.length > 0) routes.push(...read);
  }
  const view = { ...listener, virtualHosts: [{ name: listener.name, domains: [], routes }] };
  views.set(listener, view);
  return view;
}

/** Whether some route of the listener satisfies `pred` (a `shared` or `disabled` filter is added only then). */
export function listenerHasRoute(listener: HttpListenerIr, pred: (route: RouteIr) => boolean): boolean {
  return listener.virtualHosts.some((vh) => vh.routes.some(pred));
}

/** One HCM instance of a filter placed once per distinct config: its name and config. */
export interface FilterInstance<T> {
  readonly name: string;
  readonly config: T;
}

/** The key of a (base name, config) pair among a listener's instances. */
export function instanceKey(base: string, config: unknown): string {
  return JSON.stringify([base, config]);
}

/**
 * The HCM instances of a filter with one instance per distinct config on the listener, by
 * {@link instanceKey}, in route order: the first config under a base name gets the base name, each further
 * distinct one `<base>/1`, `<base>/2`, ... (so routes whose settings differ never share an instance).
 */
export function filterInstances<T>(
  listener: HttpListenerIr,
  configsOf: (route: RouteIr) => readonly { readonly base: string; readonly config: T }[],
): Map<string, FilterInstance<T>> {
  const out = new Map<string, FilterInstance<T>>();
  const perBase = new Map<string, number>();
  for (const vh of listener.virtualHosts) {
    for (const r of vh.routes) {
      for (const { base, config } of configsOf(r)) {
        const key = instanceKey(base, config);
        if (out.has(key)) continue;
        const n = perBase.get(base) ?? 0;
        perBase.set(base, n + 1);
        out.set(key, { name: n === 0 ? base : `${base}/${n}`, config });
      }
    }
  }
  return out;
}

/**
 * The instances of a per-policy filter `filter` on a listener, by instance name `<filter>/<ir name>`: for each IR
 * object `pick` finds on a route (several per route for lists such as Lua scripts), the first route's.
 */
export function namedInstances<T extends { readonly name: string }>(
  listener: HttpListenerIr,
  filter: string,
  pick: (route: RouteIr) => readonly T[],
): Map<string, T> {
  const out = new Map<string, T>();
  for (const v of listener.virtualHosts) {
    for (const r of v.routes) {
      for (const x of pick(r)) if (!out.has(`${filter}/${x.name}`)) out.set(`${filter}/${x.name}`, x);
    }
  }
  return out;
}
