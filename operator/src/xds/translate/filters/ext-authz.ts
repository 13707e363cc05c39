/**
 * envoy.filters.http.ext_authz (rank 6), placement `disabled`, fed by SecurityPolicy `extAuth`
 * (RouteIr.security.extAuth).
 *
 * As Envoy Gateway: one filter per policy, `envoy.filters.http.ext_authz/securitypolicy/<ns>/<name>`,
 * `disabled: true`, holding the service (HTTP: `server_uri` on the policy's cluster, `path_prefix`, the answer's
 * headers copied upstream; gRPC: `envoy_grpc` cluster and authority), the timeout, `failure_mode_allow`,
 * `with_request_body`, `status_on_error`, `clear_route_cache`, the headers sent and
 * the check's retry (`backendSettings.retry`, on the gRPC or the HTTP service).
 * Each route turns it on with ExtAuthzPerRoute carrying the policy's context extensions.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type {
  ExtAuthz,
  ExtAuthzPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz";
import { registerLazyType } from "../../../../../proto/any";
import { remoteRetryPolicy } from "../ext-authz-fields";
import type { ExtAuthIr } from "../../../ir/security-ir";
import { duration } from "../route-filters";
import { namedInstances, type HttpFilterDef, packPartial, sampleGrpcService } from "./registry";

/** ExtAuthz, registered for Any packing. */
export const ExtAuthzType = registerLazyType<ExtAuthz>(
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz",
  "ExtAuthz",
);
/** ExtAuthzPerRoute, registered for Any packing. */
export const ExtAuthzPerRouteType = registerLazyType<ExtAuthzPerRoute>(
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz",
  "ExtAuthzPerRoute",
);

const NAME = "envoy.filters.http.ext_authz";

/** Envoy's ApiVersion V3. */
const V3 = 2;

/** Header names → an exact, case-insensitive ListStringMatcher. */
function headerList(names: readonly string[]): object {
  return { patterns: names.map((exact) => ({ exact, ignoreCase: true })) };
}

/** An ext auth IR → the ExtAuthz message (as a fromPartial object). */
export function extAuthzConfig(e: ExtAuthIr): object {
  const timeout = duration(e.timeoutMs);
  const retry = e.retry ? { retryPolicy: remoteRetryPolicy(e.retry) } : {};
  const service =
    "grpc" in e.service
      ? {
          grpcService: {
            envoyGrpc: { clusterName: e.service.grpc.cluster, authority: e.service.grpc.authority },
            timeout,
            ...retry,
          },
        }
      : {
          httpService: {
            serverUri: { uri: e.service.http.uri, cluster: e.service.http.cluster, timeout },
            pathPrefix: e.service.http.pathPrefix ?? "",
            ...retry,
            ...(e.service.http.headersToBackend.length > 0
              ? { authorizationResponse: { allowedUpstreamHeaders: headerList(e.service.http.headersToBackend) } }
              : {}),
          },
        };
  return {
    ...service,
    transportApiVersion: V3,
    failureModeAllow: e.failOpen,
    clearRouteCache: e.recomputeRoute,
    ...(e.includeRouteMetadata ? { routeMetadataContextNamespaces: [ROUTE_METADATA_NAMESPACE] } : {}),
    ...(e.allowedHeaders.length > 0 ? { allowedHeaders: headerList(e.allowedHeaders) } : {}),
    ...(e.bodyMaxBytes !== undefined ? { withRequestBody: { maxRequestBytes: e.bodyMaxBytes } } : {}),
    ...(e.statusOnError !== undefined ? { statusOnError: { code: e.statusOnError } } : {}),
  };
}

/** Envoy Gateway's route metadata namespace (xds/translate/route.ts writes it). */
const ROUTE_METADATA_NAMESPACE = "envoy-gateway";

/** The ext_authz filter's registry entry. */
export const extAuthz: HttpFilterDef = {
  name: NAME,
  rank: 6,
  configType: ExtAuthzType.name,
  perRouteType: ExtAuthzPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, NAME, (r) => (r.security?.extAuth ? [r.security.extAuth] : []))].map(
      ([name, e]) =>
        ({ name, typedConfig: packPartial(ExtAuthzType, extAuthzConfig(e)), disabled: true }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const e = r.security?.extAuth;
    if (!e) return undefined;
    return {
      [`${NAME}/${e.name}`]: packPartial(ExtAuthzPerRouteType, {
        checkSettings: { contextExtensions: { ...e.contextExtensions } },
      }),
    };
  },
  sampleConfig: () => packPartial(ExtAuthzType, { grpcService: sampleGrpcService(), transportApiVersion: V3 }),
};
