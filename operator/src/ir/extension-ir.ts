/**
 * The EnvoyExtensionPolicy part of the xDS IR (issue 16): the extensions a route's effective EnvoyExtensionPolicy
 * runs on its traffic, in the policy's order. A route under a policy that cannot be applied carries none of it:
 * its action is a direct 500 instead (Envoy Gateway's code for a Lua error).
 */
import type { RetryIr } from "./xds-ir";
import type { WasmIr } from "./wasm-ir";

/** One Lua script (filter envoy.filters.http.lua, one instance per script). */
export interface LuaIr {
  /** Instance name suffix: `envoyextensionpolicy/<ns>/<name>/lua/<index>`. */
  readonly name: string;
  /** The script, validated. */
  readonly code: string;
  /** The script's filter context (a JSON object), when the policy sets one. */
  readonly filterContext?: Readonly<Record<string, unknown>>;
}

/** How a body is sent to an external processor (Envoy's ProcessingMode.BodySendMode). */
export type ExtProcBodyModeIr = "STREAMED" | "BUFFERED" | "BUFFERED_PARTIAL" | "FULL_DUPLEX_STREAMED";

/** What of one direction (request or response) is sent to an external processor. */
export interface ExtProcPhaseIr {
  /** Body mode; absent: the body is not sent. */
  readonly body?: ExtProcBodyModeIr;
  /** Envoy attributes sent along (e.g. `request.path`). */
  readonly attributes: readonly string[];
}

/** One external processor (filter envoy.filters.http.ext_proc, one instance per `extProc` entry). */
export interface ExtProcIr {
  /** Instance name suffix: `envoyextensionpolicy/<ns>/<name>/extproc/<index>`. */
  readonly name: string;
  /** The processor's cluster (HTTP/2): `envoyextensionpolicy/<ns>/<name>/extproc/<index>`. */
  readonly cluster: string;
  /** `:authority` of the gRPC calls: `<ref name>.<ref ns>[:<port>]` of the first backendRef. */
  readonly authority: string;
  /** Headers are sent (and the body, per its mode) for requests; absent: nothing of requests. */
  readonly request?: ExtProcPhaseIr;
  /** Same for responses. */
  readonly response?: ExtProcPhaseIr;
  /** The processor may change the modes per message (`mode_override`). */
  readonly allowModeOverride: boolean;
  /** Requests go on unprocessed when the processor fails or cannot be reached. */
  readonly failOpen: boolean;
  /** Send to the processor but ignore its answers (Envoy's observability mode). */
  readonly shadowMode: boolean;
  /** Time to wait for each answer, in milliseconds; absent: Envoy's default (200 ms). */
  readonly messageTimeoutMs?: number;
  /** Status answered when the processor fails; absent: Envoy's default (500). */
  readonly statusOnError?: number;
  /** Dynamic metadata namespaces sent to the processor; absent: none. */
  readonly forwardingNamespaces?: readonly string[];
  /** Dynamic metadata namespaces the processor may write; absent: none. */
  readonly receivingNamespaces?: readonly string[];
  /** Retry of the gRPC stream (`backendSettings.retry`); absent: none. */
  readonly retry?: RetryIr;
}

/** One dynamic module filter (filter envoy.filters.http.dynamic_modules, one instance per entry). */
export interface DynamicModuleIr {
  /** Instance name suffix: `envoyextensionpolicy/<ns>/<name>/dynamic-module/<index>`. */
  readonly name: string;
  /**
   * The module Envoy loads: `lib<module>.so` from ENVOY_DYNAMIC_MODULES_SEARCH_PATH (Envoy 1.36), where the host
   * runner links the EnvoyProxy entry's local path; the EnvoyProxy `dynamicModules` entry's name.
   */
  readonly module: string;
  /** The filter inside the module ("" when unset). */
  readonly filterName: string;
  /** The filter's configuration, JSON text; absent: none. */
  readonly config?: string;
  /**
   * The filter answers requests itself (no upstream); always false today (the translator refuses it: Envoy wants a
   * terminal filter last, and the router follows it).
   */
  readonly terminalFilter: boolean;
  /** The module is never unloaded (dlclose). */
  readonly doNotClose: boolean;
  /** The module is loaded with RTLD_GLOBAL. */
  readonly loadGlobally: boolean;
}

/** What the effective EnvoyExtensionPolicy of a route asks of Envoy. */
export interface RouteExtensionsIr {
  /** `namespace/name` of the policy (`a+b` when a route policy is merged onto its parent's). */
  readonly policy: string;
  /** Lua scripts, in order. */
  readonly lua: readonly LuaIr[];
  /** External processors, in order. */
  readonly extProc: readonly ExtProcIr[];
  /** Dynamic module filters, in order. */
  readonly dynamicModules: readonly DynamicModuleIr[];
  /** Wasm modules, in order (ir/wasm-ir.ts). */
  readonly wasm: readonly WasmIr[];
}
