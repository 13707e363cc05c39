/**
 * The route layout a node's resources reach Envoy in (ADR 0008, ADR 0020): inline as built, VHDS (vhds.ts) or scoped
 * (scoped.ts). Applied last, after EnvoyPatchPolicies and extension hooks saw the usual RouteConfigurations.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { TypeUrl } from "../types";
import { sharedLayoutMemo, type LayoutMemo } from "./layout-memo";
import type { LaidOutResources, NodeResources } from "./resources";
import { scopeRoutes } from "./scoped";
import { splitVirtualHosts, type RouteLayout } from "./vhds";

/**
 * `resources` in `layout`. `published` (the node's resources as last published, by type) lets unchanged virtual hosts
 * and scopes keep their published `Any`; `memo` keeps what unchanged ones became (ADR 0024). @default the process's
 * shared memo; `null` lays everything out again
 */
export function layOut(
  resources: NodeResources,
  layout: RouteLayout,
  published?: ReadonlyMap<string, ReadonlyMap<string, { readonly value: Any }>>,
  memo: LayoutMemo | null = sharedLayoutMemo,
): LaidOutResources {
  if (layout === "scoped") {
    return scopeRoutes(resources, published, memo);
  }
  if (layout === "vhds") return splitVirtualHosts(resources, published?.get(TypeUrl.VirtualHost), memo);
  return resources;
}
