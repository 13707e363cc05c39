/**
 * SecurityPolicy `oidc` → the route's OpenID Connect login (Envoy's oauth2 filter), as Envoy Gateway builds it,
 * with its messages.
 *
 * - The provider: the issuer must be an https URL with a host and no userinfo, query or fragment. The
 *   authorization and token endpoints are the explicit ones, else the issuer's discovery result (fetched outside
 *   the translator and passed in: pending or failed discovery fails the policy closed); an explicit end session
 *   endpoint wins over a discovered one. The token endpoint must be a DNS name. It is called through the
 *   provider's `backendRefs` (cluster `securitypolicy/<ns>/<name>/oidc/0`, TLS from a BackendTLSPolicy,
 *   `backendSettings`), else through a cluster derived from its URL.
 * - The client: `clientID` or the `client-id` key of `clientIDRef`; the secret from the `client-secret` key of
 *   `clientSecret`, served to Envoy over SDS (`oauth2/client_secret/<ir name>`), so a rotated Secret reaches
 *   Envoy without a listener change. The HMAC secret of the cookies (Secret `envoy-oidc-hmac`, key `hmac-secret`,
 *   in the controller namespace; standalone: its state folder) likewise (`oauth2/hmac_secret/<ir name>`).
 * - Defaults: redirect URL `%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback`, logout path
 *   `/logout`, `openid` added to the scopes, refresh tokens used, the access token not forwarded.
 * - Cookie names end with `-<FNV-32a hex of the owning policy's UID>` (`namespace/name` when it has none, as in
 *   standalone); `cookieNames` overrides the access and ID token cookies.
 * - `forwardIDToken`: the logged-in request's ID token goes upstream on `header` (`Bearer <token>` on
 *   Authorization, the raw token on any other header), as Envoy Gateway v1.9 asks of Envoy's
 *   `forward_id_token`; Envoy 1.37.0 has no such field, so xds/translate/filters/oauth2-id-token.ts builds it.
 *
 * Problems are pushed without the `OIDC: ` prefix; any problem fails the policy closed.
 */
import type { OidcIr, SecurityHeaderMatchIr } from "../../ir/security-ir";
import type { GenericSecretIr } from "../../ir/xds-ir";
import type { Secret } from "../../resources/core";
import type { OIDC, OIDCProvider, SecurityPolicySpec } from "../../resources/security-policy";
import { parseIp } from "../backend-endpoints";
import { parseDuration } from "../duration";
import { hasBackendRefs, securityBackendService, securityUrlService, type SecurityService } from "./security-backends";
import { securityIrName, type SecurityContext, type SecurityOwner } from "./security-context";
import { securitySecret } from "./security-refs";

/** Envoy Gateway's default redirect URL (Envoy formatters: the request's scheme and host). */
export const DEFAULT_REDIRECT_URL = "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback";
/** Envoy Gateway's default logout path. */
export const DEFAULT_LOGOUT_PATH = "/logout";
/** Name of the Secret holding the cookies' HMAC secret (Envoy Gateway's certgen creates it). */
export const OIDC_HMAC_SECRET = "envoy-oidc-hmac";
/** Key of the HMAC secret in {@link OIDC_HMAC_SECRET}. */
export const OIDC_HMAC_KEY = "hmac-secret";
/** Secret key of the client ID (`clientIDRef`). */
export const OIDC_CLIENT_ID_KEY = "client-id";
/** Secret key of the client secret. */
export const OIDC_CLIENT_SECRET_KEY = "client-secret";
/** Envoy Gateway's token request timeout when `backendSettings` sets none. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** SecurityPolicy `oidc` → the route's OIDC login; undefined when unset or invalid (problems say why). */
export function translateOidc(spec: SecurityPolicySpec, ctx: SecurityContext, problems: string[]): OidcIr | undefined {
  const oidc = spec.oidc;
  if (!oidc) return undefined;
  const before = problems.length;
  problems.push(...ruleProblems(spec, oidc));
  const owner = ctx.ownerOf("oidc");
  const provider = providerOf(oidc.provider, ctx, problems);
  const clientId = clientIdOf(oidc, ctx, problems);
  const clientSecret = secretKeyValue(oidc.clientSecret, "oidc.clientSecret", OIDC_CLIENT_SECRET_KEY, ctx, problems);
  const redirect = redirectOf(oidc.redirectURL, problems);
  const ttls = ttlsOf(oidc, problems);
  const hmac = hmacOf(ctx, problems);
  if (problems.length > before || !provider || clientId === undefined || !clientSecret || !redirect || !hmac)
    return undefined;
  const name = securityIrName(owner);
  const clientSecretSds = `oauth2/client_secret/${name}`;
  const hmacSds = `oauth2/hmac_secret/${name}`;
  ctx.clusters.push(provider.service.cluster);
  ctx.secrets.push(genericSecret(clientSecretSds, clientSecret), genericSecret(hmacSds, hmac));
  return {
    name,
    clientId,
    clientSecretSds,
    hmacSds,
    tokenEndpoint: provider.tokenEndpoint,
    tokenCluster: provider.service.cluster.name,
    timeoutMs: provider.service.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    authorizationEndpoint: provider.authorizationEndpoint,
    ...(provider.endSessionEndpoint !== undefined ? { endSessionEndpoint: provider.endSessionEndpoint } : {}),
    redirectUri: redirect.url,
    redirectPath: redirect.path,
    ...sessionFields(spec, oidc, cookieSuffix(owner, ctx)),
    ...ttls,
    ...(provider.service.retry ? { retry: provider.service.retry } : {}),
  };
}

