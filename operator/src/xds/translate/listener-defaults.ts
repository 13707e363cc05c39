/**
 * Envoy Gateway's default listener behaviour, in one place: what every HTTP connection manager, its router
 * and every TCP listener get when no policy says otherwise. The values are Envoy Gateway v1.9's (its xDS
 * translator output for a Gateway with no ClientTrafficPolicy and no EnvoyProxy telemetry); docs/behaviour.md
 * explains each one and where we differ.
 *
 * A policy (ClientTrafficPolicy) overrides field by field: `{ ...HTTP_LISTENER_DEFAULTS, ...fromPolicy }`,
 * and the builders below turn the result into Envoy fields. Field names and values follow Envoy Gateway's
 * ClientTrafficPolicy where it has the setting (e.g. `escapedSlashesAction`, `withUnderscoresAction`).
 */
import type { HttpConnectionManager } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import {
  HttpConnectionManager_PathWithEscapedSlashesAction as EscapedSlashes,
  HttpConnectionManager_ServerHeaderTransformation as ServerHeader,
} from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { HttpProtocolOptions_HeadersWithUnderscoresAction as Underscores } from "../../../../proto/gen/envoy/config/core/v3/protocol";
import type { Router } from "../../../../proto/gen/envoy/extensions/filters/http/router/v3/router";
import { duration } from "./route-filters";
import { pack } from "../../../../proto/any";
import { PreserveCaseFormatterType } from "../extension-types";
import type { Http1SettingsIr, Http2SettingsIr } from "../../ir/client-traffic-http-ir";
import { stringMatcher } from "./client-traffic-http";

/** What happens to `%2F` / `%5C` in a path (ClientTrafficPolicy `path.escapedSlashesAction`). */
export type EscapedSlashesAction = "KeepUnchanged" | "RejectRequest" | "UnescapeAndRedirect" | "UnescapeAndForward";

/** What happens to a request header whose name has an underscore (ClientTrafficPolicy `headers.withUnderscoresAction`). */
export type WithUnderscoresAction = "Allow" | "RejectRequest" | "DropHeader";

/** How the x-request-id header is handled (ClientTrafficPolicy `headers.requestID`). */
export type RequestIdAction = "PreserveOrGenerate" | "Preserve" | "Generate" | "Disable";

/** HTTP/2 settings Envoy advertises to clients (ClientTrafficPolicy `http2`). */
export interface Http2Settings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS. @default 100 */
  readonly maxConcurrentStreams: number;
  /** Initial per-stream flow-control window, bytes. @default 65536 (64 KiB) */
  readonly initialStreamWindowSize: number;
  /** Initial connection flow-control window, bytes. @default 1048576 (1 MiB) */
  readonly initialConnectionWindowSize: number;
  /**
   * On an invalid HTTP/2 message, only the stream is reset (true) or the whole connection is closed (false)
   * (`override_stream_error_on_invalid_http_message`); ClientTrafficPolicy `http2.onInvalidMessage`.
   * Absent leaves Envoy's default (the connection is closed). @default undefined
   */
  readonly resetStreamOnError?: boolean;
  /**
   * PINGs on the connection (`connection_keepalive`): every `intervalMs` (plus jitter, percent) and ahead of a
   * stream after `idleIntervalMs` of idleness; one unanswered for `timeoutMs` closes the connection;
   * ClientTrafficPolicy `http2.connectionKeepalive`. @default undefined (no PINGs)
   */
  readonly connectionKeepalive?: {
    readonly intervalMs?: number;
    readonly timeoutMs: number;
    readonly intervalJitterPercent?: number;
    readonly idleIntervalMs?: number;
  };
}

/** HTTP/1 settings (ClientTrafficPolicy `http1`): the IR's; absent ones keep Envoy's defaults, as Envoy Gateway does. */
export type Http1Settings = Http1SettingsIr;

