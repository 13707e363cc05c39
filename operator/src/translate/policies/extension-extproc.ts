/**
 * EnvoyExtensionPolicy `extProc`: each entry an external processor (Envoy's ext_proc filter) called over gRPC, as
 * Envoy Gateway v1.9 builds it.
 *
 * - The processor: `backendRefs` (Service or Backend; across namespaces with a ReferenceGrant `from`
 *   EnvoyExtensionPolicy; TLS from a BackendTLSPolicy or the Backend) → one HTTP/2 cluster of the owning policy,
 *   `envoyextensionpolicy/<ns>/<name>/extproc/<index>` (security-backends.ts, shared with SecurityPolicy), with
 *   `backendSettings` applied to it; its retry becomes the gRPC stream's retry. Calls carry the authority
 *   `<first ref name>.<its namespace>[:<port>]` and a 10 s gRPC timeout, as in Envoy Gateway.
 * - `processingMode`: a phase (`request`, `response`) that is present sends its headers, and its body in the
 *   given mode (`Streamed`, `Buffered`, `BufferedPartial`, `FullDuplexStreamed`, which also sends trailers), and
 *   its `attributes`; an absent phase sends nothing. `allowModeOverride` lets the processor change the modes.
 * - `failOpen`, `messageTimeout`, `shadowMode` (observability mode), `statusOnError`, and `metadata`
 *   (`accessibleNamespaces` forwarded to the processor, `writableNamespaces` it may write).
 *
 * The CRD's rules are checked here too (a file-provider user has no admission webhook), with the CRD's messages.
 * An entry that cannot be built is left out; the caller fails the routes closed unless every failed entry says
 * `failOpen: true` (Envoy Gateway's rule).
 */
import type { ExtProcBodyModeIr, ExtProcIr, ExtProcPhaseIr } from "../../ir/extension-ir";
import type { ClusterIr } from "../../ir/xds-ir";
import type { ExtProc, ExtProcBodyProcessingMode, ProcessingModeOptions } from "../../resources/envoy-extension-policy";
import { durationOf } from "./backend-traffic-values";
import type { ExtensionContext } from "./extension-context";
import { extensionIrName } from "./extension-context";
import { securityBackendService } from "./security-backends";
import { remoteRetryRefusals, STATUS_ON_ERROR } from "./security-extauth";

/** Envoy Gateway's timeout of the gRPC calls to an external service. */
export const EXT_PROC_GRPC_TIMEOUT_MS = 10_000;

/** Envoy's upper bound of `message_timeout` (1 hour). */
const MAX_MESSAGE_TIMEOUT_MS = 3_600_000;

/** The CRD's body modes → Envoy's. */
const BODY_MODES: Readonly<Record<ExtProcBodyProcessingMode, ExtProcBodyModeIr>> = {
  Streamed: "STREAMED",
  Buffered: "BUFFERED",
  BufferedPartial: "BUFFERED_PARTIAL",
  FullDuplexStreamed: "FULL_DUPLEX_STREAMED",
};

/** The CRD's pattern of an attribute name. */
const ATTRIBUTE = /^(connection\.|source\.|destination\.|request\.|response\.|upstream\.|xds\.route_)[a-z_1-9]*$/;

/** The CRD's kinds and groups of a processor backendRef. */
const REF_KINDS = new Set(["Service", "ServiceImport", "Backend"]);
const REF_GROUPS = new Set(["", "multicluster.x-k8s.io", "gateway.envoyproxy.io"]);

/** What the `extProc` list translates to. */
export interface ExtProcTranslation {
  /** The processors that were built, in order. */
  readonly extProc: readonly ExtProcIr[];
  /** Their clusters. */
  readonly clusters: readonly ClusterIr[];
  /** Whether every entry that failed sets `failOpen: true` (then the routes keep the others). */
  readonly failOpen: boolean;
}

/** The `extProc` list → its processors and clusters; the problems (without `ExtProc: `) go to `problems`. */
export function translateExtProc(
  list: readonly ExtProc[] | undefined,
  ctx: ExtensionContext,
  problems: string[],
): ExtProcTranslation | undefined {
  if (!list || list.length === 0) return undefined;
  const extProc: ExtProcIr[] = [];
  const clusters: ClusterIr[] = [];
  let failOpen = true;
  for (const [i, entry] of list.entries()) {
    const own: string[] = [];
    const built = buildExtProc(entry, i, ctx, own);
    if (built) {
      extProc.push(built.ir);
      clusters.push(built.cluster);
    } else {
      problems.push(...own);
      failOpen &&= entry.failOpen === true;
    }
  }
  return { extProc, clusters, failOpen };
}

