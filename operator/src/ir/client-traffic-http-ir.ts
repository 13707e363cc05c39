/**
 * ClientTrafficPolicy's listener-facing HTTP settings, normalized for Envoy: PROXY protocol, client IP
 * detection, header handling and path handling. The translator (translate/policies/client-traffic-http.ts)
 * fills them in; the xDS translator (xds/translate/client-traffic-http.ts) turns them into listener filters,
 * HTTP connection manager fields and the listener's header_mutation filter.
 */

/** The PROXY protocol listener filter (v1 and v2 headers are both accepted). */
export interface ProxyProtocolIr {
  /** Connections without a PROXY header are accepted too. */
  readonly optional: boolean;
}

/** A CIDR range, split as Envoy's CidrRange has it. */
export interface CidrIr {
  readonly addressPrefix: string;
  readonly prefixLen: number;
}

/** How the client address is found (exactly one of `xff` or `customHeader`). */
export interface ClientIpIr {
  /** From X-Forwarded-For: trusted hops as the policy counts them (the proxy itself included), or trusted CIDRs. */
  readonly xff?: {
    readonly numTrustedHops?: number;
    readonly trustedCidrs?: readonly CidrIr[];
    readonly skipAppend: boolean;
  };
  /** From a request header; `failClosed` answers 403 when it is missing or not an address. */
  readonly customHeader?: { readonly name: string; readonly failClosed: boolean };
  /**
   * directSourceIP: the connection's peer is the client, as without a policy (no detection extension, Envoy's
   * use_remote_address kept); carried so that features needing an explicit detection mode see it.
   */
  readonly directSourceIp?: true;
}

/** A string matcher (header names of removeOnMatch, http1.ignoredUpgradeTypes). */
export interface HeaderNameMatchIr {
  readonly type: "Exact" | "Prefix" | "Suffix" | "RegularExpression";
  readonly value: string;
}

/** One header modifier, in Envoy's order: add (append), set (overwrite), addIfAbsent, remove, removeOnMatch. */
export interface HeaderMutationIr {
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly addIfAbsent: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
  readonly removeOnMatch: readonly HeaderNameMatchIr[];
}

/** The x-forwarded-client-cert handling (HCM forward_client_cert_details and set_current_client_cert_details). */
export interface XfccIr {
  readonly mode: "Sanitize" | "ForwardOnly" | "AppendForward" | "SanitizeSet" | "AlwaysForwardOnly";
  /** Certificate fields added (AppendForward and SanitizeSet only). */
  readonly certDetails: readonly ("Subject" | "Cert" | "Chain" | "DNS" | "URI")[];
}

/** Header handling beyond the HCM defaults. */
export interface ListenerHeadersIr {
  readonly xfcc?: XfccIr;
  /** Applied before routing (HCM early_header_mutation_extensions). */
  readonly earlyRequest?: HeaderMutationIr;
  /** Applied to every response last (the listener's header_mutation filter). */
  readonly lateResponse?: HeaderMutationIr;
  /** HCM strip_trailing_host_dot. */
  readonly stripTrailingHostDot?: boolean;
  /**
   * headers.disableRateLimitHeaders: the global ratelimit filter writes no X-RateLimit-* response headers
   * (`enable_x_ratelimit_headers: OFF` instead of DRAFT_VERSION_03); only the ratelimit filter reads it.
   */
  readonly disableRateLimitHeaders?: boolean;
}

