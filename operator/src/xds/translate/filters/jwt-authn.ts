/**
 * envoy.filters.http.jwt_authn (rank 10), placement `shared`, fed by SecurityPolicy `jwt` (RouteIr.security.jwt).
 *
 * As Envoy Gateway: one JwtAuthentication on the HCM holding every provider of the listener's routes (providers
 * are named after their content, so identical ones of different policies are one entry) and one
 * `requirement_map` entry per distinct requirement (a provider, or `requires_any` of several, plus
 * `allow_missing` for `optional` and `allow_missing_or_failed` for `failOpen`); a route selects its requirement
 * with PerRouteConfig{requirement_name}. The filter has no `rules`, so a route without a PerRouteConfig is not
 * checked at all. Each provider puts the token's payload into the dynamic metadata `envoy.filters.http.jwt_authn`
 * under the provider's name in the policy, with `scope` and `scp` split into lists (what authorization rules on
 * claims read), and forwards the token upstream.
 *
 * A remote key set is fetched through its cluster with async_fetch: Envoy fetches when the listener is created
 * (the listener waits for the first fetch to end, fast_listener false) and again after `cache_duration`, or after
 * `failed_refetch_duration` when a fetch failed; requests get 401 while no keys are known (fail closed).
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { RetryPolicy } from "../../../../../proto/gen/envoy/config/core/v3/base";
import {
  type JwtProvider,
  type JwtRequirement,
} from "../../../../../proto/gen/envoy/extensions/filters/http/jwt_authn/v3/config";
import type {
  JwtAuthentication,
  PerRouteConfig,
} from "../../../../../proto/gen/envoy/extensions/filters/http/jwt_authn/v3/config";
import { registerLazyType } from "../../../../../proto/any";
import type { JwtIr, JwtProviderIr } from "../../../ir/security-ir";
import type { HttpListenerIr, RetryIr } from "../../../ir/xds-ir";
import { duration } from "../route-filters";
import { type HttpFilterDef, packPartial } from "./registry";

/** JwtAuthentication, registered for Any packing. */
export const JwtAuthnType = registerLazyType<JwtAuthentication>(
  "envoy/extensions/filters/http/jwt_authn/v3/config",
  "JwtAuthentication",
);
/** PerRouteConfig, registered for Any packing. */
export const JwtAuthnPerRouteType = registerLazyType<PerRouteConfig>(
  "envoy/extensions/filters/http/jwt_authn/v3/config",
  "PerRouteConfig",
);

/** The filter's name (also the typed_per_filter_config key and the dynamic metadata namespace). */
export const JWT_AUTHN_FILTER = "envoy.filters.http.jwt_authn";

/** Claims whose space-delimited value is split into a list in the metadata (Envoy Gateway's choice). */
const SPACE_DELIMITED_CLAIMS = ["scope", "scp"];

/** Envoy Gateway's retry_on for calls to a policy's services when the retry names no trigger. */
const DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

/** A route's requirement: one provider, or any of several, each possibly with a tolerance. */
function requirement(jwt: JwtIr): JwtRequirement {
  const reqs: JwtRequirement[] = jwt.providers.map((p) => ({ providerName: p.name }) as JwtRequirement);
  if (jwt.allow === "missingOrFailed") reqs.push({ allowMissingOrFailed: {} } as JwtRequirement);
  else if (jwt.allow === "missing") reqs.push({ allowMissing: {} } as JwtRequirement);
  return reqs.length === 1 ? reqs[0] : ({ requiresAny: { requirements: reqs } } as JwtRequirement);
}

/** Envoy's JwtProvider for one provider of the IR. */
function provider(p: JwtProviderIr): Partial<JwtProvider> {
  const e = p.extract;
  return {
    issuer: p.issuer ?? "",
    audiences: [...p.audiences],
    payloadInMetadata: p.metadataKey,
    normalizePayloadInMetadata: { spaceDelimitedClaims: SPACE_DELIMITED_CLAIMS },
    claimToHeaders: p.claimToHeaders.map((c) => ({ headerName: c.header, claimName: c.claim })),
    forward: true,
    clearRouteCache: p.recomputeRoute ?? false,
    ...(e
      ? {
          fromHeaders: e.headers.map((h) => ({ name: h.name, valuePrefix: h.valuePrefix ?? "" })),
          fromCookies: [...e.cookies],
          fromParams: [...e.params],
        }
      : {}),
    ...("local" in p.jwks ? { localJwks: { inlineString: p.jwks.local } } : { remoteJwks: remote(p.jwks.remote) }),
  };
}

function remote(r: Extract<JwtProviderIr["jwks"], { remote: unknown }>["remote"]): object {
  return {
    httpUri: { uri: r.uri, cluster: r.cluster, timeout: duration(r.timeoutMs) },
    ...(r.cacheDurationMs !== undefined ? { cacheDuration: duration(r.cacheDurationMs) } : {}),
    asyncFetch: r.failedRefetchMs !== undefined ? { failedRefetchDuration: duration(r.failedRefetchMs) } : {},
    ...(r.retry ? { retryPolicy: coreRetryPolicy(r.retry) } : {}),
  };
}

/** A retry of a call a filter makes itself (config.core.v3.RetryPolicy: conditions, attempts, back-off). */
export function coreRetryPolicy(retry: RetryIr): Partial<RetryPolicy> {
  return {
    retryOn: retry.policy?.retryOn.join(",") ?? DEFAULT_RETRY_ON,
    numRetries: retry.attempts,
    ...(retry.backoffMs !== undefined
      ? {
          retryBackOff: {
            baseInterval: duration(retry.backoffMs),
            ...(retry.policy?.maxBackoffMs !== undefined ? { maxInterval: duration(retry.policy.maxBackoffMs) } : {}),
          },
        }
      : {}),
  };
}

/** The listener's JwtAuthentication (its providers and requirements), or undefined when no route has JWT. */
function authentication(listener: HttpListenerIr): object | undefined {
  const providers: Record<string, Partial<JwtProvider>> = {};
  const requirementMap: Record<string, JwtRequirement> = {};
  for (const v of listener.virtualHosts) {
    for (const r of v.routes) {
      const jwt = r.security?.jwt;
      if (!jwt || jwt.providers.length === 0) continue;
      for (const p of jwt.providers) providers[p.name] ??= provider(p);
      requirementMap[jwt.requirement] ??= requirement(jwt);
    }
  }
  return Object.keys(providers).length > 0 ? { providers, requirementMap } : undefined;
}

/** The jwt_authn filter's registry entry. */
export const jwtAuthn: HttpFilterDef = {
  name: JWT_AUTHN_FILTER,
  rank: 10,
  configType: JwtAuthnType.name,
  perRouteType: JwtAuthnPerRouteType.name,
  placement: "shared",
  hcmFilters: (listener) => {
    const config = authentication(listener);
    return config ? [{ name: JWT_AUTHN_FILTER, typedConfig: packPartial(JwtAuthnType, config) } as HttpFilter] : [];
  },
  perRouteConfig: (r) => {
    const jwt = r.security?.jwt;
    if (!jwt || jwt.providers.length === 0) return undefined;
    return { [JWT_AUTHN_FILTER]: packPartial(JwtAuthnPerRouteType, { requirementName: jwt.requirement }) };
  },
  sampleConfig: () => packPartial(JwtAuthnType, {}),
};
