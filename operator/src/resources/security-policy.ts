/**
 * SecurityPolicy spec (gateway.envoyproxy.io/v1alpha1): authentication, authorization, CORS and CSRF for the
 * traffic of its targets. Field names, enums, bounds and defaults follow Envoy Gateway v1.9's API reference.
 */
import type { BackendCluster } from "./backend-cluster";
import type { PolicyTargetReferences } from "./envoy-gateway-policies";
import type {
  Duration,
  Fraction,
  HTTPErrorStatus,
  HTTPMethod,
  LocalObjectReference,
  PathMatch,
  SecretObjectReference,
  StringMatch,
} from "./policy-common";

/** SecurityPolicy spec. */
export interface SecurityPolicySpec extends PolicyTargetReferences {
  /** Merge this route-level policy onto the policy of the route's parent: `StrategicMerge` or `JSONMerge`. @default no merge: the most specific policy wins */
  readonly mergeType?: string;
  /** API key authentication. */
  readonly apiKeyAuth?: APIKeyAuth;
  /** Cross-origin resource sharing. */
  readonly cors?: CORS;
  /** Cross-site request forgery protection: the Origin of mutating requests is checked. */
  readonly csrf?: CSRF;
  /** HTTP Basic authentication. */
  readonly basicAuth?: BasicAuth;
  /** JSON Web Token authentication. */
  readonly jwt?: JWT;
  /** OpenID Connect login. */
  readonly oidc?: OIDC;
  /** External authorization service. */
  readonly extAuth?: ExtAuth;
  /** Allow and deny rules. */
  readonly authorization?: Authorization;
}

/** API key authentication. */
export interface APIKeyAuth {
  /** Secrets holding the valid keys, one `clientID: key` entry each. */
  readonly credentialRefs: readonly SecretObjectReference[];
  /** Where the key is read from; the first source holding one wins. @minItems 1 */
  readonly extractFrom: readonly ExtractFrom[];
  /** Header that carries the client ID to the backend. */
  readonly forwardClientIDHeader?: string;
  /** Remove the key from the request before it goes upstream. */
  readonly sanitize?: boolean;
}

/** Places an API key is read from. */
export interface ExtractFrom {
  /** Header names. @minItems 1 */
  readonly headers?: readonly NonEmptyString[];
  /** Query parameter names. @minItems 1 */
  readonly params?: readonly NonEmptyString[];
  /** Cookie names. @minItems 1 */
  readonly cookies?: readonly NonEmptyString[];
}

/** A string that is not empty. @minLength 1 */
export type NonEmptyString = string;

/** A CORS origin: `*`, or `scheme://host[:port]` where the host may start with `*.`. @minLength 1 @maxLength 253 @pattern ^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)$ */
export type Origin = string;

/** An OAuth scope. @minLength 1 @maxLength 253 */
export type JWTScope = string;

/** An IPv4 or IPv6 address range in CIDR notation, e.g. `10.0.0.0/8`. @pattern ((25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\/([0-9]+))|((([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))\/([0-9]+)) */
export type CIDR = string;

/** Cross-origin resource sharing. */
export interface CORS {
  /** Origins allowed, e.g. `https://*.example.com`, or `*`. */
  readonly allowOrigins?: readonly Origin[];
  /** Methods allowed; `*` allows all. */
  readonly allowMethods?: readonly string[];
  /** Request headers allowed; `*` allows all. */
  readonly allowHeaders?: readonly string[];
  /** Response headers exposed to the page. */
  readonly exposeHeaders?: readonly string[];
  /** How long a preflight answer may be cached. */
  readonly maxAge?: Duration;
  /** Allow credentials (cookies, authorization headers). */
  readonly allowCredentials?: boolean;
}

/** CSRF protection. */
export interface CSRF {
  /** Share of requests checked without being rejected (dry run). */
  readonly shadowFraction?: Fraction;
  /** Origins accepted besides the request's destination. @maxItems 16 */
  readonly additionalOrigins?: readonly Origin[];
}

/** HTTP Basic authentication. */
export interface BasicAuth {
  /** Secret with a `.htpasswd` key of `user:{SHA}hash` lines. */
  readonly users: SecretObjectReference;
  /** Header that carries the user name to the backend. */
  readonly forwardUsernameHeader?: string;
}

