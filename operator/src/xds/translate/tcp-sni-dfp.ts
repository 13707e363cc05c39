/**
 * A TLSRoute to a DynamicResolver Backend on a passthrough listener, as Envoy Gateway builds it: the SNI dynamic
 * forward proxy (`envoy.filters.network.sni_dynamic_forward_proxy`) resolves the ClientHello's SNI with the DNS cache
 * of the route's dynamic forward proxy cluster and connects to port 443 there; a network RBAC before it closes
 * connections whose SNI is a loopback name or address (the same list as the HTTP dynamic forward proxy's guard).
 */
import type { Filter } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import { rbacProto } from "./rbac-matcher";
import type { RBAC as NetworkRbac } from "../../../../proto/gen/envoy/extensions/filters/network/rbac/v3/rbac";
import type { FilterConfig } from "../../../../proto/gen/envoy/extensions/filters/network/sni_dynamic_forward_proxy/v3/sni_dynamic_forward_proxy";
import { packPartial, registerLazyType } from "../../../../proto/any";
import type { ClusterIr, TcpChainIr } from "../../ir/xds-ir";
import { dynamicDnsCacheConfig } from "./cluster-dfp";
import { LOOPBACK } from "./filters/dfp-loopback-deny";

/** The SNI dynamic forward proxy's config, registered for Any packing. */
const SniDfpType = registerLazyType<FilterConfig>(
  "envoy/extensions/filters/network/sni_dynamic_forward_proxy/v3/sni_dynamic_forward_proxy",
  "FilterConfig",
);
/** Network RBAC, registered for Any packing. */
export const NetworkRbacType = registerLazyType<NetworkRbac>("envoy/extensions/filters/network/rbac/v3/rbac", "RBAC");

/** Envoy Gateway's upstream port: an SNI names a host, not a port. */
const SNI_UPSTREAM_PORT = 443;

/** The dynamic forward proxy cluster a passthrough chain sends every connection to, if it does. */
export function sniDynamicCluster(c: TcpChainIr, clusters: ReadonlyMap<string, ClusterIr>): ClusterIr | undefined {
  if (c.tls || c.destinations.length !== 1) return undefined;
  const cluster = clusters.get(c.destinations[0]?.cluster ?? "");
  return cluster?.discovery === "dynamic" ? cluster : undefined;
}

/** The loopback SNI guard and the SNI dynamic forward proxy, in that order, before the chain's tcp_proxy. */
export function sniDynamicFilters(cluster: ClusterIr, statPrefix: string): Filter[] {
  const regex = `(?i)^(${LOOPBACK.join("|")})\\.?$`;
  const rbac = packPartial(NetworkRbacType, {
    statPrefix,
    rules: {
      action: rbacProto().RBAC_Action.DENY,
      policies: {
        "deny-loopback-sni": {
          permissions: [{ requestedServerName: { safeRegex: { regex } } }],
          principals: [{ any: true }],
        },
      },
    },
  });
  const dfp = packPartial(SniDfpType, {
    dnsCacheConfig: dynamicDnsCacheConfig(cluster),
    portValue: SNI_UPSTREAM_PORT,
  });
  return [
    { name: "envoy.filters.network.rbac", typedConfig: rbac } as Filter,
    { name: "envoy.filters.network.sni_dynamic_forward_proxy", typedConfig: dfp } as Filter,
  ];
}
