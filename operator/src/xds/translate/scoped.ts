/**
 * The scoped route layout (ADR 0020; the default, ADR 0031 and 0032): an HTTP connection manager whose every
 * virtual host has only exact hostnames gets scoped RDS keyed on the request's host instead of one
 * RouteConfiguration: one ScopedRouteConfiguration per hostname, served over SRDS (ADS), each carrying its own
 * RouteConfiguration (the listener's settings and that one virtual host) inline. Envoy then rebuilds one scope's
 * route table per change, not the listener's whole table (ADR 0020: ~3 ms instead of ~140–400 ms at 3,000 routes).
 *
 * A connection manager keeps its RouteConfiguration when any of its virtual hosts has a wildcard or catch-all
 * domain (a scope key is an exact string; a request no scope matches gets Envoy's 404, the same as an unmatched
 * host inline). One with no virtual host yet (a Gateway with no routes) is scoped with no scope. A connection manager
 * moves between RDS and scoped RDS as its hosts change, and a scoped listener may arrive at any time: Envoy 1.37.0
 * started a SRDS subscription only while it started up (envoyproxy/envoy#43392), so this layout had to keep such
 * connection managers on RDS; the Envoy egts runs since ADR 0032 (1.40.0) starts one whenever a listener brings it,
 * which is what lets a controller restarted under running proxies scope what its predecessor sent over RDS (the
 * Kubernetes default, ADR 0032). Envoy subscribes to SRDS as a wildcard: every scoped connection manager of a node
 * would get every scope of the node, so the layout applies only when exactly one connection manager of the node
 * qualifies; otherwise the node stays inline.
 *
 * Like the VHDS split, this works on the encoded RouteConfiguration (nothing is decoded); only the one listener
 * holding the scoped connection manager is decoded and re-encoded.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack, unpack } from "../../../../proto/any";
import type { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import type { HttpConnectionManager } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { HcmType, ListenerType, TypeUrl } from "../types";
import type { LaidOutResources, NodeResources } from "./resources";
import { sharedLayoutMemo, type LayoutMemo } from "./layout-memo";
import { routeParts, type RouteParts } from "./route-parts";
import { ScopedHosts } from "./scoped-window";
import { concat, field, forEachField, lengthDelimitedTag } from "./wire";

const VH_DOMAINS_TAG = lengthDelimitedTag(2);
const RC_NAME_TAG = lengthDelimitedTag(1);
const SRC_NAME_TAG = lengthDelimitedTag(1);
const SRC_KEY_TAG = lengthDelimitedTag(3);
const SRC_ROUTE_CONFIGURATION_TAG = lengthDelimitedTag(5);
const KEY_FRAGMENTS_TAG = lengthDelimitedTag(1);
const FRAGMENT_STRING_KEY_TAG = lengthDelimitedTag(1);

/**
 * The header the scope key is read from, and how: the host part of `:authority` (the value up to its first `:`), so
 * that `Host: name:port` finds the scope of `name` as inline virtual host matching does (`ignore_port_in_host_matching`).
 */
export const SCOPE_KEY_BUILDER = {
  fragments: [{ headerValueExtractor: { name: ":authority", elementSeparator: ":", index: 0 } }],
};

/**
 * The name of the scoped connection manager's ScopedRoutes (`scoped_routes.name`): one for every node, since a node has
 * at most one scoped connection manager. Envoy names its SRDS stats after it (`http.<prefix>.scoped_rds.<name>.*`)
 * and its tag extractor takes a name like this one out into the `envoy_scoped_rds_config` label
 * (`envoy_http_scoped_rds_update_rejected{envoy_scoped_rds_config="host_scopes"}`), while a RouteConfiguration's name
 * (`default/eg/http`) stayed in the metric's name (`envoy_http_scoped_rds_default_eg_http_update_rejected`): one name
 * for dashboards on every proxy.
 */
export const SCOPED_ROUTES_NAME = "host_scopes";

/**
 * The name of the scope of hostname `host`: the host itself, its key. One name per key means a key is never held by
 * two scopes, so a hostname moving to another RouteConfiguration (a listener renamed, a route moved between
 * Gateways' listeners) is an update of its scope, not an add Envoy would reject ("scope key conflict") because the
 * old scope's removal comes in another response. Only one connection manager of a node is scoped (see above), so
 * a host names one scope of the node.
 */
