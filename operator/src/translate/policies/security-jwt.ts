/**
 * SecurityPolicy `jwt` → the route's JWT authentication, as Envoy Gateway v1.9 builds it.
 *
 * Each provider becomes one Envoy JwtProvider whose name is derived from its content (`<name>_<16 hex of
 * sha256>`), so identical providers of different policies are one provider entry on a listener; its claims go to
 * the dynamic metadata `envoy.filters.http.jwt_authn` under the provider's name in the policy (`metadataKey`,
 * what authorization rules on JWT claims read). Keys come from a ConfigMap or inline (`localJWKS`: ConfigMap key
 * `jwks`, else its first key by name) or are fetched (`remoteJWKS`): through the policy's own cluster
 * `securitypolicy/<ns>/<name>/jwt/<index>` when `backendRefs` are set, else through a cluster derived from the
 * URI (security-backends.ts); `cacheDuration` defaults to 300s (the CRD's default), the fetch timeout to 10s.
 *
 * Checked here (Envoy Gateway's messages; standalone mode has no API server for the CRD's rules): `optional` and
 * `failOpen` not both; provider names present, qualified names and unique; an issuer with `:` is a URI (RFC 3986:
 * stricter than Envoy Gateway, which lets `a:b c` through), one with `@` an e-mail address; exactly one of
 * remoteJWKS and localJWKS; the remote URI parses; local keys are a JSON key set; claim and header names are
 * tokens Envoy accepts; durations parse. A key set that cannot be fetched is not a translation error: Envoy then
 * answers 401 (fail closed).
 */
import { createHash } from "node:crypto";
import type { JwtExtractIr, JwtIr, JwtProviderIr } from "../../ir/security-ir";
import type { JWT, JWTExtractor, JWTProvider, LocalJWKS, RemoteJWKS } from "../../resources/security-policy";
import { parseDuration } from "../duration";
import { describe, headerNameProblem } from "../validate-values";
import type { SecurityContext, SecurityOwner } from "./security-context";
import { hasBackendRefs, securityBackendService, securityUrlService } from "./security-backends";

/** Envoy Gateway's ConfigMap key of a local key set. */
export const JWKS_CONFIGMAP_KEY = "jwks";

/** The remote fetch timeout when backendSettings sets none (Envoy Gateway's ext-service default). */
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/** The CRD's default `remoteJWKS.cacheDuration`. */
const DEFAULT_CACHE_DURATION = "300s";

/** Envoy Gateway's bound on a provider or requirement name. */
const MAX_NAME = 256;

/** SecurityPolicy `jwt` → the route's JWT authentication; undefined when unset or invalid (problems say why). */
export function translateJwt(jwt: JWT | undefined, ctx: SecurityContext, problems: string[]): JwtIr | undefined {
  if (!jwt) return undefined;
  const before = problems.length;
  const providers = jwt.providers ?? [];
  jwtProblems(jwt, providers, problems);
  if (problems.length > before) return undefined;
  const owner = ctx.ownerOf("jwt");
  const out: JwtProviderIr[] = [];
  for (const [i, p] of providers.entries()) {
    const jwks = p.remoteJWKS ? remoteJwks(p.remoteJWKS, i, owner, ctx, problems) : localJwks(p, owner, ctx, problems);
    if (jwks) out.push(providerIr(p, jwks));
  }
  if (problems.length > before) return undefined;
  const allow = jwt.failOpen === true ? "missingOrFailed" : jwt.optional === true ? "missing" : undefined;
  const names = out.map((p) => p.metadataKey);
  if (allow) names.push(allow === "missing" ? "missing" : "missing-or-failed");
  const requirement = contentName(names.join("-or-"), { providers: out.map((p) => p.name), allow: allow ?? "" });
  return { requirement, providers: out, ...(allow ? { allow } : {}) };
}

/** The problems of the group's own fields and of its providers' (before any reference is resolved). */
function jwtProblems(jwt: JWT, providers: readonly JWTProvider[], problems: string[]): void {
  if (jwt.optional === true && jwt.failOpen === true)
    problems.push("optional and failOpen cannot both be set; failOpen already tolerates a missing JWT");
  if (providers.length === 0) problems.push("providers must have at least one entry");
  if (providers.length > 16) problems.push(`providers must have at most 16 entries, has ${providers.length}`);
  providerProblems(providers, problems);
}

