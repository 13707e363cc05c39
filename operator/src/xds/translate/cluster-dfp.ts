/**
 * The cluster of a Backend of type DynamicResolver: Envoy's dynamic forward proxy cluster
 * (`envoy.clusters.dynamic_forward_proxy`), whose DNS cache resolves each request's Host, with the
 * cluster-provided load balancer, as Envoy Gateway builds it. The cache is named after its settings
 * (`envoy-gateway-dfp-cache-<family>-<refresh>ms-default`), so clusters with the same settings share it.
 */
import { Cluster_DnsLookupFamily } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { ClusterConfig } from "../../../../proto/gen/envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster";
import type * as DnsCache from "../../../../proto/gen/envoy/extensions/common/dynamic_forward_proxy/v3/dns_cache";
import type { DnsCacheConfig } from "../../../../proto/gen/envoy/extensions/common/dynamic_forward_proxy/v3/dns_cache";
import type { ClusterProvided } from "../../../../proto/gen/envoy/extensions/load_balancing_policies/cluster_provided/v3/cluster_provided";
import type { CaresDnsResolverConfig } from "../../../../proto/gen/envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver";
import { pack, packPartial, registerLazyType } from "../../../../proto/any";
import { protoModule } from "../../../../proto/lazy";
import type { ClusterIr } from "../../ir/xds-ir";
import { dnsFields } from "./cluster-policy-conn";

/** ClusterConfig of the dynamic forward proxy cluster, registered for Any packing. */
export const DfpClusterConfigType = registerLazyType<ClusterConfig>(
  "envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster",
  "ClusterConfig",
);
/** The cluster-provided load balancing policy, registered for Any packing. */
export const ClusterProvidedType = registerLazyType<ClusterProvided>(
  "envoy/extensions/load_balancing_policies/cluster_provided/v3/cluster_provided",
  "ClusterProvided",
);
/** The c-ares DNS resolver config, registered for Any packing. */
export const CaresDnsResolverType = registerLazyType<CaresDnsResolverConfig>(
  "envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver",
  "CaresDnsResolverConfig",
);

/** The DNS cache config's module, on first use. */
const dnsCacheProto = protoModule<typeof DnsCache>("envoy/extensions/common/dynamic_forward_proxy/v3/dns_cache");

/** Envoy Gateway's DNS refresh rate of a dynamic forward proxy cache. */
const DEFAULT_REFRESH_MS = 30_000;

/**
 * The DNS cache of a dynamic forward proxy cluster; the SNI dynamic forward proxy filter of a TLSRoute to it
 * (xds/translate/tcp-sni-dfp.ts) must name the same cache with the same settings.
 */
export function dynamicDnsCacheConfig(ir: ClusterIr): DnsCacheConfig {
  const family = dnsFamily(ir);
  const refreshMs = ir.policy?.dns?.refreshRateMs ?? DEFAULT_REFRESH_MS;
  const resolvers = ir.dynamicResolver?.resolvers ?? [];
  const familyName = lookupFamilyName(family);
  return dnsCacheProto().DnsCacheConfig.fromPartial({
    name: `envoy-gateway-dfp-cache-${familyName}-${refreshMs}ms-default${resolvers.length > 0 ? `-${resolvers.join("-")}` : ""}`,
    dnsLookupFamily: family,
    dnsRefreshRate: { seconds: Math.floor(refreshMs / 1000), nanos: (refreshMs % 1000) * 1_000_000 },
    ...(resolvers.length > 0 ? { typedDnsResolverConfig: caresResolver(resolvers) } : {}),
  });
}

function dnsFamily(ir: ClusterIr): Cluster_DnsLookupFamily {
  const dns = ir.policy?.dns ? dnsFields(ir.policy.dns) : {};
  return dns.dnsLookupFamily ?? Cluster_DnsLookupFamily.V4_PREFERRED;
}

/** The fields of a dynamic forward proxy cluster (no endpoints, no EDS). */
export function dynamicClusterFields(ir: ClusterIr): Partial<Cluster> {
  const family = dnsFamily(ir);
  const dnsCacheConfig = dynamicDnsCacheConfig(ir);
  return {
    clusterType: {
      name: "envoy.clusters.dynamic_forward_proxy",
      typedConfig: packPartial(DfpClusterConfigType, { dnsCacheConfig }),
    },
    dnsLookupFamily: family,
    loadBalancingPolicy: {
      policies: [
        {
          typedExtensionConfig: {
            name: "envoy.load_balancing_policies.cluster_provided",
            typedConfig: packPartial(ClusterProvidedType, {}),
          },
        },
      ],
    },
  };
}

/** Envoy Gateway's lower-case family name in the cache name, e.g. `v4_preferred`. */
function lookupFamilyName(family: Cluster_DnsLookupFamily): string {
  const names: Partial<Record<Cluster_DnsLookupFamily, string>> = {
    [Cluster_DnsLookupFamily.AUTO]: "auto",
    [Cluster_DnsLookupFamily.V4_ONLY]: "v4_only",
    [Cluster_DnsLookupFamily.V6_ONLY]: "v6_only",
    [Cluster_DnsLookupFamily.V4_PREFERRED]: "v4_preferred",
    [Cluster_DnsLookupFamily.ALL]: "all",
  };
  return names[family] ?? "v4_preferred";
}

/** The c-ares resolver asking only `resolvers` (`ip:port`), without the host's search domains. */
function caresResolver(resolvers: readonly string[]): { name: string; typedConfig: ReturnType<typeof pack> } {
  const config = packPartial(CaresDnsResolverType, {
    resolvers: resolvers.map((r) => {
      const at = r.lastIndexOf(":");
      const address = r.slice(0, at).replace(/^\[|\]$/g, "");
      return { socketAddress: { address, portValue: Number(r.slice(at + 1)) } };
    }),
    dnsResolverOptions: { noDefaultSearchDomain: true },
  });
  return { name: "envoy.network.dns_resolver.cares", typedConfig: config };
}
