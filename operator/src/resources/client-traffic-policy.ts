/**
 * ClientTrafficPolicy (gateway.envoyproxy.io/v1alpha1): how the proxies treat downstream connections, field
 * for field as Envoy Gateway v1.9's API reference names them. crds/generate.ts builds the CRD schema from
 * these types. Which fields egts implements is listed in translate/policies/client-traffic-fields.ts; every
 * other field is reported on the policy (Accepted=False), never ignored.
 */
import type { KubeObject } from "./meta";
import type { PolicyTargetReferences } from "./envoy-gateway-policies";
import type {
  Duration,
  HTTP2KeepaliveSettings,
  HTTPHeader,
  Quantity,
  SecretObjectReference,
  StringMatch,
} from "./policy-common";
import type { CIDR } from "./security-policy";

export type { Duration };

/** TCP keepalive probes on downstream connections (SO_KEEPALIVE). */
export interface TCPKeepalive {
  /** Unanswered probes before the connection is dropped. @default the system's (Linux: 9) */
  readonly probes?: number;
  /** Idle time before the first probe. @default the system's (Linux: 2h) */
  readonly idleTime?: Duration;
  /** Time between probes. @default the system's (Linux: 75s) */
  readonly interval?: Duration;
}

/** PROXY protocol (v1 and v2) on the listener. */
export interface ProxyProtocolSettings {
  /** Accept connections without a PROXY protocol header too (breaks the protocol's guarantees). @default false */
  readonly optional?: boolean;
}

/** How the client IP is taken from X-Forwarded-For. Exactly one of numTrustedHops or trustedCIDRs. */
export interface XForwardedForSettings {
  /** Trusted hops counted from the right of X-Forwarded-For. */
  readonly numTrustedHops?: number;
  /** Proxies whose X-Forwarded-For entries are trusted (CIDR ranges). @minItems 1 */
  readonly trustedCIDRs?: readonly CIDR[];
  /** Do not append the downstream address to X-Forwarded-For. @default false */
  readonly disableXForwardedForAppend?: boolean;
}

/** The client IP from a trusted custom header. */
export interface CustomHeaderExtensionSettings {
  /** Header holding the client address. @minLength 1 @maxLength 255 @pattern ^[A-Za-z0-9-]+$ */
  readonly name: string;
  /** Answer 403 when the header is missing or unparsable. @default false */
  readonly failClosed?: boolean;
}

/** The client IP is the connection's peer address: no settings (the field's presence turns it on). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DirectSourceIPSettings {}

/** How the original client IP address is determined. Exactly one of the fields. */
export interface ClientIPDetectionSettings {
  /** From X-Forwarded-For. */
  readonly xForwardedFor?: XForwardedForSettings;
  /** From a custom header. */
  readonly customHeader?: CustomHeaderExtensionSettings;
  /** From the connection's source address (used by the geoip filter). */
  readonly directSourceIP?: DirectSourceIPSettings;
}

/** A TLS protocol version. */
export type TLSVersion = "Auto" | "1.0" | "1.1" | "1.2" | "1.3";

/** A matcher on an otherName SAN. */
export interface OtherSANMatch extends StringMatch {
  /** OID of the otherName. */
  readonly oid: string;
}

/** Subject alternative name matchers for client certificates. */
export interface SubjectAltNames {
  /** DNS name matchers. */
  readonly dnsNames?: readonly StringMatch[];
  /** Email address matchers. */
  readonly emailAddresses?: readonly StringMatch[];
  /** IP address matchers. */
  readonly ipAddresses?: readonly StringMatch[];
  /** URI matchers. */
  readonly uris?: readonly StringMatch[];
  /** otherName matchers. */
  readonly otherNames?: readonly OtherSANMatch[];
}

/** Certificate revocation lists for client certificates. */
export interface CrlContext {
  /** ConfigMaps or Secrets with the CRL in PEM under `ca.crl`. @minItems 1 @maxItems 8 */
  readonly refs: readonly SecretObjectReference[];
  /** Check only the leaf certificate against the CRL. @default false */
  readonly onlyVerifyLeafCertificate?: boolean;
}

/**
 * How client certificates are checked: Request (asked for, not required, not verified), RequireAny (required,
 * not verified), VerifyIfGiven (not required, verified when presented), RequireAndVerify (required and verified).
 */