/** The IR of a provider whose keys are resolved, named after its content. */
function providerIr(p: JWTProvider, jwks: JwtProviderIr["jwks"]): JwtProviderIr {
  const extract = extractIr(p.extractFrom);
  const body: Omit<JwtProviderIr, "name"> = {
    metadataKey: p.name,
    ...(p.issuer ? { issuer: p.issuer } : {}),
    audiences: [...(p.audiences ?? [])],
    claimToHeaders: (p.claimToHeaders ?? []).map((c) => ({ header: c.header, claim: c.claim })),
    ...(p.recomputeRoute !== undefined ? { recomputeRoute: p.recomputeRoute } : {}),
    ...(extract ? { extract } : {}),
    jwks,
  };
  return { name: contentName(p.name, body), ...body };
}

/**
 * `<prefix>_<first 8 bytes of sha256(JSON of content)>` in hex, the prefix cut so the name stays within 256
 * characters: the same content always gets the same name (Envoy Gateway's scheme; the bytes hashed differ).
 */
export function contentName(prefix: string, content: unknown): string {
  const hash = createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16);
  return `${prefix.slice(0, MAX_NAME - hash.length - 1)}_${hash}`;
}

function extractIr(e: JWTExtractor | undefined): JwtExtractIr | undefined {
  if (!e) return undefined;
  return {
    headers: (e.headers ?? []).map((h) => ({
      name: h.name,
      ...(h.valuePrefix !== undefined ? { valuePrefix: h.valuePrefix } : {}),
    })),
    cookies: [...(e.cookies ?? [])],
    params: [...(e.params ?? [])],
  };
}

/** The problems of the providers' own fields (Envoy Gateway's validateJWTProvider, and the CRD's rules). */
function providerProblems(providers: readonly JWTProvider[], problems: string[]): void {
  const names = new Set<string>();
  for (const [i, p] of providers.entries()) {
    const before = problems.length;
    if (!p.name) problems.push("jwt provider cannot be an empty string");
    if (p.issuer) issuerProblem(p.issuer, problems);
    jwksChoiceProblems(p, problems);
    // Envoy Gateway checks the name's form and uniqueness only for providers without other problems.
    if (problems.length === before && p.name) {
      problems.push(...qualifiedNameProblems(p.name));
      if (names.has(p.name)) problems.push(`provider name ${p.name} must be unique`);
      names.add(p.name);
    }
    if ((p.audiences?.length ?? 0) > 8) problems.push(`providers[${i}].audiences must have at most 8 entries`);
    claimProblems(i, p, problems);
    extractProblems(`providers[${i}].extractFrom`, p.extractFrom, problems);
  }
}

/** claimToHeaders: header and claim set, header names Envoy accepts; recomputeRoute needs them. */
function claimProblems(i: number, p: JWTProvider, problems: string[]): void {
  if (p.recomputeRoute === true && (p.claimToHeaders?.length ?? 0) === 0)
    problems.push(`providers[${i}]: claimToHeaders must be specified if recomputeRoute is enabled.`);
  for (const c of p.claimToHeaders ?? []) {
    if (!c.header) problems.push(`header must be set for claimToHeader provider: ${c.header ?? ""}`);
    else if (!c.claim) problems.push(`claim must be set for claimToHeader provider: ${c.claim ?? ""}`);
    else pushIf(problems, describe(`providers[${i}].claimToHeaders.header`, c.header, headerNameProblem(c.header)));
  }
}

function pushIf(problems: string[], p: string | undefined): void {
  if (p) problems.push(p);
}

/** Token sources Envoy accepts: header and cookie names that are tokens, parameter names that are not empty. */
function extractProblems(field: string, e: JWTExtractor | undefined, problems: string[]): void {
  if (!e) return;
  for (const [j, h] of (e.headers ?? []).entries())
    pushIf(problems, describe(`${field}.headers[${j}].name`, h.name, headerNameProblem(h.name)));
  for (const [j, c] of (e.cookies ?? []).entries())
    pushIf(problems, describe(`${field}.cookies[${j}]`, c, headerNameProblem(c)));
  for (const [j, q] of (e.params ?? []).entries()) if (!q) problems.push(`${field}.params[${j}] must not be empty`);
}

