/**
 * envoy.filters.http.dynamic_forward_proxy (rank 309), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (Backend of type DynamicResolver): one FilterConfig on the HCM naming the DNS cache its dynamic
 * forward proxy cluster shares; PerRouteConfig can rewrite the host per route.
 */
import {
  FilterConfig,
  PerRouteConfig,
} from "../../../../../proto/gen/envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig`, registered for Any packing. */
export const DynamicForwardProxyType = registerType(
  "envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig",
  FilterConfig,
);
/** `envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig`, registered for Any packing. */
export const DynamicForwardProxyPerRouteType = registerType(
  "envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig",
  PerRouteConfig,
);

/** The dynamic_forward_proxy filter's registry entry. */
export const dynamicForwardProxy: HttpFilterDef = {
  name: "envoy.filters.http.dynamic_forward_proxy",
  rank: 309,
  configType: DynamicForwardProxyType.name,
  perRouteType: DynamicForwardProxyPerRouteType.name,
  placement: "shared",
  sampleConfig: () =>
    packPartial(DynamicForwardProxyType, { dnsCacheConfig: { name: "egts-sample-dns-cache", dnsLookupFamily: 1 } }),
};
