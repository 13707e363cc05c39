/**
 * AccessLogIr → Envoy access log configs, placed as Envoy Gateway places them: on every HTTP connection
 * manager and tcp_proxy (a line per request or connection), and on every listener with a filter that keeps
 * only connections no route took (response flag NR), so a request that matched nothing is logged once too.
 */
import type { AccessLog, AccessLogFilter } from "../../../../proto/gen/envoy/config/accesslog/v3/accesslog";
import { pack } from "../../../../proto/any";
import type { AccessLogIr } from "../../ir/xds-ir";
import { FileAccessLogType, StderrAccessLogType, StdoutAccessLogType } from "../types";
import { CelAccessLogFilterType } from "../extension-types";
import { grpcAccessLog } from "./access-log-grpc";

/**
 * Envoy Gateway's default JSON access log fields (field name → Envoy format command), written when the IR
 * gives no fields.
 */
export const DEFAULT_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  start_time: "%START_TIME%",
  method: "%REQ(:METHOD)%",
  "x-envoy-origin-path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
  upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration: "%DURATION%",
  "x-envoy-upstream-service-time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
  "x-forwarded-for": "%REQ(X-FORWARDED-FOR)%",
  "user-agent": "%REQ(USER-AGENT)%",
  "x-request-id": "%REQ(X-REQUEST-ID)%",
  ":authority": "%REQ(:AUTHORITY)%",
  upstream_host: "%UPSTREAM_HOST%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_local_address: "%UPSTREAM_LOCAL_ADDRESS%",
  downstream_local_address: "%DOWNSTREAM_LOCAL_ADDRESS%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  requested_server_name: "%REQUESTED_SERVER_NAME%",
  route_name: "%ROUTE_NAME%",
};

/** Envoy's name of the file access logger. */
const FILE_ACCESS_LOG = "envoy.access_loggers.file";

/** The paths written through Envoy's stream loggers (see fileAccessLog), with the logger's name and type. */
const STREAM_LOGGERS: ReadonlyMap<
  string,
  { readonly name: string; readonly type: typeof StdoutAccessLogType | typeof StderrAccessLogType }
> = new Map([
  ["/dev/stdout", { name: "envoy.access_loggers.stdout", type: StdoutAccessLogType }],
  ["/dev/stderr", { name: "envoy.access_loggers.stderr", type: StderrAccessLogType }],
]);

/** Listener-level access logs keep only what no route handled (the HCM and tcp_proxy log the rest). */
const NO_ROUTE_FILTER = { responseFlagFilter: { flags: ["NR"] } } as AccessLogFilter;

/** Access logs for an HTTP connection manager or a tcp_proxy: every request or connection its `matches` accept. */
export function routeAccessLogs(logs: readonly AccessLogIr[] | undefined): AccessLog[] {
  return (logs ?? []).filter((l) => l.type !== "listener").map((l) => accessLog(l, filterOf(l.matches)));
}

/**
 * Access logs for a Listener: those of type `listener` log every connection their `matches` accept; those of no
 * type only the connections no route took (the route level logs the others).
 */
export function listenerAccessLogs(logs: readonly AccessLogIr[] | undefined): AccessLog[] {
  return (logs ?? [])
    .filter((l) => l.type !== "route")
    .map((l) => accessLog(l, filterOf(l.matches, l.type === undefined ? NO_ROUTE_FILTER : undefined)));
}

/** One access log: to its gRPC sink (access-log-grpc.ts) or its file. */
function accessLog(l: AccessLogIr, filter?: AccessLogFilter): AccessLog {
  return l.sink ? grpcAccessLog(l.sink, filter) : fileAccessLog(l, filter);
}

/** A CEL extension filter per expression, and `extra`, all required (one filter alone stays itself). */
function filterOf(matches: readonly string[] | undefined, extra?: AccessLogFilter): AccessLogFilter | undefined {
  const filters: AccessLogFilter[] = (matches ?? []).map(
    (expression) =>
      ({
        extensionFilter: {
          name: CEL_FILTER,
          typedConfig: pack(CelAccessLogFilterType, CelAccessLogFilterType.codec.fromPartial({ expression } as never)),
        },
      }) as AccessLogFilter,
  );
  if (extra) filters.push(extra);
  if (filters.length <= 1) return filters[0];
  return { andFilter: { filters } } as AccessLogFilter;
}

/** Envoy's name of the CEL access log filter. */
const CEL_FILTER = "envoy.access_loggers.extension_filters.cel";

/** The `accessLog` field of a Listener, HCM or tcp_proxy being built: absent when there are none. */
export function accessLogField(logs: AccessLog[]): { accessLog?: AccessLog[] } {
  return logs.length > 0 ? { accessLog: logs } : {};
}

/**
 * One access log. `/dev/stdout` and `/dev/stderr` become Envoy's stdout and stderr loggers, which write to the
 * process's own descriptors: Envoy cannot open `/dev/stdout` when its standard output is a socket (a pipe from
 * Node, a container runtime's log socket) and would reject the whole listener. Other paths are files.
 */
function fileAccessLog(l: AccessLogIr, filter?: AccessLogFilter): AccessLog {
  const logFormat =
    l.format.type === "json"
      ? { jsonFormat: sortedFields(l.format.fields ?? DEFAULT_ACCESS_LOG_FIELDS) }
      : { textFormatSource: { inlineString: l.format.line } };
  const stream = STREAM_LOGGERS.get(l.path);
  const typedConfig = stream
    ? pack(stream.type, stream.type.codec.fromPartial({ logFormat } as never))
    : pack(FileAccessLogType, FileAccessLogType.codec.fromPartial({ path: l.path, logFormat } as never));
  return { name: stream?.name ?? FILE_ACCESS_LOG, typedConfig, ...(filter ? { filter } : {}) } as AccessLog;
}

/** JSON fields in name order, so the output is stable whatever order they were written in. */
function sortedFields(fields: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