/** Exactly one key source, with what it needs (Envoy Gateway's messages, then the CRD's rules). */
function jwksChoiceProblems(p: JWTProvider, problems: string[]): void {
  if ((p.remoteJWKS === undefined) === (p.localJWKS === undefined))
    problems.push(`either remoteJWKS or localJWKS must be specified for jwt provider: ${p.name}`);
  if (p.remoteJWKS) remoteProblems(p.name, p.remoteJWKS, problems);
  if (p.localJWKS) localProblems(p.name, p.localJWKS, problems);
}

function remoteProblems(name: string, r: RemoteJWKS, problems: string[]): void {
  if (!r.uri) problems.push(`uri must be set for remote JWKS provider: ${name}`);
  else pushIf(problems, prefixed("invalid remote JWKS URI: ", requestUriProblem(r.uri)));
  if (r.backendRef !== undefined) problems.push("BackendRefs must be used, backendRef is not supported.");
  const retry = r.backendSettings?.retry;
  if (retry?.perRetry?.timeout !== undefined) problems.push("Retry timeout is not supported.");
  if ((retry?.retryOn?.httpStatusCodes?.length ?? 0) > 0) problems.push("HTTPStatusCodes is not supported.");
}

function localProblems(name: string, l: LocalJWKS, problems: string[]): void {
  const type = l.type ?? "Inline";
  if (type === "Inline" && l.inline === undefined)
    problems.push(`inline JWKS must be set for local JWKS provider: ${name} if type is Inline`);
  else if (type === "ValueRef" && l.valueRef === undefined)
    problems.push(`valueRef must be set for local JWKS provider: ${name} if type is ValueRef`);
  else if ((l.inline !== undefined) === (l.valueRef !== undefined))
    problems.push("Exactly one of inline or valueRef must be set with correct type.");
}

function prefixed(prefix: string, p: string | undefined): string | undefined {
  return p === undefined ? undefined : prefix + p;
}

/**
 * Why `issuer` is not a StringOrURI (RFC 7519): with `:` it must be a URI, with `@` an e-mail address. A URI is
 * checked as Envoy Gateway's Go parser checks it (lenient: a task page's `https://…/<AZURE_TENANT_ID>/v2.0`
 * placeholder passes; Envoy only compares the issuer as a string).
 */
function issuerProblem(issuer: string, problems: string[]): void {
  if (issuer.length > 253) problems.push("issuer must be at most 253 characters");
  if (issuer.includes(":")) {
    if (requestUriProblem(issuer) !== undefined)
      problems.push("invalid issuer; when issuer contains ':' character, it MUST be a valid URI");
  } else if (issuer.includes("@")) {
    if (!EMAIL.test(issuer))
      problems.push(
        `invalid issuer; when issuer contains '@' character, it MUST be a valid Email Address format: mail: ${JSON.stringify(issuer)} is not an address`,
      );
  }
}

/** An addr-spec: local part and domain of printable characters without spaces, brackets or a second `@`. */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/**
 * Why `uri` is not an absolute URI (Go's url.ParseRequestURI, which Envoy Gateway uses), in its words, or
 * undefined.
 */
function requestUriProblem(uri: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!scheme) return `parse ${JSON.stringify(uri)}: invalid URI for request`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(uri))
    return `parse ${JSON.stringify(uri)}: net/url: invalid control character in URL`;
  if (/%(?![0-9A-Fa-f]{2})/.test(uri)) return `parse ${JSON.stringify(uri)}: invalid URL escape`;
  if (!uri.slice(scheme[0].length).startsWith("//")) return undefined;
  const authority = uri.slice(scheme[0].length + 2).split(/[/?#]/)[0];
  if (/\s/.test(authority)) return `parse ${JSON.stringify(uri)}: invalid character " " in host name`;
  try {
    new URL(uri);
  } catch {
    return `parse ${JSON.stringify(uri)}: invalid host or port`;
  }
  return undefined;
}

/** Kubernetes' qualified name rules (an optional DNS subdomain prefix and `/`, then a 63-character name). */
export function qualifiedNameProblems(value: string): string[] {
  const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
  const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  const nameText =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const parts = value.split("/");
  if (parts.length > 2)
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  const out: string[] = [];
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === "") out.push("prefix part must be non-empty");
    else if (prefix.length > 253 || !SUBDOMAIN.test(prefix))
      out.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      );
  }
  if (name === "") out.push("name part must be non-empty");
  else {
    if (name.length > 63) out.push("name part must be no more than 63 bytes");
    if (!NAME.test(name)) out.push(nameText);
  }
  return out;
}

