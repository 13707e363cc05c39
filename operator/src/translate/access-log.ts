/**
 * The access logs of a Gateway's proxies, from its EnvoyProxy's `telemetry.accessLog`, as Envoy Gateway
 * decides them: with no EnvoyProxy, no telemetry, or an accessLog with neither `disable` nor settings, every
 * request is logged as a JSON line on the proxy's standard output (Envoy Gateway's default format); `disable:
 * true` logs nothing (the default JSON fields are in xds/translate/access-log.ts); settings with File sinks (or no
 * sink: stdout) and Text or JSON formats log what they say, only the requests their CEL `matches` all accept, on
 * routes and listeners or (`type`) only one of them. The gRPC sinks (ALS, OpenTelemetry) are
 * translate/telemetry/access-log-sinks.ts's. The Upstream type is not implemented: the EnvoyProxy is refused with a
 * message naming the field ({@link accessLogProblems}), never silently ignored.
 */
import type { AccessLogIr } from "../ir/xds-ir";
import { celProblem } from "./cel-check";
import type { EnvoyProxy } from "../resources/envoy-proxy";

/** The proxy's standard output, where the default access log goes. */
export const STDOUT = "/dev/stdout";

/** Envoy Gateway's default access log: JSON lines on standard output. */
export const DEFAULT_ACCESS_LOG: AccessLogIr = { path: STDOUT, format: { type: "json" } };

/** `spec.telemetry.accessLog` of an EnvoyProxy, as Envoy Gateway's API defines it (the parts we read). */
interface ProxyAccessLog {
  readonly disable?: boolean;
  readonly settings?: readonly ProxyAccessLogSetting[];
}

interface ProxyAccessLogSetting {
  readonly format?: {
    readonly type?: string;
    readonly text?: string;
    readonly json?: Readonly<Record<string, string>>;
  };
  readonly sinks?: readonly { readonly type?: string; readonly file?: { readonly path?: string } }[];
  readonly matches?: readonly string[];
  readonly type?: string;
}

function accessLogOf(spec: EnvoyProxy["spec"] | undefined): ProxyAccessLog | undefined {
  const telemetry = spec?.["telemetry"] as { accessLog?: ProxyAccessLog } | undefined;
  return telemetry?.accessLog;
}

/** The access logs of proxies customised by `spec` (undefined: no EnvoyProxy); empty: logging is off. */
export function accessLogsFor(spec: EnvoyProxy["spec"] | undefined): readonly AccessLogIr[] {
  if (spec === undefined) return DEFAULT_ACCESS_LOGS;
  // The same objects while the EnvoyProxy is the same (its spec object): the build keeps what it made of them.
  let logs = logsBySpec.get(spec);
  if (!logs) logsBySpec.set(spec, (logs = accessLogsOf(spec)));
  return logs;
}

/** The default access log alone, one array for every pass. */
const DEFAULT_ACCESS_LOGS: readonly AccessLogIr[] = Object.freeze([DEFAULT_ACCESS_LOG]);
const logsBySpec = new WeakMap<NonNullable<EnvoyProxy["spec"]>, readonly AccessLogIr[]>();

function accessLogsOf(spec: EnvoyProxy["spec"]): readonly AccessLogIr[] {
  const al = accessLogOf(spec);
  if (al?.disable === true) return [];
  const settings = al?.settings ?? [];
  if (settings.length === 0) return DEFAULT_ACCESS_LOGS;
  return settings.flatMap((s) => {
    // gRPC sinks (ALS, OpenTelemetry) are translate/telemetry/access-log-sinks.ts's.
    const sinks = s.sinks ?? [];
    const files = sinks.filter((k) => k?.type === "File");
    const paths = sinks.length === 0 ? [STDOUT] : files.map((k) => k.file?.path ?? STDOUT);
    const matches = s.matches ?? [];
    const type = s.type === "Route" ? "route" : s.type === "Listener" ? "listener" : undefined;
    return paths.map((path): AccessLogIr => ({
      path,
      format: formatOf(s),
      ...(matches.length > 0 ? { matches: [...matches] } : {}),
      ...(type ? { type } : {}),
    }));
  });
}

/** The format type: as written, else Text when only `text` is set, else JSON (Envoy Gateway's resolution). */
function formatTypeOf(s: ProxyAccessLogSetting): string {
  const f = s.format;
  if (f?.type !== undefined) return f.type;
  return f?.text !== undefined && f.json === undefined ? "Text" : "JSON";
}

function formatOf(s: ProxyAccessLogSetting): AccessLogIr["format"] {
  if (formatTypeOf(s) === "Text") return { type: "text", line: s.format?.text ?? "" };
  const fields = s.format?.json;
  return fields && Object.keys(fields).length > 0 ? { type: "json", fields } : { type: "json" };
}

/** What in `telemetry.accessLog` we cannot do, one message per field (empty when everything is supported). */
export function accessLogProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const al = accessLogOf(spec);
  if (!al || al.disable === true) return [];
  // The CRD keeps `accessLog` as written: a field of the wrong shape is a problem, never a throw.
  try {
    return (al.settings ?? []).flatMap((s, i) => settingProblems(s, `spec.telemetry.accessLog.settings[${i}]`));
  } catch (e) {
    return [`spec.telemetry.accessLog has a field of the wrong type (${e instanceof Error ? e.message : String(e)})`];
  }
}

function settingProblems(s: ProxyAccessLogSetting, at: string): string[] {
  const out: string[] = [];
  const type = formatTypeOf(s);
  if (type !== "Text" && type !== "JSON") out.push(`${at}.format.type (${type}) must be Text or JSON`);
  if (type === "Text" && !s.format?.text) out.push(`${at}.format.text must be set when format.type is Text`);
  (s.matches ?? []).forEach((expr, i) => {
    const problem = celProblem(String(expr), `${at}.matches[${i}]`);
    if (problem) out.push(problem.startsWith(`${at}.`) ? problem : `${at}.matches[${i}]: ${problem}`);
  });
  if (s.type === "Upstream") out.push(`${at}.type (Upstream) is not implemented by egts: only Route and Listener are`);
  else if (s.type !== undefined && s.type !== "Route" && s.type !== "Listener")
    out.push(`${at}.type (${s.type}) must be Route, Listener or Upstream`);
  (s.sinks ?? []).forEach((k, j) => {
    const type = k?.type;
    if (type !== "File" && type !== "ALS" && type !== "OpenTelemetry")
      out.push(`${at}.sinks[${j}].type (${String(type)}) must be File, ALS or OpenTelemetry`);
    else if (type === "File" && !k.file?.path) out.push(`${at}.sinks[${j}].file.path must be set for a File sink`);
  });
  return out;
}
