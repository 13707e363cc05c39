/**
 * Checks on the strings a route hands to Envoy (header names and values, hostnames, paths): a value Envoy
 * would NACK must be refused here, or one route would freeze its whole listener's update. Each check
 * returns why the value is refused (undefined when it is fine); callers put the field path in front.
 *
 * What Envoy refuses (proved against real Envoy in test/standalone/envoy-rejects.test.ts): NUL, CR or LF
 * in any header name or value, host redirect/rewrite, path redirect or rewrite substitution; `:`-prefixed
 * names and `host` in request/response header additions and removals; `?` or `#` in a path-separated
 * prefix. What the Gateway API CRD schema refuses (the file provider has no API server to enforce it):
 * header names that are not RFC 7230 tokens, hostnames that are not RFC 1123 names. Header modifier values are
 * Envoy format strings (Envoy Gateway documents it: `%REQ(Host)%`, `%DOWNSTREAM_REMOTE_ADDRESS%`): Envoy refuses a
 * `%` that starts no command operator (`50%`) and an unknown operator (`%FOO%`); `%%` is a literal `%`.
 */

/** The checks a test may turn off to send Envoy a value it rejects (test-only hook, see {@link valueChecks}). */
export type ValueCheck = "header" | "text" | "path" | "regex" | "format";

/**
 * Test-only hook: the checks listed in `disabled` are skipped, so a test can send Envoy a value it rejects
 * (to prove the check matches Envoy, and to force a NACK). Production code never changes it.
 */
export const valueChecks: { disabled: ReadonlySet<ValueCheck> } = { disabled: new Set() };

/** True when the check runs (not turned off by a test). */
export function checking(c: ValueCheck): boolean {
  return !valueChecks.disabled.has(c);
}

