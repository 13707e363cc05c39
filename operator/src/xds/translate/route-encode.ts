/**
 * The encoded RouteConfigurations of a listener assembled from reused parts (ADR 0012): the same bytes as packing
 * `buildRouteConfigurations` (route.ts), but each Envoy route and virtual host is built and encoded once and kept
 * while its inputs are unchanged (build-memo.ts), so a pass with one changed route builds that route and copies the
 * rest. Protobuf repeated message fields are a concatenation of (tag, length, bytes), and ts-proto writes a
 * VirtualHost's routes right after its name and domains, and a RouteConfiguration's virtual hosts right after its
 * name, so the kept bytes are inserted there into the encoded message without them.
 */
import { RouteConfiguration } from "../../../../proto/gen/envoy/config/route/v3/route";
import { Route, VirtualHost } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import type { HttpListenerIr, ProxyMetricsIr, VirtualHostIr } from "../../ir/xds-ir";
import { RouteType } from "../types";
import type { BuildMemo, VirtualHostMemo } from "./build-memo";
import { filtersRouteContext } from "./filters";
import { geoHeadersToRemove } from "./geoip-headers";
import { altSvcHeaders } from "./http3";
import { envoyRoute, misdirected, routeConfigurationParts, routeConfigurationSettings, type HashKeysOf } from "./route";
import { withVirtualCluster } from "./stats";
import { withRouteParts } from "./route-parts";
import { field, lengthDelimitedTag, withFieldsAfter } from "./wire";
import { StateByName, windowedValues, type ListWindow } from "../../ir/list-window";

/** RouteConfiguration.virtual_hosts (2) follows name (1); VirtualHost.routes (3) follows name (1) and domains (2). */
const RC_VIRTUAL_HOSTS = 2;
const VH_ROUTES = 3;
const RC_VIRTUAL_HOSTS_TAG = lengthDelimitedTag(RC_VIRTUAL_HOSTS);
const VH_ROUTES_TAG = lengthDelimitedTag(VH_ROUTES);

/** What the route configurations of a node's listeners are built with (see {@link encodeRouteConfigurations}). */
export interface RouteBuild {
  /** The hash keys of the clusters routes forward to. */
  readonly hashKeysOf: HashKeysOf;
  /** Everything `hashKeysOf` answers, as a string (a route reads the hash keys of its clusters). */
  readonly hashContext: string;
  /** The node's metrics settings (virtual host stats). */
  readonly metrics: ProxyMetricsIr | undefined;
  readonly memo: BuildMemo;
  /** The node's name. */
  readonly node: string;
  /** The node's pass over its virtual hosts ({@link BuildMemo.virtualHosts}). */
  readonly virtualHosts: VirtualHostMemo;
}

/**
 * The listener's RouteConfigurations, packed, by name, with the virtual host stats `metrics` asks for: byte for byte
 * `pack(RouteType, withVirtualHostStats(rc, metrics))` of each of `buildRouteConfigurations(listener, hashKeysOf)`.
 */