export function scopeName(host: string): string {
  return host;
}

/** The name of the RouteConfiguration inside the scope of `host` made from the RouteConfiguration `rc`. */
export function scopeRouteConfigName(rc: string, host: string): string {
  return `${rc}/${host}`;
}

/** A connection manager's RouteConfiguration name and the listener holding it. */
interface RdsUse {
  readonly listener: string;
  readonly rc: string;
}

/** A RouteConfiguration whose domains are all exact, as its scopes are made from. */
interface ExactHosts {
  /** Its settings: its bytes without its name and virtual hosts. */
  readonly rest: Uint8Array;
  /** Each virtual host's bytes, in order. */
  readonly hosts: readonly Uint8Array[];
  /** Their domains and the scopes made of them (kept across passes with a memo, ADR 0030). */
  readonly state: ScopedHosts;
}

/** The node's resources as last published, by type (the cache's), as far as the layout reads them. */
export type PublishedResources = ReadonlyMap<string, ReadonlyMap<string, { readonly value: Any }>>;

/**
 * The node's resources in the scoped layout (see the module comment); unchanged when no connection manager, or more
 * than one, qualifies. `memo` keeps what an unchanged virtual host (the same bytes object, route-parts.ts), listener
 * and settings became (ADR 0024); `published` (the node's resources as last published; undefined: never) lets any
 * other unchanged scope keep its `Any`, so the cache does not hash it again. @default the process's shared memo;
 * `null` makes everything again
 */
export function scopeRoutes(
  resources: NodeResources,
  published?: PublishedResources,
  memo: LayoutMemo | null = sharedLayoutMemo,
): LaidOutResources {
  const routes = resources.get(TypeUrl.Route);
  const listeners = resources.get(TypeUrl.Listener);
  if (!routes || !listeners) return resources;
  const previous = published?.get(TypeUrl.ScopedRoute);
  const chosen = theScopedUse(routes, rdsUses(listeners, memo), memo);
  if (!chosen) return resources;
  const { use, hosts } = chosen;
  const rc = use.rc;
  const rest = memo?.intern(`scoped\n${rc}`, hosts.rest);
  const variant = rest ? `${rc}\n${rest.id}` : "";
  const scopes = hosts.state.scopes(rest?.id ?? 0, (i) => {
    const vh = hosts.hosts[i];
    const make = (): (readonly [string, Any])[] =>
      hosts.state.domainsAt(i).map((domain) => {
        const name = scopeName(domain);
        const value = scopeBytes(name, scopeRouteConfigName(rc, domain), domain, hosts.rest, vh);
        const before = previous?.get(name)?.value;
        const kept = before && Buffer.compare(before.value, value) === 0;
        return [name, kept ? before : { typeUrl: TypeUrl.ScopedRoute, value }];
      });
    return memo && rest ? memo.scopes.get(vh, variant, make) : make();
  });
  const out = new Map<string, ReadonlyMap<string, Any>>(resources);
  const outRoutes = new Map(routes);
  outRoutes.delete(rc);
  out.set(TypeUrl.Route, outRoutes);
  const listener = listeners.get(use.listener)!;
  const scoped = memo
    ? memo.scopedListeners.get(listener, rc, () => scopedListener(listener, rc))
    : scopedListener(listener, rc);
  out.set(TypeUrl.Listener, new Map(listeners).set(use.listener, scoped));
  out.set(TypeUrl.ScopedRoute, scopes);
  return out;
}

/** The one connection manager whose RouteConfiguration (its alone) has only exact hosts, if exactly one has. */
function theScopedUse(
  routes: ReadonlyMap<string, Any>,
  uses: readonly RdsUse[],
  memo: LayoutMemo | null,
): { use: RdsUse; hosts: ExactHosts } | undefined {
  const count = new Map<string, number>();
  for (const u of uses) count.set(u.rc, (count.get(u.rc) ?? 0) + 1);
  const found: { use: RdsUse; hosts: ExactHosts }[] = [];
  for (const use of uses) {
    const any = routes.get(use.rc);
    const hosts = count.get(use.rc) === 1 && any ? exactHosts(routeParts(any, !memo), use.rc, memo) : undefined;
    if (hosts) found.push({ use, hosts });
  }
  return found.length === 1 ? found[0] : undefined;
}