/** The login and session settings of `oidc` (Envoy Gateway's defaults where unset). */
function sessionFields(
  spec: SecurityPolicySpec,
  oidc: OIDC,
  suffix: string,
): Omit<
  OidcIr,
  | "name"
  | "clientId"
  | "clientSecretSds"
  | "hmacSds"
  | "tokenEndpoint"
  | "tokenCluster"
  | "timeoutMs"
  | "authorizationEndpoint"
  | "redirectUri"
  | "redirectPath"
> {
  const scopes = oidc.scopes ?? [];
  return {
    logoutPath: oidc.logoutPath ?? DEFAULT_LOGOUT_PATH,
    scopes: scopes.includes("openid") ? [...scopes] : [...scopes, "openid"],
    resources: [...(oidc.resources ?? [])],
    forwardAccessToken: oidc.forwardAccessToken === true,
    ...(oidc.forwardIDToken !== undefined ? { forwardIdTokenHeader: oidc.forwardIDToken.header } : {}),
    refreshToken: oidc.refreshToken ?? true,
    ...cookieFields(oidc, suffix),
    disableEncryption: oidc.disableTokenEncryption === true,
    passThrough: oidc.passThroughAuthHeader === true ? passThroughOf(spec) : [],
    denyRedirect: (oidc.denyRedirect?.headers ?? []).map((h): SecurityHeaderMatchIr => ({
      name: h.name,
      value: { type: h.type ?? "Exact", value: h.value },
    })),
  };
}

/** The cookies' names (Envoy Gateway's, `cookieNames` overriding two), domain and SameSite. */
function cookieFields(oidc: OIDC, suffix: string): Pick<OidcIr, "cookieNames" | "cookieDomain" | "sameSite"> {
  return {
    cookieNames: {
      bearerToken: oidc.cookieNames?.accessToken ?? `AccessToken-${suffix}`,
      idToken: oidc.cookieNames?.idToken ?? `IdToken-${suffix}`,
      oauthHmac: `OauthHMAC-${suffix}`,
      oauthExpires: `OauthExpires-${suffix}`,
      refreshToken: `RefreshToken-${suffix}`,
      oauthNonce: `OauthNonce-${suffix}`,
      codeVerifier: `CodeVerifier-${suffix}`,
    },
    ...(oidc.cookieDomain !== undefined ? { cookieDomain: oidc.cookieDomain } : {}),
    ...(oidc.cookieConfig?.sameSite !== undefined ? { sameSite: oidc.cookieConfig.sameSite } : {}),
  };
}

/** The CRD's CEL rules on `oidc` and Envoy Gateway's cross-field checks. */
function ruleProblems(spec: SecurityPolicySpec, oidc: OIDC): string[] {
  const out: string[] = [];
  if ((oidc.clientID === undefined) === (oidc.clientIDRef === undefined))
    out.push("spec.oidc: only one of clientID or clientIDRef must be set");
  const idHeader = oidc.forwardIDToken?.header;
  if (idHeader !== undefined && idHeader.toLowerCase() === "host")
    out.push("spec.oidc.forwardIDToken.header: header cannot be the Host header");
  if (oidc.forwardAccessToken === true && idHeader?.toLowerCase() === "authorization")
    out.push("spec.oidc: forwardAccessToken cannot be true when forwardIDToken.header is Authorization");
  if (oidc.passThroughAuthHeader === true) out.push(...passThroughProblems(spec, idHeader));
  return out;
}