export type ClientValidationModeType = "Request" | "RequireAny" | "VerifyIfGiven" | "RequireAndVerify";

/** How client certificates are validated (mutual TLS). */
export interface ClientValidationContext {
  /** Accept connections without a client certificate too (mode VerifyIfGiven). @default false @deprecated use mode */
  readonly optional?: boolean;
  /** How client certificates are validated; wins over `optional`. @default RequireAndVerify */
  readonly mode?: ClientValidationModeType;
  /** ConfigMaps or Secrets with the CA bundle under `ca.crt`. @maxItems 8 */
  readonly caCertificateRefs?: readonly SecretObjectReference[];
  /** Base64 SHA-256 hashes of accepted certificates' SubjectPublicKeyInfo. */
  readonly spkiHashes?: readonly string[];
  /** Hex SHA-256 hashes of accepted certificates. */
  readonly certificateHashes?: readonly string[];
  /** SAN matchers the client certificate must meet. */
  readonly subjectAltNames?: SubjectAltNames;
  /** Certificate revocation lists. */
  readonly crl?: CrlContext;
  /**
   * Accept expired client certificates that are otherwise valid (CA chain, signature): the NotAfter check is
   * skipped. Only with mode VerifyIfGiven or RequireAndVerify. @default false
   */
  readonly allowExpiredCertificate?: boolean;
}

/** A TLS client fingerprint the TLS inspector computes from the ClientHello. */
export type TLSFingerprintType = "JA3" | "JA4";

/** Stateless (session ticket) TLS session resumption: no settings (the field's presence turns it on). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StatelessTLSSessionResumption {}
/** Stateful (session id) TLS session resumption: no settings (the field's presence turns it on). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StatefulTLSSessionResumption {}

/** TLS session resumption methods. */
export interface SessionResumption {
  /** Session tickets. */
  readonly stateless?: StatelessTLSSessionResumption;
  /** Session ids. */
  readonly stateful?: StatefulTLSSessionResumption;
}

/** TLS session settings. */
export interface Session {
  /** Session resumption. @default off */
  readonly resumption?: SessionResumption;
}

/** The protocol parameters of Envoy Gateway's TLSSettings, as written. */
export interface TlsParamsSettings {
  /** Lowest TLS version. @default 1.2 */
  readonly minVersion?: TLSVersion;
  /** Highest TLS version. @default 1.3 */
  readonly maxVersion?: TLSVersion;
  /** Cipher suites for TLS 1.0-1.2. */
  readonly ciphers?: readonly string[];
  /** ECDH curves. */
  readonly ecdhCurves?: readonly string[];
  /** Signature algorithms. */
  readonly signatureAlgorithms?: readonly string[];
  /** ALPN protocols offered (an empty list: none). @default [h2, http/1.1] on a listener; a backend protocol's towards it */
  readonly alpnProtocols?: readonly string[];
}

/** ClientTrafficPolicy `tls`: the protocol parameters, client validation, session and fingerprint settings. */
export interface ClientTLSSettings extends TlsParamsSettings {
  /** Client certificate validation. */
  readonly clientValidation?: ClientValidationContext;
  /** Session settings. */
  readonly session?: Session;
  /**
   * Client fingerprints to compute from the ClientHello, for access logs and request headers
   * (`%TLS_JA3_FINGERPRINT%`, `%TLS_JA4_FINGERPRINT%`). @default none
   */
  readonly fingerprints?: readonly TLSFingerprintType[];
}

/** Path normalisation. */
export interface PathSettings {
  /** What to do with escaped slashes (%2F, %5C) in the path. @default UnescapeAndRedirect */
  readonly escapedSlashesAction?: "KeepUnchanged" | "RejectRequest" | "UnescapeAndForward" | "UnescapeAndRedirect";
  /** Do not merge adjacent slashes. @default false */
  readonly disableMergeSlashes?: boolean;
}

/** How the x-forwarded-client-cert header is handled. */
export interface XForwardedClientCert {
  /** Mode. @default Sanitize */
  readonly mode?: "Sanitize" | "ForwardOnly" | "AppendForward" | "SanitizeSet" | "AlwaysForwardOnly";
  /** Certificate fields added (AppendForward and SanitizeSet). @maxItems 5 */
  readonly certDetailsToAdd?: readonly ("Subject" | "Cert" | "Chain" | "DNS" | "URI")[];
}