/** The settings of one HTTP listener's connection manager that a policy may change. */
export interface HttpListenerSettings {
  /**
   * RFC 3986 path normalisation before routing (`normalize_path`): `/login/../admin` is routed, and
   * forwarded, as `/admin`. Envoy Gateway has no switch for it. @default true
   */
  readonly normalizePath: boolean;
  /** Adjacent slashes merged before routing (`merge_slashes`); ClientTrafficPolicy `path.disableMergeSlashes`. @default true */
  readonly mergeSlashes: boolean;
  /** `%2F`, `%5C` in the path (`path_with_escaped_slashes_action`). @default "UnescapeAndRedirect" */
  readonly escapedSlashesAction: EscapedSlashesAction;
  /**
   * The client address is the connection's peer, and it is appended to X-Forwarded-For
   * (`use_remote_address`). False when the client address comes from a custom header. @default true
   */
  readonly useRemoteAddress: boolean;
  /** X-Forwarded-For entries trusted from the right (`xff_num_trusted_hops`); written only when above 0. @default 0 */
  readonly xffNumTrustedHops: number;
  /** Request headers with `_` in the name (`headers_with_underscores_action`). @default "RejectRequest" */
  readonly withUnderscoresAction: WithUnderscoresAction;
  /**
   * x-request-id handling; undefined leaves Envoy's default (generate one when absent, and replace one an
   * external client sent), which is what Envoy Gateway writes when the policy does not say. @default undefined
   */
  readonly requestId?: RequestIdAction;
  /**
   * The Server response header is passed through as the backend sent it, never added or overwritten
   * (`server_header_transformation: PASS_THROUGH`): Envoy is not advertised. @default "PassThrough"
   */
  readonly serverHeader: "PassThrough";
  /**
   * The `:scheme` sent upstream follows the upstream transport (https over TLS, else http) rather than the
   * client's (`scheme_header_transformation.match_upstream`). @default true
   */
  readonly schemeMatchesUpstream: boolean;
  /**
   * The router's `x-envoy-*` headers (x-envoy-upstream-service-time on responses, x-envoy-expected-rq-timeout-ms
   * upstream, …); ClientTrafficPolicy `headers.enableEnvoyHeaders`. @default false
   */
  readonly enableEnvoyHeaders: boolean;
  /** HTTP/2 settings. */
  readonly http2: Http2Settings;
  /** HTTP/1 settings (`http_protocol_options`); absent writes none. @default undefined */
  readonly http1?: Http1Settings;
  /** The whole request must arrive within it, else 408 (`request_timeout`), ms; absent: none. @default undefined */
  readonly requestTimeoutMs?: number;
  /** A stream with no activity is reset (`stream_idle_timeout`), ms; absent: Envoy's 5 minutes. @default undefined */
  readonly streamIdleTimeoutMs?: number;
  /**
   * A connection with no active stream is closed (`common_http_protocol_options.idle_timeout`), ms; absent:
   * Envoy's 1 hour. @default undefined
   */
  readonly idleTimeoutMs?: number;
  /**
   * A connection older than this is drained (`common_http_protocol_options.max_connection_duration`), ms; an
   * HTTP/1 one after its next response, with `Connection: close` (`http1_safe_max_connection_duration`), unless
   * `http1.disableSafeMaxConnectionDuration`; ClientTrafficPolicy `connection.connectionLimit.maxConnectionDuration`.
   * @default undefined (no limit)
   */
  readonly maxConnectionDurationMs?: number;
  /**
   * The request headers must arrive within it from their first byte, else 408 (`request_headers_timeout`), ms;
   * ClientTrafficPolicy `timeout.http.requestHeadersReceivedTimeout`. @default undefined (none)
   */
  readonly requestHeadersTimeoutMs?: number;
  /**
   * A connection is closed after this many requests (`common_http_protocol_options.max_requests_per_connection`);
   * ClientTrafficPolicy `connection.connectionLimit.maxRequestsPerConnection`. @default undefined (no limit)
   */
  readonly maxRequestsPerConnection?: number;
  /**
   * A stream older than this is reset (`common_http_protocol_options.max_stream_duration`), ms;
   * ClientTrafficPolicy `connection.connectionLimit.maxStreamDuration`. @default undefined (no limit)
   */
  readonly maxStreamDurationMs?: number;
}

/** Settings a policy overrides: any top-level field, and HTTP/2 settings one by one. */
export type HttpListenerOverrides = Partial<Omit<HttpListenerSettings, "http2">> & {
  readonly http2?: Partial<Http2Settings>;
};

