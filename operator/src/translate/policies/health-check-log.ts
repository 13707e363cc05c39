/**
 * ProxyHealthCheckLog (BackendTrafficPolicy `healthCheck.active.healthCheckLog`; the same type as EnvoyProxy
 * `telemetry.healthCheckLog`) → HealthCheckLogIr, as Envoy Gateway v1.9 reads it: no `matches` logs every probe
 * outcome; Failure and Success log every failed and passed probe, FailureSeriesStart and HealthyTransition (Envoy's
 * default) only the first of a run and the transitions; no sink writes to /dev/stdout. Checked with its CRD rules
 * (the file provider has no API server): one sink at most, of type File with a non-empty path; up to four unique
 * matches, a failure type and a success type together.
 */
import type { HealthCheckLogIr } from "../../ir/backend-traffic-cluster-ir";
import type { ProxyHealthCheckLog } from "../../resources/backend-cluster";
import { quote } from "../validate-values";

const MATCHES = ["Failure", "FailureSeriesStart", "Success", "HealthyTransition"];

/** Envoy Gateway's sink when none is given. */
const DEFAULT_SINK = "/dev/stdout";

/** The health check event log of `log` (at spec path `at`); undefined when unset or unusable (then reported). */
export function healthCheckLogOf(
  at: string,
  log: ProxyHealthCheckLog | undefined,
  invalid: string[],
): HealthCheckLogIr | undefined {
  if (!log) return undefined;
  const before = invalid.length;
  const matches: readonly string[] = log.matches ?? [];
  matchProblems(at, matches, invalid);
  const paths = sinkPaths(at, log.sinks ?? [], invalid);
  if (invalid.length > before) return undefined;
  const all = matches.length === 0;
  return {
    filePaths: paths.length > 0 ? paths : [DEFAULT_SINK],
    alwaysLogFailures: all || matches.includes("Failure"),
    alwaysLogSuccess: all || matches.includes("Success"),
  };
}

function matchProblems(at: string, matches: readonly string[], invalid: string[]): void {
  if (matches.length > MATCHES.length) invalid.push(`${at}.matches: at most ${MATCHES.length} items`);
  matches.forEach((m, i) => {
    if (!MATCHES.includes(m))
      invalid.push(`${at}.matches[${i}]: ${quote(String(m))} must be one of ${MATCHES.join(", ")}`);
  });
  if (new Set(matches).size !== matches.length) invalid.push(`${at}.matches: each value may be listed once`);
  const failure = matches.some((m) => m === "Failure" || m === "FailureSeriesStart");
  const success = matches.some((m) => m === "Success" || m === "HealthyTransition");
  if (failure !== success)
    invalid.push(`${at}.matches: a failure type and a success type must both be specified together`);
}

function sinkPaths(at: string, sinks: NonNullable<ProxyHealthCheckLog["sinks"]>, invalid: string[]): string[] {
  if (sinks.length > 1) invalid.push(`${at}.sinks: at most 1 item`);
  return sinks.flatMap((s, i) => {
    if (s.type !== "File") {
      invalid.push(`${at}.sinks[${i}].type: ${quote(String(s.type))} must be File`);
      return [];
    }
    if (!s.file) {
      invalid.push(`${at}.sinks[${i}]: If ProxyHealthCheckLogSink type is File, file field needs to be set.`);
      return [];
    }
    if (typeof s.file.path !== "string" || s.file.path === "") {
      invalid.push(`${at}.sinks[${i}].file.path: must not be empty`);
      return [];
    }
    return [s.file.path];
  });
}