/** HTTP/1 settings (ClientTrafficPolicy `http1`); each absent when off (Envoy's default). */
export interface Http1SettingsIr {
  /** HTTP/1 trailers are proxied (`enable_trailers`). @default false */
  readonly enableTrailers?: boolean;
  /** Header names keep the case they were received with (the preserve_case stateful formatter). @default false */
  readonly preserveHeaderCase?: boolean;
  /**
   * HTTP/1.0 (and 0.9) requests are accepted (`accept_http_10`); `defaultHost` is the Host given to those
   * without one (`default_host_for_http_10`). @default undefined (refused with 426)
   */
  readonly http10?: { readonly defaultHost?: string };
  /**
   * `Upgrade` values Envoy drops (with the upgrade's Connection token) before routing, so the request is
   * proxied as plain HTTP/1.1 (`ignore_http_11_upgrade`); ClientTrafficPolicy `http1.ignoredUpgradeTypes`.
   * @default undefined (none: an upgrade the listener does not allow is refused with 403)
   */
  readonly ignoredUpgradeTypes?: readonly HeaderNameMatchIr[];
  /**
   * Past the max connection duration, HTTP/1 connections are drained Envoy's way (closed after the drain
   * timeout) instead of after the next response with `Connection: close` (`http1_safe_max_connection_duration`
   * false); ClientTrafficPolicy `http1.disableSafeMaxConnectionDuration`. @default false
   */
  readonly disableSafeMaxConnectionDuration?: boolean;
}

/** HTTP/2 settings (ClientTrafficPolicy http2); each absent keeps the listener default. */
export interface Http2SettingsIr {
  /** initialStreamWindowSize in bytes. */
  readonly initialStreamWindowSize?: number;
  /** initialConnectionWindowSize in bytes. */
  readonly initialConnectionWindowSize?: number;
  /** maxConcurrentStreams. */
  readonly maxConcurrentStreams?: number;
  /** onInvalidMessage: TerminateStream → true, TerminateConnection → false. */
  readonly resetStreamOnError?: boolean;
  /** connectionKeepalive: PINGs on client connections (Http2ProtocolOptions.connection_keepalive). */
  readonly connectionKeepalive?: Http2KeepaliveIr;
}

/** HTTP/2 PING keepalive, in milliseconds and percent; each absent keeps Envoy's default. */
export interface Http2KeepaliveIr {
  /** interval: time between PINGs (absent: none sent on a timer). */
  readonly intervalMs?: number;
  /** timeout: a PING unanswered this long closes the connection (Envoy requires it). */
  readonly timeoutMs: number;
  /** intervalJitter: random share of the interval added to each, percent (Envoy's default 15). */
  readonly intervalJitterPercent?: number;
  /** idleInterval: after this much idleness a PING goes ahead of the next stream (connection_idle_interval). */
  readonly idleIntervalMs?: number;
}

/**
 * Overrides of the HTTP connection manager's defaults, each absent when the policy does not set it. The
 * names and values are those of the listener defaults module's HttpListenerSettings (Envoy Gateway's
 * ClientTrafficPolicy names), so a policy applies as `{ ...defaults, ...overrides }`.
 */
export interface HttpSettingsOverrideIr {
  /** path.disableMergeSlashes, negated. */
  readonly mergeSlashes?: boolean;
  /** path.escapedSlashesAction. */
  readonly escapedSlashesAction?: "KeepUnchanged" | "RejectRequest" | "UnescapeAndRedirect" | "UnescapeAndForward";
  /** headers.withUnderscoresAction. */
  readonly withUnderscoresAction?: "Allow" | "RejectRequest" | "DropHeader";
  /** headers.requestID (or preserveXRequestID: true → PreserveOrGenerate). */
  readonly requestId?: "PreserveOrGenerate" | "Preserve" | "Generate" | "Disable";
  /** headers.enableEnvoyHeaders (the router's x-envoy-* headers). */
  readonly enableEnvoyHeaders?: boolean;
  /** False when clientIPDetection finds the client address through an extension. */
  readonly useRemoteAddress?: boolean;
  /** http1. */
  readonly http1?: Http1SettingsIr;
  /** http2 (merged field by field over the defaults). */
  readonly http2?: Http2SettingsIr;
  /** scheme: MatchBackend → true, Preserve → false. */
  readonly schemeMatchesUpstream?: boolean;
}
