/**
 * The gRPC sinks of EnvoyProxy `telemetry.accessLog` (File sinks are translate/access-log.ts's), as Envoy Gateway
 * v1.9 translates them, appended after the file logs (its order):
 *
 * - `ALS`: Envoy's gRPC Access Log Service, HTTP entries (`http_grpc`, with the extra request and response headers
 *   and trailers of `als.http`) or TCP entries (`tcp_grpc`); the stream's log name is `als.logName`, else
 *   `<EnvoyProxy namespace>/<name>`; the format is not used. Cluster `accesslog_als_<setting>_<sink>`, HTTP/2.
 * - `OpenTelemetry`: OTLP logs; the body is the text format and the attributes the JSON fields (both when the
 *   format type is unset; Envoy Gateway's default JSON fields when neither is given), the resource attributes
 *   `resourceAttributes` (else the deprecated `resources`). Cluster `accesslog_otel_<setting>_<sink>`, HTTP/2.
 *
 * A setting's CEL `matches` and `type` (Route, Listener) apply to its gRPC sinks as to its files.
 */
import type { GrpcAccessLogSinkIr } from "../../ir/telemetry-ir";
import type { AccessLogIr, ClusterIr } from "../../ir/xds-ir";
import type { BackendIndex } from "../backends";
import { sinkDestination, type SinkContext, type SinkTarget, type TelemetryOwner } from "./destination";
import { headersOf, type ProxyHeader } from "./headers";

/** One access log setting (the fields the gRPC sinks read). */
interface Setting {
  readonly format?: {
    readonly type?: string;
    readonly text?: string;
    readonly json?: Readonly<Record<string, string>>;
  };
  readonly matches?: readonly string[];
  readonly type?: string;
  readonly sinks?: readonly Sink[];
}

/** One sink of a setting. */
interface Sink {
  readonly type?: string;
  readonly als?: SinkTarget & {
    readonly logName?: string;
    readonly type?: string;
    readonly http?: {
      readonly requestHeaders?: readonly string[];
      readonly responseHeaders?: readonly string[];
      readonly responseTrailers?: readonly string[];
    };
  };
  readonly openTelemetry?: SinkTarget & {
    readonly resources?: Readonly<Record<string, string>>;
    readonly resourceAttributes?: Readonly<Record<string, string>>;
    readonly headers?: readonly ProxyHeader[];
  };
}

/** `telemetry.accessLog` (the fields read here). */
export interface ProxyAccessLogSinks {
  readonly disable?: boolean;
  readonly settings?: readonly Setting[];
}

/** The gRPC access logs of `al` and their clusters. */
export interface GrpcAccessLogs {
  /** The access logs, in setting and sink order. */
  readonly logs: readonly AccessLogIr[];
  /** Their clusters. */
  readonly clusters: readonly ClusterIr[];
}

/** What in a gRPC sink the API forbids, one message per field (empty when none). */
export function grpcSinkProblems(al: ProxyAccessLogSinks | undefined): string[] {
  if (!al || al.disable === true) return [];
  const out: string[] = [];
  (al.settings ?? []).forEach((s, i) =>
    (s.sinks ?? []).forEach((k, j) => {
      const at = `spec.telemetry.accessLog.settings[${i}].sinks[${j}]`;
      if (k.type === "ALS") {
        if (!k.als) out.push(`${at}.als must be set for an ALS sink`);
        else if (k.als.type !== "HTTP" && k.als.type !== "TCP")
          out.push(`${at}.als.type (${String(k.als.type)}) must be HTTP or TCP`);
        else if (k.als.http !== undefined && k.als.type !== "HTTP")
          out.push(`${at}.als.http can only be set with type HTTP`);
        if (k.als && (k.als.backendRefs?.length ?? 0) === 0) out.push(`${at}.als.backendRefs must be set`);
      } else if (k.type === "OpenTelemetry" && !k.openTelemetry)
        out.push(`${at}.openTelemetry must be set for an OpenTelemetry sink`);
    }),
  );
  return out;
}

