/**
 * ClientTrafficIr's PROXY protocol, client IP detection and header settings → Envoy, as Envoy Gateway v1.9's
 * xDS translator writes them: the proxy_protocol listener filter (first), HTTP connection manager fields
 * (original IP detection extensions, XFCC, early header mutation, strip_trailing_host_dot) and the listener's
 * header_mutation filter for late response headers. Each function returns only what the policy sets. (The
 * settings that override Envoy Gateway's defaults, such as use_remote_address, underscores, request ID and
 * path handling, go through listener-defaults.ts: see `httpListenerSettings` in client-traffic.ts.)
 */
import {
  HeaderValueOption_HeaderAppendAction,
  type HeaderValueOption,
} from "../../../../proto/gen/envoy/config/core/v3/base";
import { HttpConnectionManager_ForwardClientCertDetails as Xfcc } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { StatusCode } from "../../../../proto/gen/envoy/type/v3/http_status";
import { pack } from "../../../../proto/any";
import type { ClientTrafficIr } from "../../ir/client-traffic-ir";
import type { ClientIpIr, HeaderMutationIr, HeaderNameMatchIr, XfccIr } from "../../ir/client-traffic-http-ir";
import {
  CustomHeaderIpDetectionType,
  EarlyHeaderMutationType,
  ProxyProtocolListenerType,
  XffIpDetectionType,
} from "../extension-types";

/** The proxy_protocol listener filter's name (Envoy Gateway puts it before every other listener filter). */
export const PROXY_PROTOCOL_FILTER = "envoy.filters.listener.proxy_protocol";

/** Listener filters a policy adds in front of `others` (the PROXY header is read before TLS inspection). */
export function withProxyProtocol(ir: ClientTrafficIr | undefined, others: readonly unknown[]): unknown[] {
  const pp = ir?.proxyProtocol;
  if (!pp) return [...others];
  const config = ProxyProtocolListenerType.codec.fromPartial({
    ...(pp.optional ? { allowRequestsWithoutProxyProtocol: true } : {}),
  } as never);
  return [{ name: PROXY_PROTOCOL_FILTER, typedConfig: pack(ProxyProtocolListenerType, config) }, ...others];
}

const XFCC: Readonly<Record<XfccIr["mode"], Xfcc>> = {
  Sanitize: Xfcc.SANITIZE,
  ForwardOnly: Xfcc.FORWARD_ONLY,
  AppendForward: Xfcc.APPEND_FORWARD,
  SanitizeSet: Xfcc.SANITIZE_SET,
  AlwaysForwardOnly: Xfcc.ALWAYS_FORWARD_ONLY,
};

/**
 * The HttpConnectionManager fields the policy's client IP detection and header settings add (the settings
 * that override Envoy Gateway's defaults are in `httpListenerSettings`, client-traffic.ts).
 */
export function clientHttpFields(ir: ClientTrafficIr | undefined): Record<string, unknown> {
  const h = ir?.headers;
  return {
    ...(ir?.clientIp && !ir.clientIp.directSourceIp ? { originalIpDetectionExtensions: ipDetection(ir.clientIp) } : {}),
    ...(h?.xfcc ? xfccFields(h.xfcc) : {}),
    ...(h?.earlyRequest ? { earlyHeaderMutationExtensions: [earlyMutation(h.earlyRequest)] } : {}),
    ...(h?.stripTrailingHostDot !== undefined ? { stripTrailingHostDot: h.stripTrailingHostDot } : {}),
  };
}

function ipDetection(c: ClientIpIr): unknown[] {
  if (c.customHeader) {
    const config = CustomHeaderIpDetectionType.codec.fromPartial({
      headerName: c.customHeader.name,
      allowExtensionToSetAddressAsTrusted: true,
      ...(c.customHeader.failClosed ? { rejectWithStatus: { code: StatusCode.Forbidden } } : {}),
    } as never);
    const name = "envoy.extensions.http.original_ip_detection.custom_header";
    return [{ name, typedConfig: pack(CustomHeaderIpDetectionType, config) }];
  }
  const x = c.xff ?? { skipAppend: false };
  const config = x.trustedCidrs
    ? { xffNumTrustedHops: 0, xffTrustedCidrs: { cidrs: x.trustedCidrs }, skipXffAppend: x.skipAppend }
    : // Envoy Gateway counts the proxy itself as a hop: Envoy's count is one less (envoyproxy/envoy#34241).
      { xffNumTrustedHops: Math.max(0, (x.numTrustedHops ?? 0) - 1), skipXffAppend: x.skipAppend };
  return [
    {
      name: "envoy.extensions.http.original_ip_detection.xff",
      typedConfig: pack(XffIpDetectionType, XffIpDetectionType.codec.fromPartial(config as never)),
    },
  ];
}

function xfccFields(x: XfccIr): Record<string, unknown> {
  const details = new Set(x.certDetails);
  const set = (x.mode === "AppendForward" || x.mode === "SanitizeSet") && details.size > 0;
  return {
    forwardClientCertDetails: XFCC[x.mode],
    ...(set
      ? {
          setCurrentClientCertDetails: {
            ...(details.has("Subject") ? { subject: true } : {}),
            cert: details.has("Cert"),
            chain: details.has("Chain"),
            dns: details.has("DNS"),
            uri: details.has("URI"),
          },
        }
      : {}),
  };
}

/** Envoy header mutations: add (append), set (overwrite), addIfAbsent, then removals. */
export function headerMutations(m: HeaderMutationIr): unknown[] {
  const option = (name: string, value: string, appendAction: HeaderValueOption_HeaderAppendAction): unknown => ({
    append: { header: { key: name, value }, appendAction, keepEmptyValue: value === "" } as Partial<HeaderValueOption>,
  });
  return [
    ...m.add.map((h) => option(h.name, h.value, HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)),
    ...m.set.map((h) => option(h.name, h.value, HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
    ...m.addIfAbsent.map((h) => option(h.name, h.value, HeaderValueOption_HeaderAppendAction.ADD_IF_ABSENT)),
    ...m.remove.map((name) => ({ remove: name })),
    ...m.removeOnMatch.map((r) => ({ removeOnMatch: { keyMatcher: stringMatcher(r) } })),
  ];
}

/** A header name (or SAN) matcher → Envoy's StringMatcher. */
export function stringMatcher(r: HeaderNameMatchIr): Record<string, unknown> {
  switch (r.type) {
    case "Exact":
      return { exact: r.value };
    case "Prefix":
      return { prefix: r.value };
    case "Suffix":
      return { suffix: r.value };
    default:
      return { safeRegex: { regex: r.value } };
  }
}

function earlyMutation(m: HeaderMutationIr): unknown {
  const config = EarlyHeaderMutationType.codec.fromPartial({ mutations: headerMutations(m) } as never);
  return {
    name: "envoy.http.early_header_mutation.header_mutation",
    typedConfig: pack(EarlyHeaderMutationType, config),
  };
}