/** Envoy Gateway's header modifier (Gateway API's HTTPHeaderFilter plus addIfAbsent and removeOnMatch). */
export interface HTTPHeaderModifier {
  /** Overwrite. @minItems 1 @maxItems 64 */
  readonly set?: readonly HTTPHeader[];
  /** Append. @minItems 1 @maxItems 64 */
  readonly add?: readonly HTTPHeader[];
  /** Added only when the header is absent. @minItems 1 @maxItems 64 */
  readonly addIfAbsent?: readonly HTTPHeader[];
  /** Remove by name. @minItems 1 @maxItems 64 */
  readonly remove?: readonly string[];
  /** Headers removed when their name matches. @minItems 1 @maxItems 64 */
  readonly removeOnMatch?: readonly StringMatch[];
}

/** How the Host/Authority header is normalized. */
export interface HostSettings {
  /** Remove a trailing dot from the host (`example.com.` → `example.com`). @default false */
  readonly stripTrailingHostDot?: boolean;
}

/** Header handling on the listener. */
export interface HeaderSettings {
  /** Add the x-envoy- headers. @default false */
  readonly enableEnvoyHeaders?: boolean;
  /** Omit the X-RateLimit- response headers. @default false */
  readonly disableRateLimitHeaders?: boolean;
  /** x-forwarded-client-cert handling. @default Sanitize */
  readonly xForwardedClientCert?: XForwardedClientCert;
  /** Headers with underscores. @default RejectRequest */
  readonly withUnderscoresAction?: "Allow" | "RejectRequest" | "DropHeader";
  /** Keep a client's X-Request-ID. @default false @deprecated use requestID: PreserveOrGenerate */
  readonly preserveXRequestID?: boolean;
  /** X-Request-ID handling. @default Generate */
  readonly requestID?: "PreserveOrGenerate" | "Preserve" | "Generate" | "Disable";
  /** Request header changes before routing. */
  readonly earlyRequestHeaders?: HTTPHeaderModifier;
  /** Response header changes after everything else. */
  readonly lateResponseHeaders?: HTTPHeaderModifier;
  /** Host/Authority normalization. */
  readonly host?: HostSettings;
}

/** Timeouts of TCP (not HTTP) listeners. */
export interface TCPClientTimeout {
  /** Close a connection with no bytes either way for this long. @default 1h */
  readonly idleTimeout?: Duration;
  /** Close a connection whose TLS handshake has not completed this long after it was accepted. @default none */
  readonly tlsHandshakeTimeout?: Duration;
  /** Drop a connection whose inspection (TLS SNI, PROXY protocol) has not completed in this time. @default 15s */
  readonly connectionInspectionTimeout?: Duration;
}

/** Timeouts of HTTP listeners. */
export interface HTTPClientTimeout {
  /** Time to receive the whole request (408 when exceeded). @default none */
  readonly requestReceivedTimeout?: Duration;
  /** Time from the first byte of the request headers to their last (408 when exceeded); 0 disables it. @default none */
  readonly requestHeadersReceivedTimeout?: Duration;
  /** Close a connection with no active request for this long. @default 1h */
  readonly idleTimeout?: Duration;
  /** Reset a stream with no activity for this long. @default 5m */
  readonly streamIdleTimeout?: Duration;
}

/** Downstream timeouts. */
export interface ClientTimeout {
  /** TCP and TLS listeners. */
  readonly tcp?: TCPClientTimeout;
  /** HTTP and HTTPS listeners. */
  readonly http?: HTTPClientTimeout;
}

/** A limit on concurrent connections. */
export interface ConnectionLimit {
  /** Most concurrent connections. @default unlimited @minimum 1 */
  readonly value?: number;
  /** Delay before closing a connection over the limit. @default none */
  readonly closeDelay?: Duration;
  /** HTTP connections older than this are drained and closed. @default unlimited */
  readonly maxConnectionDuration?: Duration;
  /** Requests served on one connection before it is closed; 1 disables keep-alive. @default unlimited */
  readonly maxRequestsPerConnection?: number;
  /** A stream older than this is reset, whatever the other timeouts say. @default unlimited */
  readonly maxStreamDuration?: Duration;
}

