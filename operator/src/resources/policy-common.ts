/**
 * Small types shared by Envoy Gateway's policy kinds and HTTPRouteFilter (gateway.envoyproxy.io/v1alpha1), and
 * the few Gateway API value types they embed. Field names, enums, bounds and defaults follow Envoy Gateway
 * v1.9's API reference; crds/generate.ts turns them into the CRD schemas.
 *
 * Shared with ClientTrafficPolicy: Duration, Quantity, HTTP2Settings, HTTP2KeepaliveSettings, TCPKeepalive,
 * StringMatch, PathMatch, CustomResponseBody.
 */
/**
 * A Gateway API duration: up to four `<number><unit>` parts, units `h`, `m`, `s`, `ms` (e.g. `1h30m`, `500ms`).
 * @pattern ^([0-9]{1,5}(h|m|s|ms)){1,4}$
 */
export type Duration = string;

/** An HTTP status code. @minimum 100 @maximum 599 */
export type HTTPStatus = number;

/** An HTTP error status a failing extension service is answered with. */
export type HTTPErrorStatus =
  | 400
  | 401
  | 402
  | 403
  | 404
  | 405
  | 406
  | 407
  | 408
  | 409
  | 410
  | 411
  | 412
  | 413
  | 414
  | 415
  | 416
  | 417
  | 421
  | 422
  | 423
  | 424
  | 426
  | 428
  | 429
  | 431
  | 500
  | 501
  | 502
  | 503
  | 504
  | 505
  | 506
  | 507
  | 508
  | 510
  | 511;

/** A Kubernetes object name. @minLength 1 @maxLength 253 */
export type ObjectName = string;

/** A Kubernetes API group; empty for the core group. @maxLength 253 @pattern ^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
export type Group = string;

/** A Kubernetes kind. @minLength 1 @maxLength 63 @pattern ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
export type Kind = string;

/** A Kubernetes namespace name. @minLength 1 @maxLength 63 @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ */
export type Namespace = string;

/** A section of a target: a listener name, a route rule name, a port name. @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
export type SectionName = string;

/** A port number. @minimum 1 @maximum 65535 */
export type PortNumber = number;

/** An HTTP header name. @minLength 1 @maxLength 256 @pattern ^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$ */
export type HeaderName = string;

/** A fully qualified host name, no wildcard. @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
export type PreciseHostname = string;

/** A reference to an object in the referrer's namespace. */
export interface LocalObjectReference {
  /** API group; empty for the core group. */
  readonly group: Group;
  /** Kind, e.g. ConfigMap. */
  readonly kind: Kind;
  /** Name. */
  readonly name: ObjectName;
}

/** A reference to a Secret, possibly in another namespace (a ReferenceGrant must allow it). */
export interface SecretObjectReference {
  /** API group. @default "" */
  readonly group?: Group;
  /** Kind. @default Secret */
  readonly kind?: Kind;
  /** Name. */
  readonly name: ObjectName;
  /** Namespace. @default the referrer's namespace */
  readonly namespace?: Namespace;
}