/** JWT authentication. */
export interface JWT {
  /** Let requests without a JWT through (an invalid JWT is still rejected). @default false */
  readonly optional?: boolean;
  /** Let requests with a missing or invalid JWT through. */
  readonly failOpen?: boolean;
  /** Issuers whose tokens are accepted. @minItems 1 @maxItems 16 */
  readonly providers: readonly JWTProvider[];
}

/** A JWT issuer. */
export interface JWTProvider {
  /** Unique name of the provider. @minLength 1 @maxLength 253 */
  readonly name: string;
  /** Required `iss` claim. @default any issuer @maxLength 253 */
  readonly issuer?: string;
  /** Accepted `aud` values. @default any audience @maxItems 8 */
  readonly audiences?: readonly string[];
  /** Keys fetched from a URI. */
  readonly remoteJWKS?: RemoteJWKS;
  /** Keys written inline or in a ConfigMap. */
  readonly localJWKS?: LocalJWKS;
  /** Copy claims into request headers. */
  readonly claimToHeaders?: readonly ClaimToHeader[];
  /** Choose the route again after the claim headers are added. */
  readonly recomputeRoute?: boolean;
  /** Where the token is read from. @default the Authorization header, Bearer scheme */
  readonly extractFrom?: JWTExtractor;
}

/** A JWKS fetched over HTTPS. */
export interface RemoteJWKS extends BackendCluster {
  /** HTTPS URI of the key set. @minLength 1 @maxLength 253 */
  readonly uri: string;
  /** How long fetched keys are kept. @default 300s */
  readonly cacheDuration?: Duration;
  /** Wait before fetching again after a failed fetch. */
  readonly failedRefetchDuration?: Duration;
}

/** A JWKS given locally. */
export interface LocalJWKS {
  /** Inline, or from a ConfigMap. @default Inline */
  readonly type: "Inline" | "ValueRef";
  /** The key set (type Inline). */
  readonly inline?: string;
  /** ConfigMap holding the key set (type ValueRef). */
  readonly valueRef?: LocalObjectReference;
}

/** A claim copied into a header. */
export interface ClaimToHeader {
  /** Header name. */
  readonly header: string;
  /** Claim name; nested claims with dots. */
  readonly claim: string;
}

/** Where a JWT is read from. */
export interface JWTExtractor {
  /** Headers. */
  readonly headers?: readonly JWTHeaderExtractor[];
  /** Cookies. */
  readonly cookies?: readonly string[];
  /** Query parameters. */
  readonly params?: readonly string[];
}

/** A header carrying a JWT. */
export interface JWTHeaderExtractor {
  /** Header name. */
  readonly name: string;
  /** Prefix before the token, e.g. `Bearer `. */
  readonly valuePrefix?: string;
}

/** OpenID Connect login. */
export interface OIDC {
  /** The identity provider. */
  readonly provider: OIDCProvider;
  /** Client ID (or clientIDRef). @minLength 1 */
  readonly clientID?: string;
  /** Secret holding the client ID in key `client-id`. */
  readonly clientIDRef?: SecretObjectReference;
  /** Secret holding the client secret in key `client-secret`. */
  readonly clientSecret: SecretObjectReference;
  /** Names of the token cookies. @default generated names */
  readonly cookieNames?: OIDCCookieNames;
  /** Attributes of the cookies. */
  readonly cookieConfig?: OIDCCookieConfig;
  /** Domain of the cookies. @default the request host @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
  readonly cookieDomain?: string;
  /** Scopes asked for; `openid` is always added. */
  readonly scopes?: readonly string[];
  /** Resource indicators asked for. */
  readonly resources?: readonly string[];
  /** Where the provider sends the user back. @default %REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback */
  readonly redirectURL?: string;
  /** Requests that get 401 instead of a redirect to the provider. */
  readonly denyRedirect?: OIDCDenyRedirect;
  /** Path that logs the user out. */
  readonly logoutPath?: string;
  /** Forward the access token to the backend as a Bearer token. */
  readonly forwardAccessToken?: boolean;
  /** Forward the ID token to the backend in a header. */
  readonly forwardIDToken?: OIDCTokenForwarding;
  /** Lifetime of tokens that carry no expiry. */
  readonly defaultTokenTTL?: Duration;
  /** Refresh the access token with the refresh token. @default true */
  readonly refreshToken?: boolean;
  /** Lifetime of refresh tokens that carry no expiry. */
  readonly defaultRefreshTokenTTL?: Duration;
  /** Lifetime of the CSRF token of the login flow. */
  readonly csrfTokenTTL?: Duration;
  /** Store the tokens in cookies unencrypted. */
  readonly disableTokenEncryption?: boolean;
  /** Skip the login when the request already carries a token for the JWT filter. */
  readonly passThroughAuthHeader?: boolean;
}

