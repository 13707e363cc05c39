/** Reading what a published Listener holds, and how a node's routes are laid out, for tests. */
import assert from "node:assert/strict";
import { unpack } from "../../proto/any";
import type { Any } from "../../proto/gen/google/protobuf/any";
import type { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { HcmType, ListenerType, TypeUrl } from "../../operator/src/xds/types";
import type { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";

/** The HTTP connection managers of a packed Listener, over its filter chains and its default one. */
export function connectionManagers(listener: Any): HttpConnectionManager[] {
  const l = unpack(ListenerType, listener);
  return [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]
    .flatMap((fc) => fc.filters)
    .flatMap((f) => (f.typedConfig?.typeUrl === HcmType.typeUrl ? [unpack(HcmType, f.typedConfig)] : []));
}

/** How a node's routes are laid out as published: RouteConfiguration and scope names, and whether it is scoped. */
export interface PublishedLayout {
  /** RouteConfiguration names (RDS), in the cache's order. */
  readonly routes: string[];
  /** Scope names (SRDS), sorted. */
  readonly scopes: string[];
  /** Whether a listener's connection manager uses scoped routes. */
  readonly scoped: boolean;
}

/** The published layout of `node` in `cache` (the node must be published). */
export function publishedLayout(cache: XdsCache, node: string): PublishedLayout {
  const resources = cache.getNode(node)?.resources;
  assert.ok(resources, `node ${node} is published`);
  const listeners = [...(resources.get(TypeUrl.Listener)?.values() ?? [])];
  return {
    routes: [...(resources.get(TypeUrl.Route)?.keys() ?? [])],
    scopes: [...(resources.get(TypeUrl.ScopedRoute)?.keys() ?? [])].sort(),
    scoped: listeners.flatMap((l) => connectionManagers(l.value)).some((h) => h.scopedRoutes !== undefined),
  };
}