/** The gRPC access logs of `al` (problems pushed on `problems`; a sink with a problem is left out). */
export function grpcAccessLogsFor(
  al: ProxyAccessLogSinks | undefined,
  owner: TelemetryOwner,
  backends: BackendIndex,
  problems: string[],
): GrpcAccessLogs {
  const logs: AccessLogIr[] = [];
  const clusters: ClusterIr[] = [];
  if (!al || al.disable === true) return { logs, clusters };
  (al.settings ?? []).forEach((s, i) =>
    (s.sinks ?? []).forEach((k, j) => {
      const own: string[] = [];
      const made = grpcSink(s, k, `${i}_${j}`, { owner, backends, problems: own });
      problems.push(...own.map((m) => `spec.telemetry.accessLog.settings[${i}].sinks[${j}]: ${m}`));
      if (!made) return;
      clusters.push(made.cluster);
      logs.push({ path: "", format: { type: "json" }, sink: made.sink, ...placementOf(s) });
    }),
  );
  return { logs, clusters };
}

/** A setting's CEL matches and type, as the AccessLogIr fields (absent when unset). */
function placementOf(s: Setting): Pick<AccessLogIr, "matches" | "type"> {
  const type = s.type === "Route" ? "route" : s.type === "Listener" ? "listener" : undefined;
  const matches = s.matches ?? [];
  return { ...(matches.length > 0 ? { matches: [...matches] } : {}), ...(type ? { type } : {}) };
}

type Made = { readonly sink: GrpcAccessLogSinkIr; readonly cluster: ClusterIr } | undefined;

/** The sink and cluster of gRPC sink `k` of setting `s` (`index`: `<setting>_<sink>`); undefined for File sinks. */
function grpcSink(s: Setting, k: Sink, index: string, ctx: SinkContext): Made {
  if (k.type === "ALS" && k.als) return alsSink(k.als, `accesslog_als_${index}`, ctx);
  if (k.type === "OpenTelemetry" && k.openTelemetry)
    return otelSink(s, k.openTelemetry, `accesslog_otel_${index}`, ctx);
  return undefined;
}

/** A list, or undefined when empty. */
function nonEmpty(l: readonly string[] | undefined): readonly string[] | undefined {
  return l && l.length > 0 ? [...l] : undefined;
}

function alsSink(als: NonNullable<Sink["als"]>, name: string, ctx: SinkContext): Made {
  const dest = sinkDestination(als, name, true, ctx);
  if (!dest) return undefined;
  const http = als.type === "HTTP" ? als.http : undefined;
  const requestHeaders = nonEmpty(http?.requestHeaders);
  const responseHeaders = nonEmpty(http?.responseHeaders);
  const responseTrailers = nonEmpty(http?.responseTrailers);
  const sink: GrpcAccessLogSinkIr = {
    kind: "als",
    cluster: name,
    logName: als.logName ?? `${ctx.owner.namespace}/${ctx.owner.name}`,
    type: als.type === "TCP" ? "TCP" : "HTTP",
    ...(requestHeaders ? { requestHeaders } : {}),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(responseTrailers ? { responseTrailers } : {}),
  };
  return { sink, cluster: dest.cluster };
}

/** The body and attributes of an OpenTelemetry sink: text and JSON, both when the format's type is unset. */
function otelFormat(s: Setting): { body?: string; attributes: Record<string, string> } {
  const type = s.format?.type;
  const body = type === undefined || type === "Text" ? s.format?.text : undefined;
  const json = type === undefined || type === "JSON" ? s.format?.json : undefined;
  return { ...(body ? { body } : {}), attributes: json ? sorted(json) : {} };
}

function otelSink(s: Setting, o: NonNullable<Sink["openTelemetry"]>, name: string, ctx: SinkContext): Made {
  const dest = sinkDestination(o, name, true, ctx);
  if (!dest) return undefined;
  const resourceAttributes = o.resourceAttributes ?? o.resources ?? {};
  const headers = headersOf(o.headers);
  const sink: GrpcAccessLogSinkIr = {
    kind: "otel",
    cluster: name,
    authority: dest.authority,
    ...otelFormat(s),
    ...(Object.keys(resourceAttributes).length > 0 ? { resourceAttributes: sorted(resourceAttributes) } : {}),
    ...(headers ? { headers } : {}),
  };
  return { sink, cluster: dest.cluster };
}

/** A record with its keys in order. */
function sorted(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