/** An OpenID Connect provider. */
export interface OIDCProvider extends BackendCluster {
  /** Issuer URL; its discovery document is read when endpoints are not given. @pattern ^https://[^/?#@]+(/[^?#]*)?$ */
  readonly issuer: string;
  /** Authorization endpoint. @default from discovery */
  readonly authorizationEndpoint?: string;
  /** Token endpoint. @default from discovery */
  readonly tokenEndpoint?: string;
  /** End-session endpoint, used on logout. */
  readonly endSessionEndpoint?: string;
}

/** Names of the token cookies. */
export interface OIDCCookieNames {
  /** Access token cookie. */
  readonly accessToken?: string;
  /** ID token cookie. */
  readonly idToken?: string;
}

/** Attributes of the token cookies. */
export interface OIDCCookieConfig {
  /** SameSite attribute. */
  readonly sameSite?: "Lax" | "Strict" | "None";
}

/** Requests answered with 401 instead of a redirect. */
export interface OIDCDenyRedirect {
  /** Header conditions; any one matches. @minItems 1 @maxItems 16 */
  readonly headers: readonly OIDCDenyRedirectHeader[];
}

/** A header condition. */
export interface OIDCDenyRedirectHeader extends StringMatch {
  /** Header name. @minLength 1 */
  readonly name: string;
}

/** Forwarding of the ID token. */
export interface OIDCTokenForwarding {
  /** Header name; `Authorization` gets the Bearer scheme. @minLength 1 @maxLength 256 @pattern ^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$ */
  readonly header: string;
}

/** External authorization. */
export interface ExtAuth {
  /** A gRPC authorization service (Envoy's ext_authz protocol); or http. */
  readonly grpc?: GRPCExtAuthService;
  /** An HTTP authorization service; or grpc. */
  readonly http?: HTTPExtAuthService;
  /** Request headers sent to the service. @default all (gRPC); Host, Method, Path, Content-Length and Authorization (HTTP) */
  readonly headersToExtAuth?: readonly string[];
  /** Send the request body too. */
  readonly bodyToExtAuth?: BodyToExtAuth;
  /** Time to wait for the service. @default 10s */
  readonly timeout?: Duration;
  /** Let requests through when the service cannot be reached. @default false */
  readonly failOpen?: boolean;
  /** Choose the route again after the service changed headers. */
  readonly recomputeRoute?: boolean;
  /** Send the route's metadata to the service. */
  readonly includeRouteMetadata?: boolean;
  /** Extra key-value context sent with each check. */
  readonly contextExtensions?: readonly ContextExtension[];
  /** Status returned when the service fails or cannot be reached. @default 403 */
  readonly statusOnError?: HTTPErrorStatus;
}

/** A gRPC authorization service. */
export type GRPCExtAuthService = BackendCluster;

/** An HTTP authorization service. */
export interface HTTPExtAuthService extends BackendCluster {
  /** Path prefix of the check requests. */
  readonly path?: string;
  /** Path of the check requests, replacing the request's. */
  readonly pathOverride?: string;
  /** Headers of the service's answer copied into the request. */
  readonly headersToBackend?: readonly string[];
}

/** Sending the body to the authorization service. */
export interface BodyToExtAuth {
  /** Most bytes buffered and sent. @minimum 1 */
  readonly maxRequestBytes: number;
}

/** How a context value is given. */
export type ContextExtensionValueType = "Value" | "ValueRef";

/** A context value sent to the authorization service. */
export interface ContextExtension {
  /** Key. */
  readonly name: string;
  /** Inline value, or from a ConfigMap or Secret key. @default Value */
  readonly type: ContextExtensionValueType;
  /** The value (type Value). */
  readonly value?: string;
  /** Where the value is (type ValueRef). */
  readonly valueRef?: LocalObjectKeyReference;
}

