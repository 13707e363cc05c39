/**
 * ClientTrafficPolicy's PROXY protocol, client IP detection, headers and path fields → ClientTrafficIr, as
 * Envoy Gateway v1.9 translates them. A value Envoy would refuse (a header name that is not a token, a
 * CIDR that does not parse, an unknown enum value, two mutually exclusive fields) is reported as
 * `<field path>: <why>` so the policy is Accepted=False and never reaches Envoy.
 */
import { isIP } from "node:net";
import { re2Problem } from "../regex";
import { formatStringProblem } from "../validate-values";
import type {
  ClientIpIr,
  HeaderMutationIr,
  HeaderNameMatchIr,
  HttpSettingsOverrideIr,
  ListenerHeadersIr,
  ProxyProtocolIr,
  XfccIr,
} from "../../ir/client-traffic-http-ir";
import type {
  ClientIPDetectionSettings,
  ClientTrafficPolicySpec,
  HeaderSettings,
  HTTPHeaderModifier,
} from "../../resources/client-traffic-policy";

/** The IR fields this file fills in. */
export interface HttpListenerParts {
  readonly proxyProtocol?: ProxyProtocolIr;
  readonly clientIp?: ClientIpIr;
  readonly headers?: ListenerHeadersIr;
  readonly httpSettings?: HttpSettingsOverrideIr;
}

/** RFC 9110 token: what Envoy accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value without CR, LF or NUL (what Envoy accepts). */
const HEADER_VALUE = /^[^\r\n\0]*$/;

const XFCC_MODES = ["Sanitize", "ForwardOnly", "AppendForward", "SanitizeSet", "AlwaysForwardOnly"] as const;
const XFCC_DETAILS = ["Subject", "Cert", "Chain", "DNS", "URI"] as const;
const UNDERSCORES = ["Allow", "RejectRequest", "DropHeader"] as const;
const REQUEST_ID = ["PreserveOrGenerate", "Preserve", "Generate", "Disable"] as const;
const ESCAPED_SLASHES = ["KeepUnchanged", "RejectRequest", "UnescapeAndForward", "UnescapeAndRedirect"] as const;
const MATCH_TYPES = ["Exact", "Prefix", "Suffix", "RegularExpression"] as const;

