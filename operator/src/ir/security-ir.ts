/**
 * The SecurityPolicy part of the xDS IR (issue 15): what a route's effective SecurityPolicy asks of Envoy, one
 * optional group per feature (CORS, CSRF, basic auth, API key auth, JWT, OIDC, ext auth, authorization). A route
 * under a SecurityPolicy that cannot be applied carries none of it: its action is a direct 500 instead (fail
 * closed). The TCP side uses {@link AuthorizationIr} only (client CIDRs).
 */
import type { CorsIr, RetryIr } from "./xds-ir";

/** A string match (exact, prefix, suffix, contains or RE2), as Envoy's StringMatcher. */
export interface SecurityStringMatchIr {
  /** How `value` is compared. */
  readonly type: "Exact" | "Prefix" | "Suffix" | "Contains" | "RegularExpression";
  /** Value or pattern. */
  readonly value: string;
  /** Compare case-insensitively (not for RegularExpression). @default false */
  readonly ignoreCase?: boolean;
}

/** A header that must be present, with a value match when `value` is set. */
export interface SecurityHeaderMatchIr {
  /** Header name. */
  readonly name: string;
  /** Value match; absent: the header's presence is enough. */
  readonly value?: SecurityStringMatchIr;
}

/** A fraction of requests, as Envoy's FractionalPercent with a HUNDRED denominator (percent, may be fractional). */
export interface PercentIr {
  /** Numerator over `denominator`. */
  readonly numerator: number;
  /** Envoy's FractionalPercent denominator. */
  readonly denominator: "HUNDRED" | "TEN_THOUSAND" | "MILLION";
}

/** CSRF origin checks (filter envoy.filters.http.csrf). */
export interface CsrfIr {
  /** Share of requests enforced (rejected when the origin does not match). */
  readonly enforced: PercentIr;
  /** Share of requests checked and counted without being rejected; absent: none. */
  readonly shadow?: PercentIr;
  /** Origins (host[:port], scheme stripped) accepted besides the request's own host. */
  readonly additionalOrigins: readonly SecurityStringMatchIr[];
}

/** HTTP basic authentication (filter envoy.filters.http.basic_auth, one instance per policy). */
export interface BasicAuthIr {
  /** Instance name suffix: `securitypolicy/<ns>/<name>` of the policy owning the field. */
  readonly name: string;
  /** The htpasswd lines (`user:{SHA}base64`), LF-separated, validated. */
  readonly users: string;
  /** Header carrying the authenticated user name upstream; absent: none. */
  readonly forwardUsernameHeader?: string;
}

/** Where an API key is read from. */
export type ApiKeySourceIr = { readonly header: string } | { readonly query: string } | { readonly cookie: string };

/** API key authentication (filter envoy.filters.http.api_key_auth). */
export interface ApiKeyAuthIr {
  /** Valid keys and the client each one identifies, sorted by client. */
  readonly credentials: readonly { readonly client: string; readonly key: string }[];
  /** Sources in the order they are tried. */
  readonly sources: readonly ApiKeySourceIr[];
  /** Header carrying the client ID upstream; absent: none. */
  readonly forwardClientIdHeader?: string;
  /** Remove the key from the request before it goes upstream. */
  readonly hideCredentials: boolean;
}

/** Where a JWT is read from; absent in {@link JwtProviderIr}: Envoy's default (Authorization Bearer, access_token). */
export interface JwtExtractIr {
  /** Headers, with an optional value prefix (e.g. `Bearer `). */
  readonly headers: readonly { readonly name: string; readonly valuePrefix?: string }[];
  /** Cookie names. */
  readonly cookies: readonly string[];
  /** Query parameter names. */
  readonly params: readonly string[];
}

/** One JWT provider. */
export interface JwtProviderIr {
  /** Provider name (content-derived, unique per distinct config). */
  readonly name: string;
  /** The provider's name in the policy (dynamic metadata key authorization rules read). */
  readonly metadataKey: string;
  /** Required issuer; absent: any. */
  readonly issuer?: string;
  /** Accepted audiences; empty: any. */
  readonly audiences: readonly string[];
  /** Claims copied to request headers. */
  readonly claimToHeaders: readonly { readonly header: string; readonly claim: string }[];
  /** Clear the route cache after claims are copied (routing may depend on them). */
  readonly recomputeRoute?: boolean;
  /** Token sources; absent: Envoy's default. */
  readonly extract?: JwtExtractIr;
  /** The key set: inline, or fetched from a URI through a cluster. */
  readonly jwks:
    | { readonly local: string }
    | {
        readonly remote: {
          readonly uri: string;
          readonly cluster: string;
          readonly timeoutMs: number;
          readonly cacheDurationMs?: number;
          readonly failedRefetchMs?: number;
          readonly retry?: RetryIr;
        };
      };
}