/** A Kubernetes label selector: matchLabels AND matchExpressions. */
export interface LabelSelector {
  /** Labels that must have these values. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Set-based requirements. */
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A Kubernetes quantity: an integer, or a string such as `10Mi`, `512Ki`, `1G`. */
export type Quantity = number | string;

/** An object that takes no fields: its presence alone selects something (e.g. `gzip: {}`). */
export type EmptyObject = Readonly<Record<string, never>>;

/** A fraction `numerator / denominator`. */
export interface Fraction {
  /** The numerator. @minimum 0 */
  readonly numerator: number;
  /** The denominator. @default 100 @minimum 1 */
  readonly denominator?: number;
}

/** An HTTP method. */
export type HTTPMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH";

/** How a path is compared. */
export type PathMatchType = "Exact" | "PathPrefix" | "RegularExpression";

/** A reference to a backend (a Service port, a Backend, ...), possibly in another namespace. */
export interface BackendObjectReference {
  /** API group of the backend; empty for the core group. @default "" */
  readonly group?: Group;
  /** Kind of the backend. @default Service */
  readonly kind?: Kind;
  /** Name of the backend. */
  readonly name: ObjectName;
  /** Namespace of the backend; a ReferenceGrant must allow a cross-namespace reference. @default the referrer's namespace */
  readonly namespace?: Namespace;
  /** Port of the backend; required for a Service. */
  readonly port?: PortNumber;
}

/** A header name and value. */
export interface HTTPHeader {
  /** Header name (case-insensitive). */
  readonly name: HeaderName;
  /** Header value. @minLength 1 @maxLength 4096 */
  readonly value: string;
}

/** Header changes, as in a Gateway API RequestHeaderModifier filter. */
export interface GatewayHTTPHeaderFilter {
  /** Headers to set, replacing any value already there. @maxItems 16 */
  readonly set?: readonly HTTPHeader[];
  /** Headers to append to any value already there. @maxItems 16 */
  readonly add?: readonly HTTPHeader[];
  /** Names of headers to remove. @maxItems 16 */
  readonly remove?: readonly string[];
}

/** A path change, as in a Gateway API redirect or rewrite. */
export interface GatewayHTTPPathModifier {
  /** Replace the whole path, or only the matched prefix. */
  readonly type: "ReplaceFullPath" | "ReplacePrefixMatch";
  /** The new path (ReplaceFullPath). @maxLength 1024 */
  readonly replaceFullPath?: string;
  /** What replaces the matched prefix (ReplacePrefixMatch). @maxLength 1024 */
  readonly replacePrefixMatch?: string;
}

/** One requirement of a Kubernetes label selector. */
export interface LabelSelectorRequirement {
  /** Label key. */
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: string;
  /** Values for `In` and `NotIn`; empty for `Exists` and `DoesNotExist`. */
  readonly values?: readonly string[];
}

/** The body of a custom response: inline text, or the content of a ConfigMap. */
export interface CustomResponseBody {
  /** Where the body comes from. @default Inline */
  readonly type: "Inline" | "ValueRef";
  /** The body itself (type Inline). */
  readonly inline?: string;
  /** A ConfigMap holding the body (type ValueRef). */
  readonly valueRef?: LocalObjectReference;
}

/** Where a value comes from: written inline, or read from a referenced object. */
export type ResponseValueType = "Inline" | "ValueRef";

/** HTTP/2 PING keepalive of a connection. */
export interface HTTP2KeepaliveSettings {
  /** Time between PINGs. */
  readonly interval?: Duration;
  /** How long to wait for a PING reply before closing the connection. */
  readonly timeout?: Duration;
  /** Random jitter added to each interval, as a percentage of it. @minimum 0 @maximum 100 */
  readonly intervalJitter?: number;
  /** Send a PING only after the connection has been idle this long. */
  readonly idleInterval?: Duration;
}

/** HTTP/2 settings of a listener or of the connections to a backend. */
export interface HTTP2Settings {
  /** Initial flow-control window of each stream. @default 64Ki @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly initialStreamWindowSize?: Quantity;
  /** Initial flow-control window of the connection. @default 1Mi @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly initialConnectionWindowSize?: Quantity;
  /** Most concurrent streams on one connection. @default 100 @minimum 1 @maximum 2147483647 */
  readonly maxConcurrentStreams?: number;
  /** On a malformed HTTP/2 message, close the whole connection (`TerminateConnection`) or only the stream (`TerminateStream`). @default TerminateConnection */
  readonly onInvalidMessage?: string;
  /** PING-based keepalive of the connection. */
  readonly connectionKeepalive?: HTTP2KeepaliveSettings;
}

/** TCP keepalive probes. */
export interface TCPKeepalive {
  /** Unanswered probes before the connection is considered dead. @default 9 */
  readonly probes?: number;
  /** Idle time before the first probe. @default 7200s */
  readonly idleTime?: Duration;
  /** Time between probes. @default 75s */
  readonly interval?: Duration;
}

/** How a string is compared. */
export type StringMatchType = "Exact" | "Prefix" | "Suffix" | "RegularExpression";

/** A string comparison. */
export interface StringMatch {
  /** How to compare. @default Exact */
  readonly type?: StringMatchType;
  /** The value to compare with. @minLength 1 @maxLength 1024 */
  readonly value: string;
}

/** A request path comparison. */
export interface PathMatch {
  /** How to compare. @default PathPrefix */
  readonly type?: PathMatchType;
  /** The path to compare with. @default "/" @maxLength 1024 */
  readonly value: string;
  /** Match requests whose path does NOT match. @default false */
  readonly invert?: boolean;
}