export function encodeRouteConfigurations(listener: HttpListenerIr, build: RouteBuild): [string, Any][] {
  const { hashKeysOf, metrics, memo } = build;
  const altSvc = altSvcHeaders(listener);
  const context = memo.contextId(
    JSON.stringify([
      listener.name,
      altSvc,
      geoHeadersToRemove(listener),
      filtersRouteContext(listener),
      build.hashContext,
    ]),
  );
  const stats = metrics?.virtualHostStats === true;
  const routeFields = (vh: VirtualHostIr): Uint8Array[] =>
    vh.routes.map((r) =>
      memo.route(r, context, vh.domains, () =>
        field(
          VH_ROUTES_TAG,
          Route.encode(Route.fromPartial(envoyRoute(r, vh.domains, listener, hashKeysOf, altSvc))).finish(),
        ),
      ),
    );
  const ownField = (vh: VirtualHostIr): Uint8Array =>
    build.virtualHosts.field(
      vh,
      context,
      stats,
      () => routeFields(vh),
      (routes) => virtualHostField(vh, routes, metrics),
    );
  return routeConfigurationParts(listener).map((p) => {
    const shell = RouteConfiguration.encode(
      RouteConfiguration.fromPartial({ ...routeConfigurationSettings(listener, p.name), virtualHosts: [] }),
    ).finish();
    const own = ownFieldsOf(memo)
      .get(`${build.node}\n${p.name}`)
      .update(p.own, context, stats, ownField, build.virtualHosts);
    const hosts =
      p.others.length === 0
        ? own
        : [
            ...own,
            ...p.others.map((vh) =>
              field(RC_VIRTUAL_HOSTS_TAG, VirtualHost.encode(withVirtualCluster(misdirected(vh), metrics)).finish()),
            ),
          ];
    const assemble = (): Buffer => withFieldsAfter(shell, RC_VIRTUAL_HOSTS - 1, hosts);
    return [p.name, withRouteParts(RouteType.typeUrl, p.name, shell, hosts, assemble)];
  });
}

/**
 * The encoded fields of one RouteConfiguration's own virtual hosts, kept across passes: while the listener context
 * is the same, a pass encodes (or looks up) only the window of virtual hosts that changed (list-window.ts: the
 * virtual host stage notes it, so a one-route change does not look at the other 10,000 hosts), and the fields array
 * it returns carries its window for the next stage (route-parts.ts).
 */
class OwnFields {
  private hosts: readonly VirtualHostIr[] = [];
  private fields: readonly Uint8Array[] = [];
  private context = -1;
  private stats = false;

  update(
    hosts: readonly VirtualHostIr[],
    context: number,
    stats: boolean,
    of: (vh: VirtualHostIr) => Uint8Array,
    memo: VirtualHostMemo,
  ): readonly Uint8Array[] {
    memo.use(context);
    this.fields =
      context !== this.context || stats !== this.stats
        ? hosts.map(of)
        : windowedValues(this.hosts, this.fields, hosts, of, (w) => forgetLeft(this.hosts, hosts, w, memo, context));
    this.hosts = hosts;
    this.context = context;
    this.stats = stats;
    return this.fields;
  }
}

/** Tells `memo` of the virtual hosts of `before`'s window that `after`'s window does not have (by name: build-memo.ts). */
function forgetLeft(
  before: readonly VirtualHostIr[],
  after: readonly VirtualHostIr[],
  w: ListWindow,
  memo: VirtualHostMemo,
  context: number,
): void {
  const names = new Set<string>();
  for (let i = w.from; i < w.afterTo; i++) names.add(after[i].name);
  for (let i = w.from; i < w.beforeTo; i++) if (!names.has(before[i].name)) memo.forget(context, before[i].name);
}

/**
 * {@link OwnFields} per build memo (its listener context ids are its own), node and RouteConfiguration name.
 */
const ownFieldsByMemo = new WeakMap<BuildMemo, StateByName<OwnFields>>();

function ownFieldsOf(memo: BuildMemo): StateByName<OwnFields> {
  let states = ownFieldsByMemo.get(memo);
  if (!states) ownFieldsByMemo.set(memo, (states = new StateByName(() => new OwnFields())));
  return states;
}

/** RouteConfiguration field 2 of a virtual host holding the encoded `routes`. */
function virtualHostField(
  vh: VirtualHostIr,
  routes: readonly Uint8Array[],
  metrics: ProxyMetricsIr | undefined,
): Uint8Array {
  const shell = VirtualHost.encode(
    withVirtualCluster(VirtualHost.fromPartial({ name: vh.name, domains: [...vh.domains], routes: [] }), metrics),
  ).finish();
  return field(RC_VIRTUAL_HOSTS_TAG, withFieldsAfter(shell, VH_ROUTES - 1, routes));
}
