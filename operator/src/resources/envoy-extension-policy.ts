/**
 * EnvoyExtensionPolicy spec (gateway.envoyproxy.io/v1alpha1): extensions the proxies run on the traffic of
 * its targets (Wasm modules, Lua scripts, external processors, dynamic modules). Field names, enums, bounds and
 * defaults follow Envoy Gateway v1.9's API reference.
 */
import type { BackendCluster } from "./backend-cluster";
import type { PolicyTargetReferences } from "./envoy-gateway-policies";
import type { Duration, HTTPErrorStatus, LocalObjectReference, SecretObjectReference } from "./policy-common";

/** EnvoyExtensionPolicy spec; each list runs in the order written. */
export interface EnvoyExtensionPolicySpec extends PolicyTargetReferences {
  /** Merge this route-level policy onto the policy of the route's parent: `StrategicMerge` or `JSONMerge`. @default no merge: the most specific policy wins */
  readonly mergeType?: string;
  /** Wasm filters. @maxItems 16 */
  readonly wasm?: readonly Wasm[];
  /** External processing filters. @maxItems 16 */
  readonly extProc?: readonly ExtProc[];
  /** Lua filters. @maxItems 16 */
  readonly lua?: readonly Lua[];
  /** Dynamic module filters (modules allowed by the EnvoyProxy). @maxItems 16 */
  readonly dynamicModule?: readonly DynamicModule[];
}

/** A Wasm filter. */
export interface Wasm {
  /** Name of the extension. */
  readonly name?: string;
  /** Root ID of the filter inside the module. */
  readonly rootID?: string;
  /** Where the module is loaded from. */
  readonly code: WasmCodeSource;
  /** Configuration passed to the module as written (any JSON). */
  readonly config?: unknown;
  /** Let requests through when the module fails to load or run. @default false */
  readonly failOpen?: boolean;
  /** Environment variables of the proxy the module may read. */
  readonly env?: WasmEnv;
}

/** Kind of Wasm code source. */
export type WasmCodeSourceType = "HTTP" | "Image";

/** Where a Wasm module comes from. */
export interface WasmCodeSource {
  /** An HTTP URL or an OCI image. */
  readonly type: "HTTP" | "Image" | "ConfigMap";
  /** HTTP source (type HTTP). */
  readonly http?: HTTPWasmCodeSource;
  /** OCI image source (type Image). */
  readonly image?: ImageWasmCodeSource;
  /** When the module is fetched again. @default IfNotPresent (Always for an image tagged latest) */
  readonly pullPolicy?: ImagePullPolicy;
}

/** Fetch policy of a Wasm module. */
export type ImagePullPolicy = "IfNotPresent" | "Always";

/** A Wasm module fetched over HTTP. */
export interface HTTPWasmCodeSource {
  /** URL of the module. @pattern ^((https?:)(\/\/\/?)([\w]*(?::[\w]*)?@)?([\d\w\.-]+)(?::(\d+))?)?([\/\\\w\.()-]*)?(?:([?][^#]*)?(#.*)?)* */
  readonly url: string;
  /** Expected SHA-256 of the module. */
  readonly sha256?: string;
  /** TLS settings of the download. */
  readonly tls?: WasmCodeSourceTLSConfig;
}

/** A Wasm module in an OCI image. */
export interface ImageWasmCodeSource {
  /** Image reference. */
  readonly url: string;
  /** Expected SHA-256 of the module. */
  readonly sha256?: string;
  /** Secret with registry credentials. */
  readonly pullSecretRef?: SecretObjectReference;
  /** TLS settings of the download. */
  readonly tls?: WasmCodeSourceTLSConfig;
}

/** TLS of a Wasm download. */
export interface WasmCodeSourceTLSConfig {
  /** Secret holding the CA certificate the server must chain to. */
  readonly caCertificateRef: SecretObjectReference;
}

/** Environment given to a Wasm module. */
export interface WasmEnv {
  /** Names of the proxy's environment variables the module may read. */
  readonly hostKeys?: readonly string[];
}

/** How a Lua script is given. */
export type LuaValueType = "Inline" | "ValueRef";

/** A Lua filter. */
export interface Lua {
  /** Inline, or from a ConfigMap. @default Inline */
  readonly type: LuaValueType;
  /** The script (type Inline). */
  readonly inline?: string;
  /** ConfigMap holding the script in key `lua` (type ValueRef). */
  readonly valueRef?: LocalObjectReference;
  /** Values passed to the script's filter context as written (any JSON). */
  readonly filterContext?: unknown;
}

/** An external processing filter. */
export interface ExtProc extends BackendCluster {
  /** Time to wait for each answer of the processor. @default 200ms */
  readonly messageTimeout?: Duration;
  /** Let requests through when the processor cannot be reached. @default false */
  readonly failOpen?: boolean;
  /** Which parts of requests and responses are sent. @default nothing: neither headers nor bodies */
  readonly processingMode?: ExtProcProcessingMode;
  /** Send to the processor but ignore its answers. */
  readonly shadowMode?: boolean;
  /** Dynamic metadata the processor may read and write. */
  readonly metadata?: ExtProcMetadata;
  /** Status returned when the processor fails or cannot be reached. @default 500 */
  readonly statusOnError?: HTTPErrorStatus;
}

/** What is sent to the processor. */
export interface ExtProcProcessingMode {
  /** For requests. */
  readonly request?: ProcessingModeOptions;
  /** For responses. */
  readonly response?: ProcessingModeOptions;
  /** Let the processor change the mode per request. */
  readonly allowModeOverride?: boolean;
}

/** How a body is sent to the processor. */
export type ExtProcBodyProcessingMode = "Streamed" | "Buffered" | "BufferedPartial" | "FullDuplexStreamed";

/** What of one direction is sent. */
export interface ProcessingModeOptions {
  /** Body mode. @default the body is not sent */
  readonly body?: ExtProcBodyProcessingMode;
  /** Envoy attributes sent along, e.g. `request.path`. */
  readonly attributes?: readonly ExtProcAttribute[];
}

/** An Envoy attribute name sent to an external processor. @pattern ^(connection\.|source\.|destination\.|request\.|response\.|upstream\.|xds\.route_)[a-z_1-9]*$ */
export type ExtProcAttribute = string;

/** Metadata namespaces of the processor. */
export interface ExtProcMetadata {
  /** Namespaces it may read. */
  readonly accessibleNamespaces?: readonly string[];
  /** Namespaces it may write. @maxItems 8 */
  readonly writableNamespaces?: readonly string[];
}

/** A dynamic module filter. */
export interface DynamicModule {
  /** Name of the module in the EnvoyProxy's allowlist. @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ */
  readonly name: string;
  /** Name of the filter inside the module. @default the module's name @maxLength 253 */
  readonly filterName?: string;
  /** Configuration passed to the module as written (any JSON). */
  readonly config?: unknown;
  /** The filter answers requests itself (no upstream). @default false */
  readonly terminalFilter?: boolean;
}