/** One entry → its IR and cluster, or undefined with the reasons in `problems`. */
function buildExtProc(
  e: ExtProc,
  index: number,
  ctx: ExtensionContext,
  problems: string[],
): { ir: ExtProcIr; cluster: ClusterIr } | undefined {
  const owner = ctx.ownerOf("extProc");
  const irName = extensionIrName(owner);
  const before = problems.length;
  crdProblems(e, problems);
  const messageTimeoutMs = messageTimeout(e.messageTimeout, problems);
  const request = phase(e.processingMode?.request, "request", problems);
  const response = phase(e.processingMode?.response, "response", problems);
  if (problems.length > before) return undefined;
  const service = securityBackendService(
    e,
    { use: `extproc/${index}`, protocol: "h2c", kind: "EnvoyExtensionPolicy", irName },
    owner,
    ctx,
    problems,
  );
  if (!service || problems.length > before) return undefined;
  const ir: ExtProcIr = {
    name: `${irName}/extproc/${index}`,
    cluster: service.cluster.name,
    authority: authorityOf(e, owner.namespace),
    ...(request ? { request } : {}),
    ...(response ? { response } : {}),
    allowModeOverride: e.processingMode?.allowModeOverride === true,
    failOpen: e.failOpen === true,
    shadowMode: e.shadowMode === true,
    ...(messageTimeoutMs !== undefined ? { messageTimeoutMs } : {}),
    ...(e.statusOnError !== undefined ? { statusOnError: e.statusOnError } : {}),
    ...metadataOf(e),
    ...(service.retry ? { retry: service.retry } : {}),
  };
  return { ir, cluster: service.cluster };
}

/** Envoy Gateway's authority of the calls: `<first ref name>.<its namespace>[:<port>]`. */
function authorityOf(e: ExtProc, namespace: string): string {
  const first = e.backendRefs?.[0];
  const port = first?.port !== undefined ? `:${first.port}` : "";
  return `${first?.name ?? ""}.${first?.namespace ?? namespace}${port}`;
}

/** The metadata namespaces of the IR. */
function metadataOf(e: ExtProc): Pick<ExtProcIr, "forwardingNamespaces" | "receivingNamespaces"> {
  const md = e.metadata;
  return {
    ...(md?.accessibleNamespaces ? { forwardingNamespaces: md.accessibleNamespaces } : {}),
    ...(md?.writableNamespaces ? { receivingNamespaces: md.writableNamespaces } : {}),
  };
}

/** The CRD's rules on one entry (its messages), and values Envoy would refuse. */
function crdProblems(e: ExtProc, problems: string[]): void {
  refProblems(e, problems);
  const bodies = [e.processingMode?.request?.body, e.processingMode?.response?.body];
  if (e.failOpen === true && bodies.includes("FullDuplexStreamed"))
    problems.push("If FullDuplexStreamed body processing mode is used, FailOpen must be false.");
  if (e.shadowMode === true && bodies.some((b) => b !== undefined && b !== "Streamed"))
    problems.push("If shadowMode is enabled, body processing mode must be Streamed or unset.");
  if (e.statusOnError !== undefined && !STATUS_ON_ERROR.has(e.statusOnError))
    problems.push(`statusOnError: ${JSON.stringify(e.statusOnError)} must be a 4xx or 5xx status of the CRD's enum`);
  writableProblems(e.metadata?.writableNamespaces ?? [], problems);
  for (const field of remoteRetryRefusals(e.backendSettings?.retry))
    problems.push(
      `backendSettings.retry.${field}: not supported for an external processor (the stream's retry is Envoy's ` +
        "RetryPolicy of a remote call, which has no such setting)",
    );
}

/** The CRD's rules on `metadata.writableNamespaces`. */
function writableProblems(writable: readonly string[], problems: string[]): void {
  if (writable.length > 8) problems.push("metadata.writableNamespaces: at most 8 namespaces");
  if (writable.some((n) => n.startsWith("envoy.filters.http")))
    problems.push("writableNamespaces cannot contain well-known Envoy HTTP filter namespaces");
}

/** The CRD's rules on the backend references. */
function refProblems(e: ExtProc, problems: string[]): void {
  if (e.backendRef !== undefined) problems.push("BackendRefs must be used, backendRef is not supported.");
  const refs = e.backendRefs ?? [];
  if (refs.length === 0) problems.push("no backendRefs found for external service");
  if (refs.some((r) => !REF_KINDS.has(r.kind ?? "Service")))
    problems.push("BackendRefs only supports Service, ServiceImport, and Backend kind.");
  if (refs.some((r) => !REF_GROUPS.has(r.group ?? "")))
    problems.push("BackendRefs only supports Core, multicluster.x-k8s.io, and gateway.envoyproxy.io groups.");
}

/** `messageTimeout` in milliseconds (Envoy Gateway's message when it does not parse). */
function messageTimeout(value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const own: string[] = [];
  const ms = durationOf("messageTimeout", value, own);
  if (ms === undefined) {
    problems.push(`invalid ExtProc MessageTimeout value ${JSON.stringify(value)}`);
    return undefined;
  }
  if (ms > MAX_MESSAGE_TIMEOUT_MS) {
    problems.push(`messageTimeout: ${JSON.stringify(value)} must be at most 1h (Envoy's limit)`);
    return undefined;
  }
  return ms;
}

/** One phase of `processingMode`, or undefined when absent (nothing of it is sent). */
function phase(p: ProcessingModeOptions | undefined, field: string, problems: string[]): ExtProcPhaseIr | undefined {
  if (p === undefined || p === null) return undefined;
  const attributes = p.attributes ?? [];
  for (const a of attributes)
    if (typeof a !== "string" || !ATTRIBUTE.test(a))
      problems.push(`processingMode.${field}.attributes: ${JSON.stringify(a)} does not match ${ATTRIBUTE.source}`);
  if (p.body !== undefined && !(p.body in BODY_MODES)) {
    problems.push(
      `processingMode.${field}.body: ${JSON.stringify(p.body)} must be one of ${Object.keys(BODY_MODES).join(", ")}`,
    );
    return undefined;
  }
  return { ...(p.body !== undefined ? { body: BODY_MODES[p.body] } : {}), attributes };
}