/** The defaults with a policy's overrides spread over them (HTTP/2 settings merged field by field). */
export function withOverrides(defaults: HttpListenerSettings, o: HttpListenerOverrides): HttpListenerSettings {
  return { ...defaults, ...o, http2: { ...defaults.http2, ...o.http2 } };
}

/** The settings of every TCP listener (HTTP, HTTPS, TLS, TCP) a policy may change. */
export interface ListenerConnectionSettings {
  /** Read and write buffer limit per connection (`per_connection_buffer_limit_bytes`). @default 32768 */
  readonly bufferLimitBytes: number;
  /** Connections accepted per socket event (`max_connections_to_accept_per_socket_event`); 0 = Envoy's default (unlimited). @default 1 */
  readonly maxAcceptPerSocketEvent: number;
}

/** Envoy Gateway v1.9's HTTP connection manager defaults. */
export const HTTP_LISTENER_DEFAULTS: HttpListenerSettings = {
  normalizePath: true,
  mergeSlashes: true,
  escapedSlashesAction: "UnescapeAndRedirect",
  useRemoteAddress: true,
  xffNumTrustedHops: 0,
  withUnderscoresAction: "RejectRequest",
  serverHeader: "PassThrough",
  schemeMatchesUpstream: true,
  enableEnvoyHeaders: false,
  http2: { maxConcurrentStreams: 100, initialStreamWindowSize: 65_536, initialConnectionWindowSize: 1_048_576 },
};

/** Envoy Gateway v1.9's per-connection listener defaults. */
export const LISTENER_CONNECTION_DEFAULTS: ListenerConnectionSettings = {
  bufferLimitBytes: 32_768,
  maxAcceptPerSocketEvent: 1,
};

const ESCAPED_SLASHES: Readonly<Record<EscapedSlashesAction, EscapedSlashes>> = {
  KeepUnchanged: EscapedSlashes.KEEP_UNCHANGED,
  RejectRequest: EscapedSlashes.REJECT_REQUEST,
  UnescapeAndRedirect: EscapedSlashes.UNESCAPE_AND_REDIRECT,
  UnescapeAndForward: EscapedSlashes.UNESCAPE_AND_FORWARD,
};

const UNDERSCORES: Readonly<Record<WithUnderscoresAction, Underscores>> = {
  Allow: Underscores.ALLOW,
  RejectRequest: Underscores.REJECT_REQUEST,
  DropHeader: Underscores.DROP_HEADER,
};

/** Envoy's generate_request_id / preserve_external_request_id for each request ID action. */
const REQUEST_ID: Readonly<Record<RequestIdAction, { generate: boolean; preserve: boolean }>> = {
  PreserveOrGenerate: { generate: true, preserve: true },
  Preserve: { generate: false, preserve: true },
  Generate: { generate: true, preserve: false },
  Disable: { generate: false, preserve: false },
};

/** The HttpConnectionManager fields the settings decide (merge into the HCM being built). */
export function hcmSettingFields(s: HttpListenerSettings): Partial<HttpConnectionManager> {
  const requestId = s.requestId ? REQUEST_ID[s.requestId] : undefined;
  const http1 = s.http1 ? http1Fields(s.http1) : {};
  return {
    normalizePath: s.normalizePath,
    mergeSlashes: s.mergeSlashes,
    pathWithEscapedSlashesAction: ESCAPED_SLASHES[s.escapedSlashesAction],
    useRemoteAddress: s.useRemoteAddress,
    ...(s.xffNumTrustedHops > 0 ? { xffNumTrustedHops: s.xffNumTrustedHops } : {}),
    commonHttpProtocolOptions: commonFields(s),
    ...(s.maxConnectionDurationMs !== undefined && !s.http1?.disableSafeMaxConnectionDuration
      ? { http1SafeMaxConnectionDuration: true }
      : {}),
    ...(Object.keys(http1).length > 0 ? { httpProtocolOptions: http1 } : {}),
    http2ProtocolOptions: http2Fields(s.http2),
    serverHeaderTransformation: ServerHeader.PASS_THROUGH,
    ...(s.schemeMatchesUpstream ? { schemeHeaderTransformation: { matchUpstream: true } } : {}),
    ...(s.requestTimeoutMs !== undefined ? { requestTimeout: duration(s.requestTimeoutMs) } : {}),
    ...(s.requestHeadersTimeoutMs !== undefined ? { requestHeadersTimeout: duration(s.requestHeadersTimeoutMs) } : {}),
    ...(s.streamIdleTimeoutMs !== undefined ? { streamIdleTimeout: duration(s.streamIdleTimeoutMs) } : {}),
    ...(requestId ? { generateRequestId: requestId.generate, preserveExternalRequestId: requestId.preserve } : {}),
  } as unknown as Partial<HttpConnectionManager>;
}