/** Envoy Gateway's checks of `passThroughAuthHeader` against the policy's JWT providers. */
function passThroughProblems(spec: SecurityPolicySpec, idHeader: string | undefined): string[] {
  const providers = spec.jwt?.providers;
  if (!providers) return ["the OIDC.PassThroughAuthHeader setting must be used in conjunction with JWT settings"];
  if (!providers.some((p) => p.extractFrom === undefined || (p.extractFrom.headers?.length ?? 0) > 0))
    return [
      "the OIDC.PassThroughAuthHeader setting must be used in conjunction with a JWT provider that is configured to read from a header",
    ];
  if (idHeader === undefined) return [];
  const same = (h: string): boolean => h.toLowerCase() === idHeader.toLowerCase();
  for (const p of providers) {
    if (p.extractFrom === undefined && same("Authorization"))
      return [
        `the OIDC.ForwardIDToken header "${idHeader}" cannot be the Authorization header when passThroughAuthHeader is enabled and a JWT provider reads from it`,
      ];
    if ((p.extractFrom?.headers ?? []).some((h) => same(h.name)))
      return [
        `the OIDC.ForwardIDToken header "${idHeader}" cannot be the same as a JWT provider extractFrom header when passThroughAuthHeader is enabled`,
      ];
  }
  return [];
}

/** Requests that skip the login because the JWT filter will check their token (Envoy Gateway's matchers). */
function passThroughOf(spec: SecurityPolicySpec): SecurityHeaderMatchIr[] {
  return (spec.jwt?.providers ?? []).flatMap((p): SecurityHeaderMatchIr[] =>
    p.extractFrom === undefined
      ? [{ name: "Authorization", value: { type: "Prefix", value: "Bearer " } }]
      : (p.extractFrom.headers ?? []).map((h) =>
          h.valuePrefix === undefined
            ? { name: h.name }
            : { name: h.name, value: { type: "Prefix", value: h.valuePrefix } },
        ),
  );
}

/** The provider's endpoints and the service its token endpoint is called through. */
interface Provider {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint?: string;
  readonly service: SecurityService;
}

function providerOf(p: OIDCProvider, ctx: SecurityContext, problems: string[]): Provider | undefined {
  const bad = issuerProblem(p.issuer);
  if (bad) {
    problems.push(bad);
    return undefined;
  }
  const endpoints = endpointsOf(p, ctx, problems);
  if (!endpoints) return undefined;
  const badToken = tokenEndpointProblem(endpoints.tokenEndpoint);
  if (badToken) {
    problems.push(badToken);
    return undefined;
  }
  const service = hasBackendRefs(p)
    ? securityBackendService(p, { use: "oidc/0" }, ctx.ownerOf("oidc.provider.backendRefs"), ctx, problems)
    : securityUrlService(endpoints.tokenEndpoint, p, ctx, problems);
  return service ? { ...endpoints, service } : undefined;
}

/** The explicit endpoints, completed by the issuer's discovery result when one of the two is missing. */
function endpointsOf(p: OIDCProvider, ctx: SecurityContext, problems: string[]): Omit<Provider, "service"> | undefined {
  const explicit = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v);
  const authorization = explicit(p.authorizationEndpoint);
  const token = explicit(p.tokenEndpoint);
  const endSession = explicit(p.endSessionEndpoint);
  if (authorization !== undefined && token !== undefined)
    return {
      authorizationEndpoint: authorization,
      tokenEndpoint: token,
      ...(endSession ? { endSessionEndpoint: endSession } : {}),
    };
  const found = ctx.oidc?.discovery?.get(p.issuer);
  if (!found) {
    problems.push(`discovery of ${p.issuer} pending`);
    return undefined;
  }
  if ("error" in found) {
    problems.push(found.error);
    return undefined;
  }
  const session = endSession ?? found.endSessionEndpoint;
  return {
    authorizationEndpoint: authorization ?? found.authorizationEndpoint,
    tokenEndpoint: token ?? found.tokenEndpoint,
    ...(session !== undefined ? { endSessionEndpoint: session } : {}),
  };
}

/** Envoy Gateway's issuer URL checks (its messages), or undefined. */
export function issuerProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `invalid issuer URL: ${raw}`;
  }
  if (u.protocol !== "https:") return "issuer URL must use https scheme";
  if (u.hostname === "") return "issuer URL must include a host";
  if (u.username !== "" || u.password !== "" || raw.includes("@")) return "issuer URL must not include userinfo";
  if (raw.includes("?")) return "issuer URL must not include a query";
  if (raw.includes("#")) return "issuer URL must not include a fragment";
  return undefined;
}

/** Envoy Gateway's token endpoint check: a DNS name, not an IP address (Envoy needs a DNS cluster for it). */
function tokenEndpointProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `error parsing token endpoint URL: ${url}`;
  }
  if (parseIp(u.hostname.replace(/^\[(.*)\]$/, "$1"))) return `token endpoint URL must be a domain name: ${url}`;
  return undefined;
}