/** JWT authentication (filter envoy.filters.http.jwt_authn). */
export interface JwtIr {
  /**
   * Name of the route's requirement: the providers' policy names (and `missing` / `missing-or-failed`) joined by
   * `-or-`, then a hash of the requirement, so identical requirements share one `requirement_map` entry.
   */
  readonly requirement: string;
  /** Providers; a token valid for any of them passes. */
  readonly providers: readonly JwtProviderIr[];
  /** What is let through without a valid token: missing tokens (optional), or missing and failed (failOpen). */
  readonly allow?: "missing" | "missingOrFailed";
}

/** OpenID Connect login (filter envoy.filters.http.oauth2, one instance per policy). */
export interface OidcIr {
  /** Instance name suffix: `securitypolicy/<ns>/<name>`. */
  readonly name: string;
  /** OAuth client ID. */
  readonly clientId: string;
  /** SDS name of the client secret (a generic secret). */
  readonly clientSecretSds: string;
  /** SDS name of the HMAC secret (a generic secret). */
  readonly hmacSds: string;
  /** Token endpoint URL. */
  readonly tokenEndpoint: string;
  /** Cluster the token endpoint is called through. */
  readonly tokenCluster: string;
  /** Token request timeout. */
  readonly timeoutMs: number;
  /** Authorization endpoint URL. */
  readonly authorizationEndpoint: string;
  /** End session endpoint URL (hand-encoded field); absent: none. */
  readonly endSessionEndpoint?: string;
  /** Redirect URI (may hold Envoy %REQ()% formatters). */
  readonly redirectUri: string;
  /** Path part of the redirect URI (the callback route). */
  readonly redirectPath: string;
  /** Sign-out path. */
  readonly logoutPath: string;
  /** Scopes requested. */
  readonly scopes: readonly string[];
  /** Resource indicators requested. */
  readonly resources: readonly string[];
  /** Forward the access token upstream as Authorization Bearer. */
  readonly forwardAccessToken: boolean;
  /**
   * Upstream request header that carries the ID token (`forwardIDToken.header`; `Bearer `-prefixed when it is
   * Authorization); absent: the ID token is not forwarded.
   */
  readonly forwardIdTokenHeader?: string;
  /** Use refresh tokens. */
  readonly refreshToken: boolean;
  /** Cookie names: bearer, id token, HMAC, expires, refresh token, nonce, code verifier. */
  readonly cookieNames: {
    readonly bearerToken: string;
    readonly idToken: string;
    readonly oauthHmac: string;
    readonly oauthExpires: string;
    readonly refreshToken: string;
    readonly oauthNonce: string;
    readonly codeVerifier: string;
  };
  /** Cookie domain; absent: the request host. */
  readonly cookieDomain?: string;
  /** SameSite of every cookie; absent: Envoy's default. */
  readonly sameSite?: "Lax" | "Strict" | "None";
  /** Token lifetime when the provider gives none, in seconds. */
  readonly defaultTokenTtlS?: number;
  /** Refresh token lifetime when the provider gives none, in seconds. */
  readonly defaultRefreshTtlS?: number;
  /** CSRF token lifetime in seconds (hand-encoded field). */
  readonly csrfTtlS?: number;
  /** Do not encrypt the token cookies (hand-encoded field). */
  readonly disableEncryption: boolean;
  /** Requests matching one of these pass without login (JWT pass-through). */
  readonly passThrough: readonly SecurityHeaderMatchIr[];
  /** Requests matching one of these get 401 instead of a redirect. */
  readonly denyRedirect: readonly SecurityHeaderMatchIr[];
  /** Retry of the token request; absent: none. */
  readonly retry?: RetryIr;
}