/** A key of a ConfigMap or Secret in the policy's namespace. */
export interface LocalObjectKeyReference extends LocalObjectReference {
  /** The key. */
  readonly key: string;
}

/** Allow or deny. */
export type AuthorizationAction = "Allow" | "Deny";

/** Authorization rules. */
export interface Authorization {
  /** Rules, in order; the first match decides. */
  readonly rules?: readonly AuthorizationRule[];
  /** Decision when no rule matches. @default Deny */
  readonly defaultAction?: AuthorizationAction;
}

/** An authorization rule: who, doing what, is allowed or denied. */
export interface AuthorizationRule {
  /** Name of the rule. @default generated @minLength 1 @maxLength 253 */
  readonly name?: string;
  /** Decision when the rule matches. */
  readonly action: AuthorizationAction;
  /** What is done. */
  readonly operation?: Operation;
  /** Who does it. */
  readonly principal?: Principal;
  /** A CEL expression that must be true too. @minLength 1 @maxLength 4096 */
  readonly cel?: string;
}

/** What a request does. */
export interface Operation {
  /** Methods; any one matches. @minItems 1 @maxItems 16 */
  readonly methods?: readonly HTTPMethod[];
  /** Path. */
  readonly path?: PathMatch;
}

/** Who sends a request; every set field must match. */
export interface Principal {
  /** Client address ranges (CIDRs); any one matches. @minItems 1 */
  readonly clientCIDRs?: readonly CIDR[];
  /** JWT claims and scopes. */
  readonly jwt?: JWTPrincipal;
  /** Request headers. @minItems 1 @maxItems 256 */
  readonly headers?: readonly AuthorizationHeaderMatch[];
  /** Geolocation of the client address; any one matches. @minItems 1 */
  readonly clientIPGeoLocations?: readonly ClientIPGeoLocation[];
}

/** JWT conditions of a principal. */
export interface JWTPrincipal {
  /** The JWT provider whose token is checked. @minLength 1 @maxLength 253 */
  readonly provider: string;
  /** Claims; all must match. @minItems 1 @maxItems 16 */
  readonly claims?: readonly JWTClaim[];
  /** Scopes; all must be granted. @minItems 1 @maxItems 16 */
  readonly scopes?: readonly JWTScope[];
}

/** A claim condition. */
export interface JWTClaim {
  /** Claim name; nested claims with dots. @minLength 1 @maxLength 253 */
  readonly name: string;
  /** Type of the claim's value. @default String */
  readonly valueType?: "String" | "StringArray";
  /** Values; any one matches. @minItems 1 @maxItems 128 */
  readonly values: readonly string[];
}

/** A header condition of a principal. */
export interface AuthorizationHeaderMatch {
  /** Header name. @minLength 1 @maxLength 256 */
  readonly name: string;
  /** Values; any one matches. @minItems 1 @maxItems 256 */
  readonly values: readonly string[];
}

/** A geolocation condition; every set field must match. */
export interface ClientIPGeoLocation {
  /** ISO 3166-1 country code. @minLength 2 @maxLength 2 @pattern ^[A-Za-z]{2}$ */
  readonly country?: string;
  /** ISO 3166-2 subdivision code. @minLength 1 @maxLength 16 @pattern ^[A-Za-z0-9-]+$ */
  readonly region?: string;
  /** City name. @minLength 1 @maxLength 128 */
  readonly city?: string;
  /** Autonomous system number. @minimum 1 */
  readonly asn?: number;
  /** Internet service provider. @minLength 1 @maxLength 256 */
  readonly isp?: string;
  /** Anonymity flags of the address. */
  readonly anonymous?: GeoIPAnonymousMatch;
}

/** Anonymity flags; every set flag must match. */
export interface GeoIPAnonymousMatch {
  /** Any kind of anonymous address. */
  readonly isAnonymous?: boolean;
  /** A VPN. */
  readonly isVPN?: boolean;
  /** A hosting provider. */
  readonly isHosting?: boolean;
  /** A Tor exit node. */
  readonly isTor?: boolean;
  /** A public proxy. */
  readonly isProxy?: boolean;
}
