/**
 * The VHDS route configuration layout (ADR 0008): every RouteConfiguration keeps its name and settings but not its
 * virtual hosts, which become VirtualHost resources of their own, served over VHDS. A one-route change then sends
 * that route's virtual host, not the listener's whole route table.
 *
 * The split works on the encoded bytes (protobuf wire format), after EnvoyPatchPolicies and extension hooks saw the
 * usual whole RouteConfigurations: a virtual host's bytes are copied out as they are, nothing is decoded or encoded
 * again; what an unchanged virtual host became is kept (layout-memo.ts), so a pass costs what changed.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { ApiConfigSource_ApiType, ApiVersion } from "../../../../proto/gen/envoy/config/core/v3/config_source";
import { Vhds } from "../../../../proto/gen/envoy/config/route/v3/route";
import { XDS_CLUSTER } from "../../infra/bootstrap";
import { TypeUrl } from "../types";
import type { NodeResources } from "./resources";
import { sharedLayoutMemo, type LayoutMemo } from "./layout-memo";
import { routeParts } from "./route-parts";
import { concat, field, forEachField } from "./wire";

/** Wire tags used here (envoy.config.route.v3.RouteConfiguration and VirtualHost). */
const RC_VHDS_TAG = (9 << 3) | 2;
const VH_NAME_TAG = (1 << 3) | 2;

/**
 * How each listener's routes reach Envoy: `inline` (one RouteConfiguration holding every virtual host, the default)
 * or `vhds` (virtual hosts as VHDS resources). An internal switch (`EGTS_ROUTE_LAYOUT`, config/env.ts): no
 * EnvoyProxy or EnvoyGateway field selects it (ADR 0008).
 */
export type RouteLayout = "inline" | "vhds" | "scoped";

/**
 * The gRPC metadata naming the route configuration of a VHDS stream. Envoy's VHDS requests subscribe to nothing by
 * name (it matches the namespace on its side), so without it every VHDS stream of a node would get every virtual
 * host of the node. Base64url: Envoy reads `%` in metadata values as formatter commands.
 */
export const VHDS_ROUTE_CONFIGURATION_HEADER = "x-egts-route-configuration";

/**
 * The VHDS config source of the split RouteConfiguration `rc`: Envoy only accepts a `DELTA_GRPC` api config source
 * for VHDS (not ADS), so it opens one more stream per route configuration to the same xDS cluster, on
 * `envoy.service.route.v3.VirtualHostDiscoveryService/DeltaVirtualHosts`, with `rc` in its metadata.
 */
export function vhdsConfig(rc: string): Vhds {
  return Vhds.fromPartial({
    configSource: {
      apiConfigSource: {
        apiType: ApiConfigSource_ApiType.DELTA_GRPC,
        transportApiVersion: ApiVersion.V3,
        grpcServices: [
          {
            envoyGrpc: { clusterName: XDS_CLUSTER },
            initialMetadata: [
              { key: VHDS_ROUTE_CONFIGURATION_HEADER, value: Buffer.from(rc, "utf8").toString("base64url") },
            ],
          },
        ],
        setNodeOnFirstMessageOnly: true,
      },
      resourceApiVersion: ApiVersion.V3,
    },
  });
}

/**
 * The name a virtual host has as a VHDS resource of the route configuration `rc`. Envoy subscribes to a route
 * configuration's virtual hosts by namespace (the name up to its last `/`) and removes them by resource name, which
 * must also be the virtual host's own name. Envoy Gateway's names (`<listener>/<host part>`) already are
 * `<route configuration>/<host part>` on plain HTTP; a virtual host of another listener (an HTTPS chain's 421
 * hosts) gets the chain's prefix.
 */
export function vhdsResourceName(rc: string, virtualHost: string): string {
  const last = virtualHost.slice(virtualHost.lastIndexOf("/") + 1);
  return virtualHost === `${rc}/${last}` ? virtualHost : `${rc}/${virtualHost.replaceAll("/", "~")}`;
}

/** Namespace of a VHDS resource name: everything before its last `/` (Envoy's namespace matching). */
export function vhdsNamespace(name: string): string {
  const i = name.lastIndexOf("/");
  return i < 0 ? "" : name.slice(0, i);
}

/**
 * Moves every RouteConfiguration's virtual hosts into VirtualHost resources (see the module comment). `memo` keeps
 * what an unchanged virtual host (the same bytes object, route-parts.ts) and unchanged settings became (ADR 0024);
 * `previous` (the node's virtual hosts as last published, by name) lets any other virtual host whose bytes did not
 * change keep its previous `Any` object, which the cache then recognises without hashing it again. @default the
 * process's shared memo; `null` makes everything again
 */
export function splitVirtualHosts(
  resources: NodeResources,
  previous?: ReadonlyMap<string, { readonly value: Any }>,
  memo: LayoutMemo | null = sharedLayoutMemo,
): NodeResources {
  const routes = resources.get(TypeUrl.Route);
  if (!routes || routes.size === 0) return resources;
  const outRoutes = new Map<string, Any>();
  const virtualHosts = new Map<string, Any>();
  for (const [name, any] of routes) {
    const { rest, hosts } = routeParts(any, !memo);
    const shell = (): Any => {
      const vhdsBytes = Vhds.encode(vhdsConfig(name)).finish();
      return { typeUrl: any.typeUrl, value: concat([rest, field(RC_VHDS_TAG, vhdsBytes)]) };
    };
    outRoutes.set(name, memo ? memo.vhdsRoutes.get(memo.intern(`vhds\n${name}`, rest), name, shell) : shell());
    for (const vh of hosts) {
      const make = (): readonly [string, Any] => {
        const own = fieldString(vh, VH_NAME_TAG) ?? "";
        const resourceName = vhdsResourceName(name, own);
        const value = resourceName === own ? vh : renamed(vh, resourceName);
        const before = previous?.get(resourceName)?.value;
        const kept = before && Buffer.compare(before.value, value) === 0;
        return [resourceName, kept ? before : { typeUrl: TypeUrl.VirtualHost, value: concat([value]) }];
      };
      const [resourceName, value] = memo ? memo.vhdsHosts.get(vh, name, make) : make();
      virtualHosts.set(resourceName, value);
    }
  }
  const out = new Map(resources);
  out.set(TypeUrl.Route, outRoutes);
  out.set(TypeUrl.VirtualHost, virtualHosts);
  return out;
}

/** The first string field with `tag`, if any. */
function fieldString(buf: Uint8Array, tag: number): string | undefined {
  let out: string | undefined;
  forEachField(buf, (t, _start, valueStart, end) => {
    if (out === undefined && t === tag) out = Buffer.from(buf.subarray(valueStart, end)).toString("utf8");
  });
  return out;
}

/** A virtual host's bytes with its name replaced. */
function renamed(buf: Uint8Array, name: string): Buffer {
  const parts: Uint8Array[] = [field(VH_NAME_TAG, Buffer.from(name, "utf8"))];
  forEachField(buf, (tag, start, _valueStart, end) => {
    if (tag !== VH_NAME_TAG) parts.push(buf.subarray(start, end));
  });
  return concat(parts);
}