/** `value` when it is one of `allowed`, else reports it and returns undefined. */
function oneOf<T extends string>(
  field: string,
  value: string | undefined,
  allowed: readonly T[],
  invalid: string[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  invalid.push(`spec.${field}: "${value}" is not one of ${allowed.join(", ")}`);
  return undefined;
}

/** Translates the policy's proxyProtocol, clientIPDetection, headers and path fields. */
export function translateHttpListenerParts(spec: ClientTrafficPolicySpec, invalid: string[]): HttpListenerParts {
  const proxyProtocol = proxyProtocolOf(spec);
  const clientIp = spec.clientIPDetection ? clientIpOf(spec.clientIPDetection, invalid) : undefined;
  const headers = spec.headers ? headersOf(spec.headers, invalid) : undefined;
  const httpSettings: HttpSettingsOverrideIr = {
    ...(clientIp && !clientIp.directSourceIp ? { useRemoteAddress: false } : {}),
    ...(spec.headers ? headerSettingsOf(spec.headers, invalid) : {}),
    ...pathSettingsOf(spec, invalid),
  };
  return {
    ...(proxyProtocol ? { proxyProtocol } : {}),
    ...(clientIp ? { clientIp } : {}),
    ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
    ...(Object.keys(httpSettings).length > 0 ? { httpSettings } : {}),
  };
}

/** Envoy Gateway: `proxyProtocol` (even `{}`) wins over the deprecated `enableProxyProtocol: true`. */
function proxyProtocolOf(spec: ClientTrafficPolicySpec): ProxyProtocolIr | undefined {
  if (spec.proxyProtocol) return { optional: spec.proxyProtocol.optional === true };
  return spec.enableProxyProtocol === true ? { optional: false } : undefined;
}

function clientIpOf(c: ClientIPDetectionSettings, invalid: string[]): ClientIpIr | undefined {
  const set = (["xForwardedFor", "customHeader", "directSourceIP"] as const).filter((k) => c[k] !== undefined);
  if (set.length !== 1) {
    invalid.push(
      `spec.clientIPDetection: exactly one of xForwardedFor, customHeader, or directSourceIP must be set (${set.length > 0 ? set.join(", ") : "none"} set)`,
    );
    return undefined;
  }
  if (c.customHeader) {
    const name = c.customHeader.name;
    if (!HEADER_NAME.test(name ?? "")) {
      invalid.push(`spec.clientIPDetection.customHeader.name: "${name ?? ""}" is not a valid header name`);
      return undefined;
    }
    return { customHeader: { name, failClosed: c.customHeader.failClosed === true } };
  }
  const x = c.xForwardedFor;
  // directSourceIP: the connection's peer is the client, as without a policy (use_remote_address, no trusted
  // X-Forwarded-For hop); Envoy Gateway writes no detection extension for it.
  if (!x) return { directSourceIp: true };
  return xffOf(x, invalid);
}

function xffOf(x: NonNullable<ClientIPDetectionSettings["xForwardedFor"]>, invalid: string[]): ClientIpIr | undefined {
  const field = "spec.clientIPDetection.xForwardedFor";
  if ((x.numTrustedHops === undefined) === (x.trustedCIDRs === undefined)) {
    invalid.push(`${field}: only one of numTrustedHops or trustedCIDRs must be set`);
    return undefined;
  }
  const skipAppend = x.disableXForwardedForAppend === true;
  if (x.numTrustedHops !== undefined) {
    const n = x.numTrustedHops;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      invalid.push(`${field}.numTrustedHops: ${String(n)} must be a whole number from 0`);
      return undefined;
    }
    return { xff: { numTrustedHops: n, skipAppend } };
  }
  const cidrs = (x.trustedCIDRs ?? []).map((c, i) => cidrOf(`${field}.trustedCIDRs[${i}]`, c, invalid));
  if (cidrs.length === 0) invalid.push(`${field}.trustedCIDRs: must list at least one CIDR`);
  if (cidrs.length === 0 || cidrs.some((c) => c === undefined)) return undefined;
  return { xff: { trustedCidrs: cidrs as { addressPrefix: string; prefixLen: number }[], skipAppend } };
}

function cidrOf(
  field: string,
  value: string,
  invalid: string[],
): { addressPrefix: string; prefixLen: number } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(String(value));
  const family = m ? isIP(m[1]) : 0;
  const len = m ? Number(m[2]) : -1;
  if (!m || family === 0 || len > (family === 4 ? 32 : 128)) {
    invalid.push(`${field}: "${value}" is not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`);
    return undefined;
  }
  return { addressPrefix: m[1], prefixLen: len };
}

function headersOf(h: HeaderSettings, invalid: string[]): ListenerHeadersIr {
  const xfcc = h.xForwardedClientCert ? xfccOf(h.xForwardedClientCert, invalid) : undefined;
  const early = h.earlyRequestHeaders
    ? modifierOf("headers.earlyRequestHeaders", h.earlyRequestHeaders, invalid)
    : undefined;
  const late = h.lateResponseHeaders
    ? modifierOf("headers.lateResponseHeaders", h.lateResponseHeaders, invalid)
    : undefined;
  const strip = h.host?.stripTrailingHostDot;
  return {
    ...(xfcc ? { xfcc } : {}),
    ...(early ? { earlyRequest: early } : {}),
    ...(late ? { lateResponse: late } : {}),
    ...(strip !== undefined ? { stripTrailingHostDot: strip } : {}),
    ...(h.disableRateLimitHeaders === true ? { disableRateLimitHeaders: true } : {}),
  };
}

function xfccOf(x: NonNullable<HeaderSettings["xForwardedClientCert"]>, invalid: string[]): XfccIr | undefined {
  const field = "headers.xForwardedClientCert";
  const mode = x.mode === undefined ? "Sanitize" : oneOf(`${field}.mode`, x.mode, XFCC_MODES, invalid);
  const details = (x.certDetailsToAdd ?? []).map((d, i) =>
    oneOf(`${field}.certDetailsToAdd[${i}]`, d, XFCC_DETAILS, invalid),
  );
  if (mode === undefined || details.some((d) => d === undefined)) return undefined;
  if (details.length > 0 && mode !== "AppendForward" && mode !== "SanitizeSet") {
    invalid.push(`spec.${field}: certDetailsToAdd can only be set when mode is AppendForward or SanitizeSet`);
    return undefined;
  }
  return { mode, certDetails: details as XfccIr["certDetails"] };
}