/** Downstream connection settings. */
export interface ClientConnection {
  /** Concurrent connection limit. */
  readonly connectionLimit?: ConnectionLimit;
  /** Per-connection buffer limit, e.g. `32Ki`. @default 32768 bytes @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly bufferLimit?: Quantity;
  /** Socket receive buffer size, e.g. `1Mi`. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly socketBufferLimit?: Quantity;
  /** Connections accepted per socket event. @default 1 */
  readonly maxAcceptPerSocketEvent?: number;
}

/** HTTP/1.0 settings. */
export interface HTTP10Settings {
  /** Add a Host header to HTTP/1.0 requests without one. @default false */
  readonly useDefaultHost?: boolean;
}

/** HTTP/1 settings. */
export interface HTTP1Settings {
  /** Proxy HTTP/1 trailers. @default false */
  readonly enableTrailers?: boolean;
  /** Keep the letter case of header names. @default false */
  readonly preserveHeaderCase?: boolean;
  /** Accept HTTP/1.0 and HTTP/0.9. */
  readonly http10?: HTTP10Settings;
  /** Close HTTP/1 connections past maxConnectionDuration only after a response. @default false */
  readonly disableSafeMaxConnectionDuration?: boolean;
  /** Upgrade types ignored (the request proceeds as plain HTTP/1.1). */
  readonly ignoredUpgradeTypes?: readonly StringMatch[];
}

/** HTTP/2 settings. */
export interface HTTP2Settings {
  /** Initial stream window, e.g. `64Ki`. @default 65535 @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly initialStreamWindowSize?: Quantity;
  /** Initial connection window, e.g. `1Mi`. @default 1048576 @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly initialConnectionWindowSize?: Quantity;
  /** Most concurrent streams per connection. @default 100 @minimum 1 @maximum 2147483647 */
  readonly maxConcurrentStreams?: number;
  /** What to do on an invalid HTTP/2 message: `TerminateConnection` or `TerminateStream`. @default TerminateStream */
  readonly onInvalidMessage?: string;
  /** PING-based keepalive of client HTTP/2 connections. @default off */
  readonly connectionKeepalive?: HTTP2KeepaliveSettings;
}

/** gRPC settings of the listener. */
export interface GRPCSettings {
  /**
   * The grpc_web filter on the listener: gRPC-Web requests (HTTP/1.1 or HTTP/2) are translated to gRPC.
   * Envoy Gateway also turns it on for listeners with a GRPCRoute; egts does not yet.
   * @default false
   */
  readonly enableWeb?: boolean;
}

/** HTTP/3 on the listener: no settings (the field's presence turns it on). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HTTP3Settings {}

/** The listener's health check path. */
export interface HealthCheckSettings {
  /** Path answered by the health check filter. @minLength 1 @maxLength 1024 */
  readonly path: string;
}

/** ClientTrafficPolicy spec. */
export interface ClientTrafficPolicySpec extends PolicyTargetReferences {
  /** TCP keepalive on downstream connections. @default off */
  readonly tcpKeepalive?: TCPKeepalive;
  /** Require a PROXY protocol header. @deprecated use proxyProtocol */
  readonly enableProxyProtocol?: boolean;
  /** PROXY protocol settings (wins over enableProxyProtocol). */
  readonly proxyProtocol?: ProxyProtocolSettings;
  /** Client IP detection. */
  readonly clientIPDetection?: ClientIPDetectionSettings;
  /** TLS termination settings. */
  readonly tls?: ClientTLSSettings;
  /** Path normalisation. */
  readonly path?: PathSettings;
  /** Header handling. */
  readonly headers?: HeaderSettings;
  /** Downstream timeouts. */
  readonly timeout?: ClientTimeout;
  /** Connection settings. */
  readonly connection?: ClientConnection;
  /** HTTP/1 settings. */
  readonly http1?: HTTP1Settings;
  /** HTTP/2 settings. */
  readonly http2?: HTTP2Settings;
  /** gRPC settings. */
  readonly grpc?: GRPCSettings;
  /** HTTP/3 (QUIC) on the listener's port. */
  readonly http3?: HTTP3Settings;
  /** Health check path. */
  readonly healthCheck?: HealthCheckSettings;
  /** The :scheme sent to backends. @default Preserve */
  readonly scheme?: "Preserve" | "MatchBackend";
}

/** ClientTrafficPolicy. */
export type ClientTrafficPolicy = KubeObject<ClientTrafficPolicySpec>;