/** Every connection manager's RouteConfiguration name, with its listener. */
function rdsUses(listeners: ReadonlyMap<string, Any>, memo: LayoutMemo | null): RdsUse[] {
  const out: RdsUse[] = [];
  for (const [name, any] of listeners) {
    const names = memo ? memo.rdsNames.get(any, "", () => rdsNames(any)) : rdsNames(any);
    for (const rc of names) out.push({ listener: name, rc });
  }
  return out;
}

/** The RouteConfiguration names of a packed listener's connection managers (those on RDS). */
function rdsNames(any: Any): string[] {
  return hcms(unpack(ListenerType, any)).flatMap(({ hcm }) => (hcm.rds ? [hcm.rds.routeConfigName] : []));
}

/** Each HTTP connection manager of a listener, with a setter writing a changed one back into the listener. */
function hcms(l: Listener): { hcm: HttpConnectionManager; set(h: HttpConnectionManager): void }[] {
  const out: { hcm: HttpConnectionManager; set(h: HttpConnectionManager): void }[] = [];
  for (const fc of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
    for (const f of fc.filters) {
      const typed = f.typedConfig;
      if (typed?.typeUrl !== HcmType.typeUrl) continue;
      out.push({ hcm: unpack(HcmType, typed), set: (h) => (f.typedConfig = pack(HcmType, h)) });
    }
  }
  return out;
}

/** The listener with the connection manager naming `rc` switched from RDS to scoped RDS over the same source. */
function scopedListener(any: Any, rc: string): Any {
  const l = unpack(ListenerType, any);
  for (const { hcm, set } of hcms(l)) {
    const source = hcm.rds?.configSource;
    if (hcm.rds?.routeConfigName !== rc || !source) continue;
    set({
      ...hcm,
      rds: undefined,
      scopedRoutes: {
        name: SCOPED_ROUTES_NAME,
        scopeKeyBuilder: SCOPE_KEY_BUILDER,
        rdsConfigSource: source,
        scopedRds: { scopedRdsConfigSource: source, srdsResourcesLocator: "" },
      },
    } as HttpConnectionManager);
  }
  return pack(ListenerType, l);
}

/**
 * The RouteConfiguration's settings and its virtual hosts with their domains (none: no scope yet); undefined when it has
 * a domain with `*`, an empty one, or a domain twice. With a memo, the hosts are taken into the state of `rc` kept
 * across passes, which looks only at the hosts that changed (scoped-window.ts).
 */
function exactHosts(parts: RouteParts, rc: string, memo: LayoutMemo | null): ExactHosts | undefined {
  const state = memo ? memo.scopedHosts(rc) : new ScopedHosts();
  const domains = memo ? (vh: Uint8Array) => memo.domains.get(vh, "", () => domainsOf(vh)) : domainsOf;
  if (!state.exact(parts.hosts, domains)) return undefined;
  const kept: Uint8Array[] = [];
  forEachField(parts.rest, (tag, start, _valueStart, end) => {
    if (tag !== RC_NAME_TAG) kept.push(parts.rest.subarray(start, end));
  });
  return { rest: concat(kept), hosts: parts.hosts, state };
}

/** A virtual host's domains. */
function domainsOf(vh: Uint8Array): string[] {
  const domains: string[] = [];
  forEachField(vh, (tag, _start, valueStart, end) => {
    if (tag === VH_DOMAINS_TAG) domains.push(Buffer.from(vh.subarray(valueStart, end)).toString("utf8"));
  });
  return domains;
}

/** A ScopedRouteConfiguration: `name`, key `[domain]`, its RouteConfiguration (named `rcName`: `rest` and `vh`) inline. */
function scopeBytes(name: string, rcName: string, domain: string, rest: Uint8Array, vh: Uint8Array): Buffer {
  const key = field(KEY_FRAGMENTS_TAG, field(FRAGMENT_STRING_KEY_TAG, Buffer.from(domain, "utf8")));
  const rc = concat([field(RC_NAME_TAG, Buffer.from(rcName, "utf8")), rest, field(lengthDelimitedTag(2), vh)]);
  return concat([
    field(SRC_NAME_TAG, Buffer.from(name, "utf8")),
    field(SRC_KEY_TAG, key),
    field(SRC_ROUTE_CONFIGURATION_TAG, rc),
  ]);
}
