/**
 * SecurityPolicy `basicAuth` and `apiKeyAuth` → their route IR, as Envoy Gateway builds them.
 *
 * basicAuth: the users Secret's `.htpasswd` key (CRLF normalised to LF, lines trimmed, blank ones dropped). Envoy
 * 1.36's basic_auth accepts only unsalted SHA-1 (`user:{SHA}<base64 of 20 bytes>`, what `htpasswd -s` writes); any
 * other line (bcrypt, MD5, SHA-crypt, crypt or plain text) is an error in Envoy Gateway's words, never passed on.
 *
 * apiKeyAuth: every data key of each credential Secret is a client ID, its value the key; clients are taken per
 * Secret in key order, the first Secret naming a client wins, and one key for two clients is an error
 * (`duplicated API key`). Key sources keep the `extractFrom` order; each entry sets exactly one of headers,
 * params, cookies (the CRD's rule, checked here).
 *
 * Messages: Envoy Gateway's where it has one; a broken CRD rule (standalone mode has no API server) is
 * `spec.<path>: <the CRD's message>`.
 */
import { createHash } from "node:crypto";
import type { ApiKeyAuthIr, ApiKeySourceIr, BasicAuthIr } from "../../ir/security-ir";
import type { APIKeyAuth, BasicAuth } from "../../resources/security-policy";
import { secretValue } from "../listener-tls";
import { describe, headerNameProblem } from "../validate-values";
import { securityIrName, type SecurityContext } from "./security-context";
import { secretKeys, securitySecret } from "./security-refs";

/** Envoy Gateway's Secret key holding the htpasswd lines. */
export const HTPASSWD_KEY = ".htpasswd";

/** The length of a SHA-1 digest. */
const SHA1_BYTES = createHash("sha1").digest().length;

/** SecurityPolicy `basicAuth` → the route's basic auth; undefined when unset or invalid (problems say why). */
export function translateBasicAuth(
  basic: BasicAuth | undefined,
  ctx: SecurityContext,
  problems: string[],
): BasicAuthIr | undefined {
  if (!basic) return undefined;
  const badHeader = headerProblem("forwardUsernameHeader", basic.forwardUsernameHeader);
  if (badHeader) {
    problems.push(badHeader);
    return undefined;
  }
  const owner = ctx.ownerOf("basicAuth");
  const secret = securitySecret(basic.users, owner, ctx, problems);
  if (!secret) return undefined;
  const raw = secretValue(secret, HTPASSWD_KEY);
  if (raw === undefined || raw === "") {
    problems.push(
      `secret ${secret.metadata.namespace ?? owner.namespace}/${secret.metadata.name} must contain a non-empty "${HTPASSWD_KEY}" key`,
    );
    return undefined;
  }
  const bad = htpasswdProblem(raw.replace(/\r\n/g, "\n"));
  if (bad) {
    problems.push(bad);
    return undefined;
  }
  // Envoy gets the lines as checked: trimmed, without blank ones (a stray space or CR would make it refuse the
  // listener, not only this policy).
  const users = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("\n");
  return {
    name: securityIrName(owner),
    users,
    ...(basic.forwardUsernameHeader ? { forwardUsernameHeader: basic.forwardUsernameHeader } : {}),
  };
}

/**
 * Why htpasswd lines cannot be used by Envoy 1.36, in Envoy Gateway's words (the first bad line's problem), or
 * undefined.
 */
export function htpasswdProblem(users: string): string | undefined {
  for (const raw of users.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const at = line.indexOf(":");
    if (at < 0) return "invalid htpasswd format: each line must be in the format 'username:password'";
    const password = line.slice(at + 1);
    if (!password.startsWith("{SHA}")) return "unsupported htpasswd format: please use {SHA}";
    const b64 = password.slice("{SHA}".length);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
      return "invalid htpasswd format: {SHA} must be base64-encoded SHA1";
    if (Buffer.from(b64, "base64").length !== SHA1_BYTES)
      return `invalid htpasswd format: {SHA} must be SHA1 (${SHA1_BYTES} bytes)`;
  }
  return undefined;
}