/** The HCM's common_http_protocol_options: underscores, idle timeout, per-connection and per-stream limits. */
function commonFields(s: HttpListenerSettings): Record<string, unknown> {
  return {
    headersWithUnderscoresAction: UNDERSCORES[s.withUnderscoresAction],
    ...(s.idleTimeoutMs !== undefined ? { idleTimeout: duration(s.idleTimeoutMs) } : {}),
    ...(s.maxConnectionDurationMs !== undefined ? { maxConnectionDuration: duration(s.maxConnectionDurationMs) } : {}),
    ...(s.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: s.maxRequestsPerConnection } : {}),
    ...(s.maxStreamDurationMs !== undefined ? { maxStreamDuration: duration(s.maxStreamDurationMs) } : {}),
  };
}

/**
 * Http1ProtocolOptions.header_key_format with the preserve_case stateful formatter: a codec that has it records
 * the case of the header names it receives, and the codec that sends those headers on writes them with it.
 */
export function preserveCaseHeaderKeyFormat(): Record<string, unknown> {
  return {
    statefulFormatter: {
      name: "preserve_case",
      typedConfig: pack(PreserveCaseFormatterType, PreserveCaseFormatterType.codec.fromPartial({} as never)),
    },
  };
}

/** Envoy's Http1ProtocolOptions for the HTTP/1 settings. */
function http1Fields(h: Http1Settings): Record<string, unknown> {
  const ignored = h.ignoredUpgradeTypes ?? [];
  return {
    ...(h.enableTrailers ? { enableTrailers: true } : {}),
    ...(h.preserveHeaderCase ? { headerKeyFormat: preserveCaseHeaderKeyFormat() } : {}),
    ...(h.http10 ? { acceptHttp10: true, defaultHostForHttp10: h.http10.defaultHost ?? "" } : {}),
    ...(ignored.length > 0 ? { ignoreHttp11Upgrade: ignored.map(stringMatcher) } : {}),
  };
}

/** Envoy's Http2ProtocolOptions for the HTTP/2 settings (a listener's, or a policy variant's upstream ones). */
export function http2Fields(h: Http2Settings | Http2SettingsIr): Record<string, unknown> {
  const { resetStreamOnError, connectionKeepalive: k, ...windows } = h;
  return {
    ...windows,
    ...(resetStreamOnError !== undefined ? { overrideStreamErrorOnInvalidHttpMessage: resetStreamOnError } : {}),
    ...(k
      ? {
          connectionKeepalive: {
            timeout: duration(k.timeoutMs),
            ...(k.intervalMs !== undefined ? { interval: duration(k.intervalMs) } : {}),
            ...(k.intervalJitterPercent !== undefined ? { intervalJitter: { value: k.intervalJitterPercent } } : {}),
            ...(k.idleIntervalMs !== undefined ? { connectionIdleInterval: duration(k.idleIntervalMs) } : {}),
          },
        }
      : {}),
  };
}

/** The router filter's config the settings decide. */
export function routerSettingFields(s: HttpListenerSettings): Partial<Router> {
  return { suppressEnvoyHeaders: !s.enableEnvoyHeaders };
}

/** The Listener fields the connection settings decide. */
export function listenerConnectionFields(s: ListenerConnectionSettings): {
  perConnectionBufferLimitBytes: number;
  maxConnectionsToAcceptPerSocketEvent?: number;
} {
  return {
    perConnectionBufferLimitBytes: s.bufferLimitBytes,
    ...(s.maxAcceptPerSocketEvent > 0 ? { maxConnectionsToAcceptPerSocketEvent: s.maxAcceptPerSocketEvent } : {}),
  };
}