/** External authorization (filter envoy.filters.http.ext_authz, one instance per policy). */
export interface ExtAuthIr {
  /** Instance name suffix: `securitypolicy/<ns>/<name>`. */
  readonly name: string;
  /** The service: gRPC (cluster, authority) or HTTP (cluster, URI, path prefix, headers copied upstream). */
  readonly service:
    | { readonly grpc: { readonly cluster: string; readonly authority: string } }
    | {
        readonly http: {
          readonly cluster: string;
          readonly uri: string;
          readonly pathPrefix?: string;
          readonly headersToBackend: readonly string[];
        };
      };
  /** Call timeout. */
  readonly timeoutMs: number;
  /** Let requests through when the service fails. */
  readonly failOpen: boolean;
  /** Clear the route cache after the check. */
  readonly recomputeRoute: boolean;
  /** Send the route's Envoy Gateway metadata (namespace `envoy-gateway`: the route resource) with each check. */
  readonly includeRouteMetadata?: boolean;
  /** Request headers sent to the service (exact, case-insensitive); empty: Envoy's default. */
  readonly allowedHeaders: readonly string[];
  /** Buffer and send the request body up to this many bytes; absent: no body. */
  readonly bodyMaxBytes?: number;
  /** Status answered when the service fails; absent: 403. */
  readonly statusOnError?: number;
  /** Context extensions sent with every check from this route. */
  readonly contextExtensions: Readonly<Record<string, string>>;
  /** Retry of the check; absent: none. */
  readonly retry?: RetryIr;
}

/** One authorization rule: every set condition must hold (ANDed); values inside one condition are ORed. */
export interface AuthorizationRuleIr {
  /** Rule name (stat and action name). */
  readonly name: string;
  /** What a match does. */
  readonly action: "Allow" | "Deny";
  /** HTTP methods; absent: any. */
  readonly methods?: readonly string[];
  /** Path condition; absent: any. */
  readonly path?: {
    readonly type: "Exact" | "PathPrefix" | "RegularExpression";
    readonly value: string;
    readonly invert: boolean;
  };
  /** Client address ranges (CIDR); absent: any. */
  readonly cidrs?: readonly string[];
  /** JWT claims and scopes read from jwt_authn metadata of `provider`; absent: none. */
  readonly jwt?: {
    readonly provider: string;
    readonly claims: readonly {
      readonly name: string;
      readonly valueType: "String" | "StringArray";
      readonly values: readonly string[];
    }[];
    readonly scopes: readonly string[];
  };
  /** Request header conditions (exact values); absent: none. */
  readonly headers?: readonly { readonly name: string; readonly values: readonly string[] }[];
  /** A CEL expression on the request's attributes, as written (valid CEL syntax); absent: none. */
  readonly cel?: string;
  /** Geolocations of the client address (the geoip filter's lookup); any one matches; absent: none. */
  readonly geo?: readonly GeoLocationIr[];
}

/** One geolocation condition: every set field must match (as the geoip filter writes it). */
export interface GeoLocationIr {
  /** ISO 3166-1 country code (case-insensitive). */
  readonly country?: string;
  /** ISO 3166-2 subdivision code (case-insensitive). */
  readonly region?: string;
  /** City name (case-insensitive). */
  readonly city?: string;
  /** Autonomous system number. */
  readonly asn?: number;
  /** Internet service provider (case-insensitive). */
  readonly isp?: string;
  /** Anonymity flags; each set one must equal the database's. */
  readonly anonymous?: {
    readonly isAnonymous?: boolean;
    readonly isVPN?: boolean;
    readonly isHosting?: boolean;
    readonly isTor?: boolean;
    readonly isProxy?: boolean;
  };
}

/** Authorization (HTTP: filter envoy.filters.http.rbac; TCP: network RBAC): the first matching rule decides. */
export interface AuthorizationIr {
  /** What happens when no rule matches. */
  readonly defaultAction: "Allow" | "Deny";
  /** Rules in order. */
  readonly rules: readonly AuthorizationRuleIr[];
}

/** What the effective SecurityPolicy of a route asks of Envoy. */
export interface RouteSecurityIr {
  /** `namespace/name` of the policy (`a+b` when a route policy is merged onto its parent's). */
  readonly policy: string;
  /** CORS policy (wins over none; an HTTPRoute CORS filter wins over it). */
  readonly cors?: CorsIr;
  /** CSRF checks. */
  readonly csrf?: CsrfIr;
  /** Basic authentication. */
  readonly basicAuth?: BasicAuthIr;
  /** API key authentication. */
  readonly apiKeyAuth?: ApiKeyAuthIr;
  /** JWT authentication. */
  readonly jwt?: JwtIr;
  /** OIDC login. */
  readonly oidc?: OidcIr;
  /** External authorization. */
  readonly extAuth?: ExtAuthIr;
  /** Allow/deny rules. */
  readonly authorization?: AuthorizationIr;
}