/** RFC 7230 token, the Gateway API's HTTPHeaderName pattern. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** RFC 1123 hostname, the Gateway API's PreciseHostname pattern. */
const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Control characters other than horizontal tab (RFC 7230 field values allow HTAB, SP, VCHAR, obs-text). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** The first control character of `s`, escaped for a message (e.g. `\n`, `\u0000`). */
function firstControl(s: string): string | undefined {
  const m = CONTROL.exec(String(s));
  if (!m) return undefined;
  const c = m[0];
  return c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `s` quoted for a message, with control characters escaped and cut to 100 characters. */
export function quote(s: string): string {
  const text = String(s);
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

/** "is not a string" when a value of the wrong type got past the schema (the file provider has none). */
function notString(v: unknown): string | undefined {
  return typeof v === "string" ? undefined : `is not a string (${typeof v})`;
}

/** Why `name` is not a valid HTTP header name (RFC 7230 token), if so. */
export function headerNameProblem(name: string): string | undefined {
  if (!checking("header")) return undefined;
  if (typeof name !== "string") return notString(name);
  if (name === "") return "is empty";
  if (!TOKEN.test(name)) {
    const bad = firstControl(name);
    return bad
      ? `contains the control character ${bad}`
      : "is not a valid header name (RFC 7230 token: letters, digits and !#$%&'*+-.^_`|~)";
  }
  return undefined;
}

/** Why a header modifier may not touch `name` in Envoy (pseudo-headers and Host), if so. */
export function modifiableHeaderProblem(name: string): string | undefined {
  if (!checking("header") || typeof name !== "string") return undefined;
  if (name.toLowerCase() === "host") {
    return "cannot be modified by a header modifier (Envoy refuses it); use URLRewrite hostname to change the Host";
  }
  return undefined;
}

/** Why `value` cannot be an HTTP header value (control characters such as CR, LF or NUL), if so. */
export function textProblem(value: string): string | undefined {
  if (!checking("text")) return undefined;
  if (typeof value !== "string") return notString(value);
  const bad = firstControl(value);
  return bad ? `contains the control character ${bad}` : undefined;
}

/**
 * Envoy command operators egts lets through in header values, each proved accepted by Envoy 1.36 in
 * test/standalone/header-format-strings.test.ts. Envoy knows more; a value using one not listed here is refused
 * (with a message) rather than risk a NACK. `args`: required, optional or none (`%NAME(args)%`).
 */
export const HEADER_COMMANDS: Readonly<Record<string, "none" | "optional" | "required">> = {
  REQ: "required",
  RESP: "required",
  START_TIME: "optional",
  PROTOCOL: "none",
  UPSTREAM_PROTOCOL: "none",
  HOSTNAME: "none",
  REQUESTED_SERVER_NAME: "none",
  ROUTE_NAME: "none",
  CONNECTION_ID: "none",
  STREAM_ID: "none",
  UPSTREAM_CLUSTER: "none",
  UPSTREAM_HOST: "none",
  UPSTREAM_LOCAL_ADDRESS: "none",
  UPSTREAM_REMOTE_ADDRESS: "none",
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: "none",
  UPSTREAM_REMOTE_PORT: "none",
  UPSTREAM_TLS_VERSION: "none",
  DOWNSTREAM_REMOTE_ADDRESS: "none",
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: "none",
  DOWNSTREAM_REMOTE_PORT: "none",
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: "none",
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: "none",
  DOWNSTREAM_DIRECT_REMOTE_PORT: "none",
  DOWNSTREAM_LOCAL_ADDRESS: "none",
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: "none",
  DOWNSTREAM_LOCAL_PORT: "none",
  DOWNSTREAM_LOCAL_URI_SAN: "none",
  DOWNSTREAM_PEER_URI_SAN: "none",
  DOWNSTREAM_LOCAL_SUBJECT: "none",
  DOWNSTREAM_PEER_SUBJECT: "none",
  DOWNSTREAM_PEER_ISSUER: "none",
  DOWNSTREAM_PEER_FINGERPRINT_256: "none",
  DOWNSTREAM_PEER_SERIAL: "none",
  DOWNSTREAM_PEER_CERT: "none",
  DOWNSTREAM_TLS_VERSION: "none",
  DOWNSTREAM_TLS_CIPHER: "none",
  DOWNSTREAM_TLS_SESSION_ID: "none",
  TLS_JA3_FINGERPRINT: "none",
  TLS_JA4_FINGERPRINT: "none",
  RESPONSE_CODE: "none",
  RESPONSE_FLAGS: "none",
  BYTES_RECEIVED: "none",
  BYTES_SENT: "none",
  DURATION: "none",
};

/** One `%...%` operator: name, optional `(args)`, optional `:maxLength`. */
const OPERATOR = /^%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::\d+)?%/;

/**
 * Why Envoy would refuse `value` as a header value format string, if so: a `%` that starts no command operator
 * (`%%` is a literal `%`), or an operator egts does not know (see {@link HEADER_COMMANDS}).
 */
export function formatStringProblem(value: string): string | undefined {
  if (!checking("format") || typeof value !== "string") return undefined;
  const literal = 'Envoy reads header values as format strings: write "%%" for a literal "%"';
  for (let i = value.indexOf("%"); i !== -1; i = value.indexOf("%", i)) {
    if (value[i + 1] === "%") {
      i += 2;
      continue;
    }
    const m = OPERATOR.exec(value.slice(i));
    if (!m) return `has a "%" at position ${i} that starts no Envoy command operator (${literal})`;
    const [op, name, args] = m;
    const takes = HEADER_COMMANDS[name];
    if (takes === undefined) return `uses the command operator %${name}%, which egts does not accept (${literal})`;
    if ((takes === "required" && !args) || (takes === "none" && args !== undefined)) {
      return `uses %${name}% ${takes === "required" ? "without" : "with"} arguments (${literal})`;
    }
    i += op.length;
  }
  return undefined;
}

/** Why `host` cannot be a redirect or rewrite hostname (RFC 1123, no port, no spaces), if so. */
export function hostnameProblem(host: string): string | undefined {
  const text = textProblem(host);
  if (text) return text;
  if (!checking("text")) return undefined;
  if (host.length > 253 || !HOSTNAME.test(host)) {
    return "is not a valid hostname (RFC 1123: lower-case letters, digits, '-' and '.', at most 253 characters)";
  }
  return undefined;
}

/** Why `path` cannot be a redirect or rewrite path (absolute, no spaces or control characters), if so. */
export function rewritePathProblem(path: string): string | undefined {
  const text = textProblem(path);
  if (text) return text;
  if (!checking("text")) return undefined;
  if (/\s/.test(path)) return "contains whitespace (percent-encode it, e.g. %20)";
  if (path !== "" && !path.startsWith("/")) return 'must start with "/"';
  return undefined;
}

/** Why `value` cannot be a PathPrefix or Exact path match (Envoy refuses `?` and `#` in a prefix), if so. */
export function matchPathProblem(type: string, value: string): string | undefined {
  if (!checking("path")) return undefined;
  if (typeof value !== "string") return notString(value);
  const bad = firstControl(value);
  if (bad) return `contains the control character ${bad}`;
  if (!value.startsWith("/")) return 'must start with "/"';
  if (type === "PathPrefix" && /[?#]/.test(value)) {
    return 'must not contain "?" or "#" (a path match never sees the query string or fragment)';
  }
  return undefined;
}

/** `${field} ${quote(value)} ${problem}`, or undefined when there is no problem. */
export function describe(field: string, value: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${field} ${quote(value)} ${problem}`;
}

/** The parts of a match these checks look at (HTTPRoute and GRPCRoute matches). */
interface MatchLike {
  readonly path?: { readonly type?: string; readonly value?: string };
  readonly headers?: readonly { readonly name: string }[];
  readonly queryParams?: readonly { readonly name: string }[];
}

/** The first invalid path value, header name or query parameter name of `matches`, described. */
export function matchValueProblem(matches: readonly MatchLike[], where: string): string | undefined {
  for (const [mi, m] of matches.entries()) {
    const at = `${where}: matches[${mi}]`;
    const type = m.path?.type ?? "PathPrefix";
    const value = m.path?.value;
    if (value !== undefined && type !== "RegularExpression") {
      const bad = describe(`${at}.path.value`, value, matchPathProblem(type, value));
      if (bad) return bad;
    }
    for (const [hi, h] of (m.headers ?? []).entries()) {
      const bad = describe(`${at}.headers[${hi}].name`, h.name, headerNameProblem(h.name));
      if (bad) return bad;
    }
    for (const [qi, q] of (m.queryParams ?? []).entries()) {
      const bad = describe(`${at}.queryParams[${qi}].name`, q.name, headerNameProblem(q.name));
      if (bad) return bad;
    }
  }
  return undefined;
}