/** The client ID: `clientID`, or the `client-id` key of `clientIDRef`. */
function clientIdOf(oidc: OIDC, ctx: SecurityContext, problems: string[]): string | undefined {
  if (oidc.clientID !== undefined) return oidc.clientID;
  if (!oidc.clientIDRef) return undefined; // the CEL rule's problem says why
  const id = secretKeyValue(oidc.clientIDRef, "oidc.clientIDRef", OIDC_CLIENT_ID_KEY, ctx, problems);
  return id?.toString("utf8");
}

/** The value of `key` in the Secret `ref` names (owned by the policy setting `group`), with Envoy Gateway's messages. */
function secretKeyValue(
  ref: OIDC["clientSecret"],
  group: string,
  key: string,
  ctx: SecurityContext,
  problems: string[],
): Buffer | undefined {
  const owner = ctx.ownerOf(group);
  const secret = securitySecret(ref, owner, ctx, problems);
  if (!secret) return undefined;
  const value = secretBytes(secret, key);
  if (value === undefined || value.length === 0) {
    const what = key === OIDC_CLIENT_ID_KEY ? "client ID" : "client secret";
    problems.push(
      `${what} not found in secret ${secret.metadata.namespace ?? owner.namespace}/${secret.metadata.name}`,
    );
    return undefined;
  }
  return value;
}

/** A Secret's value as bytes (`stringData` as written, else base64 `data`). */
function secretBytes(secret: Secret, key: string): Buffer | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return Buffer.from(plain, "utf8");
  const b64 = secret.data?.[key];
  return b64 !== undefined ? Buffer.from(b64, "base64") : undefined;
}

/** The redirect URL and its path (Envoy Gateway's rules: http, https or the forwarded scheme; a path other than /). */
function redirectOf(url: string | undefined, problems: string[]): { url: string; path: string } | undefined {
  if (url === undefined) return { url: DEFAULT_REDIRECT_URL, path: "/oauth2/callback" };
  const path = redirectPath(url);
  if (path === undefined) problems.push(`invalid redirect URL ${url}`);
  return path === undefined ? undefined : { url, path };
}

/** The path of a redirect URL, or undefined when Envoy Gateway refuses it. */
export function redirectPath(url: string): string | undefined {
  const at = url.indexOf("://");
  if (at <= 0) return undefined;
  if (!["http", "https", "%REQ(x-forwarded-proto)%"].includes(url.slice(0, at))) return undefined;
  const rest = url.slice(at + 3);
  const slash = rest.indexOf("/");
  if (slash <= 0) return undefined;
  const path = rest.slice(slash);
  return path === "/" ? undefined : path;
}

/** `defaultTokenTTL`, `defaultRefreshTokenTTL`, `csrfTokenTTL` in seconds (Envoy takes whole seconds). */
function ttlsOf(oidc: OIDC, problems: string[]): Pick<OidcIr, "defaultTokenTtlS" | "defaultRefreshTtlS" | "csrfTtlS"> {
  const fields = [
    ["defaultTokenTTL", "defaultTokenTtlS"],
    ["defaultRefreshTokenTTL", "defaultRefreshTtlS"],
    ["csrfTokenTTL", "csrfTtlS"],
  ] as const;
  const out: { -readonly [K in (typeof fields)[number][1]]?: number } = {};
  for (const [field, key] of fields) {
    const text = oidc[field];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined)
      problems.push(`invalid ${field}: ${JSON.stringify(text)} is not a duration (e.g. 1h, 30m, 10s)`);
    else if (ms % 1000 !== 0) problems.push(`invalid ${field}: ${text} must be whole seconds`);
    else out[key] = ms / 1000;
  }
  return out;
}

/** The cookies' HMAC secret, or undefined with Envoy Gateway's message. */
function hmacOf(ctx: SecurityContext, problems: string[]): Buffer | undefined {
  const hmac = ctx.oidc?.hmacSecret;
  if (hmac && hmac.length > 0) return hmac;
  problems.push(`HMAC secret ${ctx.oidc?.controllerNamespace ?? "envoy-gateway-system"}/${OIDC_HMAC_SECRET} not found`);
  return undefined;
}

function genericSecret(name: string, value: Buffer): GenericSecretIr {
  return { name, kind: "generic", value: value.toString("base64") };
}

/** Envoy Gateway's cookie name suffix: FNV-32a (hex) of the owning policy's UID; `namespace/name` without one. */
function cookieSuffix(owner: SecurityOwner, ctx: SecurityContext): string {
  const policy = (ctx.snapshot.policies?.securityPolicies ?? []).find(
    (p) => p.metadata.name === owner.name && (p.metadata.namespace ?? "default") === owner.namespace,
  );
  return fnv32a(policy?.metadata.uid ?? `${owner.namespace}/${owner.name}`);
}

/** FNV-1a, 32 bits, as lowercase hex without leading zeros (Go's `%x`). */
export function fnv32a(text: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}