/** A remote key set: its cluster (pushed into the context), URI, timeout, cache and refetch durations, retry. */
function remoteJwks(
  r: RemoteJWKS,
  index: number,
  owner: SecurityOwner,
  ctx: SecurityContext,
  problems: string[],
): JwtProviderIr["jwks"] | undefined {
  const before = problems.length;
  const cache = durationMs("cacheDuration", r.cacheDuration ?? DEFAULT_CACHE_DURATION, problems);
  const refetch =
    r.failedRefetchDuration !== undefined
      ? durationMs("failedRefetchDuration", r.failedRefetchDuration, problems)
      : undefined;
  if (problems.length > before) return undefined;
  const service = hasBackendRefs(r)
    ? securityBackendService(r, { use: `jwt/${index}` }, owner, ctx, problems)
    : securityUrlService(r.uri, r, ctx, problems);
  if (!service) return undefined;
  ctx.clusters.push(service.cluster);
  return {
    remote: {
      uri: r.uri,
      cluster: service.cluster.name,
      timeoutMs: service.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      ...(cache !== undefined ? { cacheDurationMs: cache } : {}),
      ...(refetch !== undefined ? { failedRefetchMs: refetch } : {}),
      ...(service.retry ? { retry: service.retry } : {}),
    },
  };
}

function durationMs(field: string, value: string, problems: string[]): number | undefined {
  const ms = parseDuration(value);
  if (ms === undefined) problems.push(`${field} ${JSON.stringify(value)} is not a duration`);
  return ms;
}

/** A local key set: inline, or the ConfigMap's `jwks` key (else its first key), checked to be a JSON key set. */
function localJwks(
  p: JWTProvider,
  owner: SecurityOwner,
  ctx: SecurityContext,
  problems: string[],
): JwtProviderIr["jwks"] | undefined {
  const l = p.localJWKS as LocalJWKS;
  const text = (l.type ?? "Inline") === "ValueRef" ? configMapJwks(l, owner, ctx, problems) : l.inline;
  if (text === undefined) return undefined;
  const bad = jwksProblem(text);
  if (bad) {
    problems.push(`local JWKS of jwt provider ${p.name} ${bad}`);
    return undefined;
  }
  return { local: text };
}

function configMapJwks(
  l: LocalJWKS,
  owner: SecurityOwner,
  ctx: SecurityContext,
  problems: string[],
): string | undefined {
  const ref = l.valueRef;
  if (!ref) return undefined;
  if ((ref.group ?? "") !== "" || (ref.kind ?? "ConfigMap") !== "ConfigMap") {
    problems.push(`valueRef must name a ConfigMap (group "", kind ConfigMap), not ${ref.group ?? ""}/${ref.kind}`);
    return undefined;
  }
  const key = `${owner.namespace}/${ref.name}`;
  const cm = ctx.refs.configMap(key);
  if (!cm) {
    problems.push(`local JWKS ConfigMap ${key} not found`);
    return undefined;
  }
  const data = cm.data ?? {};
  const value = data[JWKS_CONFIGMAP_KEY] ?? data[Object.keys(data).sort()[0]];
  if (value === undefined)
    problems.push(`JWKS data not found in ConfigMap ${key}, no "${JWKS_CONFIGMAP_KEY}" key and no other data found`);
  return value;
}

/** Why `text` is not a JSON Web Key Set (an object with a non-empty `keys` array of objects with `kty`). */
export function jwksProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return `is not JSON: ${(e as Error).message}`;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'is not a key set: it needs a non-empty "keys" array';
  if (keys.some((k) => typeof (k as { kty?: unknown } | null)?.kty !== "string"))
    return 'is not a key set: every key needs a "kty"';
  return undefined;
}
