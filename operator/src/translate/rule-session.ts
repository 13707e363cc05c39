/**
 * HTTPRoute rule sessionPersistence → SessionPersistenceIr, with the checks the CRD's validation rules
 * make (the file provider has no API server to make them) and the limits of Envoy's stateful sessions.
 */
import { createHash } from "node:crypto";
import type { SessionPersistenceIr } from "../ir/xds-ir";
import type { SessionPersistence } from "../resources/gateway-api";
import { parseDuration } from "./duration";

/** RFC 7230 token: the spec's pattern for header and cookie names. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/;

/** The spec's limit on cookie.path. */
const MAX_PATH = 1024;

/**
 * Compiles a rule's session persistence; undefined when there is none; a string is the message of an
 * invalid or unsupported value. `ruleKey` (namespace/route/rule) seeds the generated cookie name.
 */
export function compileSessionPersistence(
  sp: SessionPersistence | undefined,
  where: string,
  ruleKey: string,
): SessionPersistenceIr | undefined | string {
  if (!sp) return undefined;
  const type = sp.type ?? "Cookie";
  const at = `${where}: sessionPersistence`;
  if (type !== "Cookie" && type !== "Header") {
    return `${at}.type "${type}" is not supported (use Cookie or Header)`;
  }
  if (type === "Header") return headerSession(sp, at);
  return cookieSession(sp, at, ruleKey);
}

function headerSession(sp: SessionPersistence, at: string): SessionPersistenceIr | string {
  if (sp.cookie) return `${at}.cookie must not be set when type is Header; remove it or use type Cookie`;
  if (!sp.header) return `${at}.header.name is required when type is Header`;
  if (!TOKEN.test(sp.header.name ?? "")) {
    return `${at}.header.name "${sp.header.name}" is not a valid header name`;
  }
  if (sp.absoluteTimeout !== undefined) {
    return `${at}.absoluteTimeout is not supported with type Header (Envoy's header sessions do not expire); remove it`;
  }
  return { type: "Header", name: sp.header.name };
}

function cookieSession(sp: SessionPersistence, at: string, ruleKey: string): SessionPersistenceIr | string {
  if (sp.header) return `${at}.header must not be set when type is Cookie; remove it or use type Header`;
  if (!sp.cookie) return `${at}.cookie is required when type is Cookie (e.g. cookie: { name: session })`;
  const c = sp.cookie;
  if (c.name !== undefined && !TOKEN.test(c.name)) return `${at}.cookie.name "${c.name}" is not a valid cookie name`;
  const path = c.path ?? "/";
  if (!path.startsWith("/") || path.length > MAX_PATH || /[;\s]/.test(path)) {
    return `${at}.cookie.path "${path}" must be an absolute path without ";" or spaces`;
  }
  const ttl = cookieTtl(c.lifetimeType ?? "Session", sp.absoluteTimeout, at);
  if (typeof ttl === "string") return ttl;
  return {
    type: "Cookie",
    name: c.name ?? generatedCookieName(ruleKey),
    path,
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
  };
}

/** The cookie's Max-Age: absoluteTimeout for a Permanent cookie, none for a Session cookie. */
function cookieTtl(lifetime: string, absoluteTimeout: string | undefined, at: string): number | undefined | string {
  if (lifetime !== "Session" && lifetime !== "Permanent") {
    return `${at}.cookie.lifetimeType "${lifetime}" is not supported (use Session or Permanent)`;
  }
  const ttl = ttlSeconds(absoluteTimeout, at);
  if (typeof ttl === "string") return ttl;
  if (lifetime === "Permanent" && ttl === undefined) {
    return `${at}.absoluteTimeout is required when cookie.lifetimeType is Permanent (it sets the cookie's Max-Age)`;
  }
  if (lifetime === "Session" && ttl !== undefined) {
    // Envoy can only bound a session by the cookie's Max-Age, which would make it a permanent cookie.
    return `${at}.absoluteTimeout with cookie.lifetimeType Session is not supported; use lifetimeType Permanent or remove absoluteTimeout`;
  }
  return ttl;
}

/** absoluteTimeout in whole seconds (the unit of Max-Age); a string when it is invalid. */
function ttlSeconds(text: string | undefined, at: string): number | undefined | string {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) return `${at}.absoluteTimeout "${text}" is not a Gateway API duration (e.g. 30m, 1h)`;
  if (ms < 1000 || ms % 1000 !== 0) {
    return `${at}.absoluteTimeout "${text}" must be a whole number of seconds, at least 1s (cookie Max-Age is in seconds)`;
  }
  return ms / 1000;
}

/** The spec: without cookie.name a unique name SHOULD be generated; this one is stable per rule. */
function generatedCookieName(ruleKey: string): string {
  return `egts-session-${createHash("sha256").update(ruleKey).digest("hex").slice(0, 12)}`;
}