function headerSettingsOf(h: HeaderSettings, invalid: string[]): HttpSettingsOverrideIr {
  const underscores = oneOf("headers.withUnderscoresAction", h.withUnderscoresAction, UNDERSCORES, invalid);
  if (h.preserveXRequestID !== undefined && h.requestID !== undefined) {
    invalid.push("spec.headers: preserveXRequestID and requestID cannot both be set.");
  }
  const requestId =
    oneOf("headers.requestID", h.requestID, REQUEST_ID, invalid) ??
    (h.preserveXRequestID === true ? ("PreserveOrGenerate" as const) : undefined);
  return {
    ...(underscores ? { withUnderscoresAction: underscores } : {}),
    ...(requestId ? { requestId } : {}),
    ...(h.enableEnvoyHeaders !== undefined ? { enableEnvoyHeaders: h.enableEnvoyHeaders } : {}),
  };
}

function pathSettingsOf(spec: ClientTrafficPolicySpec, invalid: string[]): HttpSettingsOverrideIr {
  const p = spec.path;
  if (!p) return {};
  const escaped = oneOf("path.escapedSlashesAction", p.escapedSlashesAction, ESCAPED_SLASHES, invalid);
  return {
    ...(p.disableMergeSlashes !== undefined ? { mergeSlashes: !p.disableMergeSlashes } : {}),
    ...(escaped ? { escapedSlashesAction: escaped } : {}),
  };
}

/**
 * A header modifier, checked as Envoy Gateway checks it: names are tokens without `/` or `:`, values have no
 * CR/LF and are Envoy format strings (Envoy refuses a lone `%`); a name repeated across add/set/addIfAbsent keeps its first entry (as Envoy Gateway does).
 */
function modifierOf(field: string, m: HTTPHeaderModifier, invalid: string[]): HeaderMutationIr | undefined {
  const before = invalid.length;
  const seen = new Set<string>();
  const headers = (key: "add" | "set" | "addIfAbsent"): { name: string; value: string }[] =>
    (m[key] ?? []).flatMap((h, i) => {
      const at = `spec.${field}.${key}[${i}]`;
      if (!HEADER_NAME.test(h.name ?? "")) invalid.push(`${at}.name: "${h.name ?? ""}" is not a valid header name`);
      else if (!HEADER_VALUE.test(h.value ?? "")) invalid.push(`${at}.value: must not contain CR, LF or NUL`);
      else if (formatStringProblem(h.value ?? "")) invalid.push(`${at}.value: ${formatStringProblem(h.value ?? "")}`);
      else if (!seen.has(h.name.toLowerCase())) {
        seen.add(h.name.toLowerCase());
        return [{ name: h.name, value: h.value ?? "" }];
      }
      return [];
    });
  const add = headers("add");
  const set = headers("set");
  const addIfAbsent = headers("addIfAbsent");
  const remove = (m.remove ?? []).filter((name, i) => {
    const ok = HEADER_NAME.test(name ?? "");
    if (!ok) invalid.push(`spec.${field}.remove[${i}]: "${name ?? ""}" is not a valid header name`);
    return ok;
  });
  const removeOnMatch = (m.removeOnMatch ?? []).map((s, i): HeaderNameMatchIr | undefined => {
    const type = oneOf(`${field}.removeOnMatch[${i}].type`, s.type ?? "Exact", MATCH_TYPES, invalid);
    const bad = type === "RegularExpression" ? re2Problem(s.value) : undefined;
    if (bad) invalid.push(`spec.${field}.removeOnMatch[${i}].value: ${bad}`);
    return type && !bad ? { type, value: s.value } : undefined;
  });
  if (invalid.length > before) return undefined;
  return { add, set, addIfAbsent, remove, removeOnMatch: removeOnMatch as HeaderNameMatchIr[] };
}