/** SecurityPolicy `apiKeyAuth` → the route's API key auth; undefined when unset or invalid (problems say why). */
export function translateApiKeyAuth(
  spec: APIKeyAuth | undefined,
  ctx: SecurityContext,
  problems: string[],
): ApiKeyAuthIr | undefined {
  if (!spec) return undefined;
  const before = problems.length;
  const sources = keySources(spec, problems);
  const badHeader = headerProblem("forwardClientIDHeader", spec.forwardClientIDHeader);
  if (badHeader) problems.push(badHeader);
  const credentials = apiKeyCredentials(spec, ctx, problems);
  if (problems.length > before || !credentials) return undefined;
  return {
    credentials,
    sources,
    ...(spec.forwardClientIDHeader ? { forwardClientIdHeader: spec.forwardClientIDHeader } : {}),
    hideCredentials: spec.sanitize === true,
  };
}

/** Why a header (or cookie) name Envoy would refuse with the whole listener cannot be used, if so. */
function headerProblem(field: string, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return describe(field, name, headerNameProblem(name) ?? (name.length > 1024 ? "is longer than 1024" : undefined));
}

/** The key sources in `extractFrom` order. */
function keySources(spec: APIKeyAuth, problems: string[]): ApiKeySourceIr[] {
  const entries = spec.extractFrom ?? [];
  if (entries.length === 0) problems.push("spec.apiKeyAuth.extractFrom: must have at least 1 item");
  const out: ApiKeySourceIr[] = [];
  for (const [i, e] of entries.entries()) {
    const set = [e.headers, e.params, e.cookies].filter((x) => x !== undefined);
    if (set.length !== 1) {
      problems.push(`spec.apiKeyAuth.extractFrom[${i}]: exactly one of headers, params, or cookies must be specified`);
      continue;
    }
    for (const [field, names] of [
      ["headers", e.headers],
      ["cookies", e.cookies],
    ] as const) {
      for (const [j, name] of (names ?? []).entries()) {
        const bad = headerProblem(`extractFrom[${i}].${field}[${j}]`, name);
        if (bad) problems.push(bad);
      }
    }
    for (const header of e.headers ?? []) out.push({ header });
    for (const query of e.params ?? []) out.push({ query });
    for (const cookie of e.cookies ?? []) out.push({ cookie });
  }
  return out;
}

/** The clients and keys of the credential Secrets (first Secret naming a client wins). */
function apiKeyCredentials(
  spec: APIKeyAuth,
  ctx: SecurityContext,
  problems: string[],
): { client: string; key: string }[] | undefined {
  const owner = ctx.ownerOf("apiKeyAuth");
  const refs = spec.credentialRefs ?? [];
  if (refs.length === 0) problems.push("spec.apiKeyAuth.credentialRefs: must have at least 1 item");
  const out: { client: string; key: string }[] = [];
  const clients = new Set<string>();
  const keys = new Set<string>();
  for (const ref of refs) {
    const secret = securitySecret(ref, owner, ctx, problems);
    if (!secret) return undefined;
    for (const client of secretKeys(secret)) {
      const key = secretValue(secret, client) ?? "";
      if (clients.has(client)) continue;
      if (key === "") {
        // Envoy refuses an empty key (the whole listener), Envoy Gateway passes it on.
        problems.push(
          `secret ${secret.metadata.namespace ?? owner.namespace}/${secret.metadata.name}: client ${JSON.stringify(client)} has an empty key`,
        );
        return undefined;
      }
      if (keys.has(key)) {
        problems.push("duplicated API key");
        return undefined;
      }
      clients.add(client);
      keys.add(key);
      out.push({ client, key });
    }
  }
  return out;
}
