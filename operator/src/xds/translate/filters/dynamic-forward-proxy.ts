/**
 * envoy.filters.http.dynamic_forward_proxy (rank 309), placement `disabled`. Not fed by any IR yet: the policy
 * kind that needs it adds `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (Backend of type DynamicResolver that rewrites the host): one filter per DNS cache,
 * `envoy.filters.http.dynamic_forward_proxy.<cache name>`, holding the cache config its cluster shares,
 * `disabled: true`; a route turns it on with its PerRouteConfig (host rewrite from a header or a literal). Envoy
 * Gateway also adds an empty RBAC, `envoy.filters.http.rbac.dfp_loopback_deny` (ranked as rbac), whose
 * RBACPerRoute on dynamic-resolver routes denies loopback hosts.
 */
import type {
  FilterConfig,
  PerRouteConfig,
} from "../../../../../proto/gen/envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy";
import { registerLazyType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** FilterConfig, registered for Any packing. */
export const DynamicForwardProxyType = registerLazyType<FilterConfig>(
  "envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy",
  "FilterConfig",
);
/** PerRouteConfig, registered for Any packing. */
export const DynamicForwardProxyPerRouteType = registerLazyType<PerRouteConfig>(
  "envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy",
  "PerRouteConfig",
);

/** The dynamic_forward_proxy filter's registry entry. */
export const dynamicForwardProxy: HttpFilterDef = {
  name: "envoy.filters.http.dynamic_forward_proxy",
  rank: 309,
  configType: DynamicForwardProxyType.name,
  perRouteType: DynamicForwardProxyPerRouteType.name,
  placement: "disabled",
  sampleConfig: () =>
    packPartial(DynamicForwardProxyType, { dnsCacheConfig: { name: "egts-sample-dns-cache", dnsLookupFamily: 1 } }),
};
