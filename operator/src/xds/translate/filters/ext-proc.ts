/**
 * envoy.filters.http.ext_proc (rank 100 + index), placement `disabled`, fed by EnvoyExtensionPolicy `extProc`
 * (RouteIr.extensions.extProc).
 *
 * As Envoy Gateway v1.9: one filter per processor, `envoy.filters.http.ext_proc/envoyextensionpolicy/<ns>/<name>/
 * extproc/<i>`, `disabled: true`, holding the whole ExternalProcessor config: the gRPC service (the processor's
 * cluster, its authority, a 10 s timeout, the retry of `backendSettings`), the processing mode (every phase SKIP /
 * NONE unless the policy sends it; a full-duplex body also sends that direction's trailers), attributes,
 * `failure_mode_allow`, `message_timeout`, `observability_mode`, metadata namespaces, `allow_mode_override` and
 * `status_on_error`. Each route of the policy turns it on with an
 * empty FilterConfig.
 */
import type * as ProcessingModeProto from "../../../../../proto/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode";
import type {
  ProcessingMode_BodySendMode as BodyMode,
  ProcessingMode_HeaderSendMode as HeaderMode,
} from "../../../../../proto/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode";
import { protoModule } from "../../../../../proto/lazy";
import { registerLazyType } from "../../../../../proto/any";
import type { ExternalProcessor } from "../../../../../proto/gen/envoy/extensions/filters/http/ext_proc/v3/ext_proc";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { ExtProcIr, ExtProcPhaseIr } from "../../../ir/extension-ir";
import { remoteRetryPolicy } from "../ext-authz-fields";
import { duration } from "../route-filters";
import {
  enableOnRoute,
  FilterConfigType,
  type HttpFilterDef,
  namedInstances,
  packPartial,
  sampleGrpcService,
} from "./registry";

/** ExternalProcessor, registered for Any packing. */
export const ExtProcType = registerLazyType<ExternalProcessor>(
  "envoy/extensions/filters/http/ext_proc/v3/ext_proc",
  "ExternalProcessor",
);

/** Name of the ext_proc filter. */
export const EXT_PROC_FILTER = "envoy.filters.http.ext_proc";

const processingModeProto = protoModule<typeof ProcessingModeProto>(
  "envoy/extensions/filters/http/ext_proc/v3/processing_mode",
);

/** Envoy Gateway's timeout of the gRPC calls to an external service, in milliseconds. */
const GRPC_TIMEOUT_MS = 10_000;

/** Envoy's ProcessingMode for the phases the processor gets. */
function processingMode(p: ExtProcIr): object {
  const { ProcessingMode_BodySendMode: bodyModes, ProcessingMode_HeaderSendMode: headerModes } = processingModeProto();
  const headers = (ph: ExtProcPhaseIr | undefined): HeaderMode => (ph ? headerModes.SEND : headerModes.SKIP);
  const trailers = (ph: ExtProcPhaseIr | undefined): HeaderMode =>
    ph?.body === "FULL_DUPLEX_STREAMED" ? headerModes.SEND : headerModes.SKIP;
  const body = (ph: ExtProcPhaseIr | undefined): BodyMode => (ph?.body ? bodyModes[ph.body] : bodyModes.NONE);
  return {
    requestHeaderMode: headers(p.request),
    responseHeaderMode: headers(p.response),
    requestBodyMode: body(p.request),
    responseBodyMode: body(p.response),
    requestTrailerMode: trailers(p.request),
    responseTrailerMode: trailers(p.response),
  };
}

/** The ExternalProcessor of one processor (a fromPartial object). */
export function extProcConfig(p: ExtProcIr): object {
  const ns = (names: readonly string[] | undefined): object | undefined => (names ? { untyped: names } : undefined);
  const metadata =
    p.forwardingNamespaces || p.receivingNamespaces
      ? { forwardingNamespaces: ns(p.forwardingNamespaces), receivingNamespaces: ns(p.receivingNamespaces) }
      : undefined;
  return {
    grpcService: {
      envoyGrpc: { clusterName: p.cluster, authority: p.authority },
      timeout: duration(GRPC_TIMEOUT_MS),
      ...(p.retry ? { retryPolicy: remoteRetryPolicy(p.retry) } : {}),
    },
    processingMode: processingMode(p),
    observabilityMode: p.shadowMode,
    failureModeAllow: p.failOpen,
    ...(p.messageTimeoutMs !== undefined ? { messageTimeout: duration(p.messageTimeoutMs) } : {}),
    requestAttributes: p.request?.attributes ?? [],
    responseAttributes: p.response?.attributes ?? [],
    ...(metadata ? { metadataOptions: metadata } : {}),
    allowModeOverride: p.allowModeOverride,
    ...(p.statusOnError !== undefined ? { statusOnError: { code: p.statusOnError } } : {}),
  };
}

/** The ext_proc filter's registry entry. */
export const extProc: HttpFilterDef = {
  name: EXT_PROC_FILTER,
  rank: 100,
  indexed: true,
  configType: ExtProcType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, EXT_PROC_FILTER, (r) => r.extensions?.extProc ?? [])].map(
      ([name, p]) => ({ name, typedConfig: packPartial(ExtProcType, extProcConfig(p)), disabled: true }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const list = r.extensions?.extProc ?? [];
    if (list.length === 0) return undefined;
    return Object.fromEntries(list.map((p) => [`${EXT_PROC_FILTER}/${p.name}`, enableOnRoute()]));
  },
  sampleConfig: () => packPartial(ExtProcType, { grpcService: sampleGrpcService(), statusOnError: { code: 503 } }),
};
