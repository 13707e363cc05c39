/**
 * How an EnvoyProxy runs its Envoy processes, as Envoy Gateway decides it (its proxy_args and bootstrap): the
 * log levels (`logging.level`), `concurrency`, the drain time (`shutdown.drainTimeout`), `extraArgs`, and the
 * stats parts of the bootstrap (`telemetry.metrics.prometheus.disable` and `matches`). Pure; the Kubernetes
 * renderer and the host runner both build Envoy's command line from the result (infra/proxy-args.ts).
 * {@link proxyRuntimeProblems} refuses what Envoy would fail on at start: unknown log components or levels, a
 * duration that is not one, and extra arguments that would take a flag egts sets or relies on.
 */
import type { ProxyRuntimeIr, StatMatchIr } from "../ir/infra-ir";
import type { ProxyMetricsIr } from "../ir/xds-ir";
import type { EnvoyProxy, ProxyMetrics } from "../resources/envoy-proxy";
import { parseDuration } from "./duration";
import { compressionOf } from "./policies/backend-traffic-compression";
import { buildBootstrap, statsCompressionOf } from "../infra/bootstrap";
import { bootstrapCustomOf, customizeBootstrap } from "../infra/bootstrap-custom";

/** Envoy Gateway's `ProxyLogComponent` values (`default` is `--log-level`, the others `--component-log-level`). */
export const LOG_COMPONENTS: ReadonlySet<string> = new Set([
  "default",
  "upstream",
  "http",
  "connection",
  "admin",
  "client",
  "filter",
  "main",
  "router",
  "runtime",
]);
/** Envoy Gateway's `LogLevel` values (Envoy's spdlog levels). */
export const LOG_LEVELS: ReadonlySet<string> = new Set(["trace", "debug", "info", "warn", "error", "critical", "off"]);

/**
 * Envoy flags `extraArgs` may not carry, as `--flag` or `--flag=value` (and their short forms): the bootstrap
 * path and inline config (egts writes the bootstrap), the admin address file and base id (the host runner finds
 * each proxy's admin by them and runs several on one host), the node identity (the xDS server serves a node by
 * it), the log levels, concurrency and drain settings (their own EnvoyProxy fields), the mode (validate would
 * exit) and the flags that print and exit.
 */
export const DENIED_EXTRA_ARGS: ReadonlySet<string> = new Set([
  "-c",
  "--config-path",
  "--config-yaml",
  "--mode",
  "--admin-address-path",
  "--base-id",
  "--use-dynamic-base-id",
  "--base-id-path",
  "--restart-epoch",
  "--service-node",
  "--service-cluster",
  "--service-zone",
  "-l",
  "--log-level",
  "--component-log-level",
  "--concurrency",
  "--drain-time-s",
  "--drain-strategy",
  "--parent-shutdown-time-s",
  "--version",
  "--help",
  "-h",
  "--hot-restart-version",
]);

/** The flag an argument sets (`--flag=value` → `--flag`), or undefined for a value. */
function flagOf(arg: string): string | undefined {
  return arg.startsWith("-") ? arg.split("=")[0] : undefined;
}

const COMPRESSION = "spec.telemetry.metrics.prometheus.compression";

/** One message per setting of `spec` Envoy could not start with (empty when none). */
export function proxyRuntimeProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const out = logLevelProblems(spec?.logging?.level ?? {});
  for (const field of ["drainTimeout", "minDrainDuration", "healthCheckFailureDelay"] as const) {
    const value = spec?.shutdown?.[field];
    if (value !== undefined && parseDuration(value) === undefined)
      out.push(`spec.shutdown.${field} (${value}) is not a duration such as 60s or 1m30s`);
  }
  (spec?.extraArgs ?? []).forEach((arg, i) => {
    const flag = flagOf(String(arg));
    if (flag !== undefined && DENIED_EXTRA_ARGS.has(flag))
      out.push(`spec.extraArgs[${i}] (${flag}) is set by egts and may not be overridden`);
  });
  out.push(...statsProblems(spec?.telemetry?.metrics));
  return out;
}

/** What of the stats settings (`matches`, the Prometheus endpoint's `compression`) Envoy could not use. */
function statsProblems(metrics: ProxyMetrics | undefined): string[] {
  const out: string[] = [];
  const compression = metrics?.prometheus?.compression;
  if (compression !== undefined) compressionOf(compression, COMPRESSION, true, out);
  (metrics?.matches ?? []).forEach((m, i) => {
    const type = m.type ?? "Exact";
    if (!(type in MATCH_TYPES)) out.push(`spec.telemetry.metrics.matches[${i}].type (${type}) is not a match type`);
    if (typeof m.value !== "string" || m.value === "")
      out.push(`spec.telemetry.metrics.matches[${i}].value must be set`);
  });
  return out;
}

/**
 * Why `bootstrap` cannot be used (Envoy Gateway's messages, after `spec.bootstrap: `), checked on a reference
 * bootstrap with a stats listener; the xDS cluster's endpoint is checked where the proxies' is known (the edge).
 * Not a refusal of the EnvoyProxy: its proxies keep serving with their last good bootstrap
 * (`ProxyRuntimeIr.bootstrapRefused`), and their Gateways say why (translate/bootstrap-refused.ts).
 */
export function bootstrapProblem(spec: EnvoyProxy["spec"] | undefined): string | undefined {
  if (spec?.bootstrap === undefined) return undefined;
  const stats = statsOf(spec.telemetry?.metrics);
  const matches = stats.statsMatches;
  const base = buildBootstrap({
    nodeId: "reference",
    xdsHost: "127.0.0.1",
    xdsPort: 18000,
    adminPort: 19000,
    ...(spec.telemetry?.metrics?.prometheus?.disable === true ? {} : { statsPort: 19001 }),
    ...(matches ? { statsMatches: matches } : {}),
    ...statsCompressionOf(stats),
  });
  const custom = bootstrapCustomOf(spec.bootstrap);
  // A Merge or JSONPatch starts from the proxies' bootstrap, so a moved xDS endpoint shows on the reference too.
  const r = customizeBootstrap(base, custom, custom.type !== "Replace");
  return "problem" in r ? `spec.bootstrap: ${r.problem}` : undefined;
}

/** Unknown components and levels of `logging.level`. */
function logLevelProblems(levels: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [component, level] of Object.entries(levels)) {
    if (!LOG_COMPONENTS.has(component))
      out.push(`spec.logging.level.${component}: unknown component (one of ${[...LOG_COMPONENTS].join(", ")})`);
    if (!LOG_LEVELS.has(level))
      out.push(`spec.logging.level.${component} (${level}) must be one of ${[...LOG_LEVELS].join(", ")}`);
  }
  return out;
}

const MATCH_TYPES: Readonly<Record<string, StatMatchIr["type"]>> = {
  Exact: "exact",
  Prefix: "prefix",
  Suffix: "suffix",
  RegularExpression: "regex",
};

/** The runtime settings of proxies customised by `spec`; undefined when it sets none (every default). */
export function proxyRuntimeFor(spec: EnvoyProxy["spec"] | undefined): ProxyRuntimeIr | undefined {
  if (!spec) return undefined;
  const extraArgs = (spec.extraArgs ?? []).map(String);
  const ir: ProxyRuntimeIr = {
    ...logLevelsOf(spec.logging?.level ?? {}),
    ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
    ...shutdownOf(spec.shutdown),
    ...(extraArgs.length > 0 ? { extraArgs } : {}),
    ...statsOf(spec.telemetry?.metrics),
    ...bootstrapOf(spec),
  };
  return Object.keys(ir).length > 0 ? ir : undefined;
}

/** The EnvoyProxy's `bootstrap` customisation, or why it is refused. */
function bootstrapOf(spec: EnvoyProxy["spec"]): Pick<ProxyRuntimeIr, "bootstrap" | "bootstrapRefused"> {
  if (spec.bootstrap === undefined) return {};
  const bootstrapRefused = bootstrapProblem(spec);
  return bootstrapRefused ? { bootstrapRefused } : { bootstrap: bootstrapCustomOf(spec.bootstrap) };
}

/** The drain settings of `shutdown` that it sets. */
function shutdownOf(
  shutdown: EnvoyProxy["spec"]["shutdown"],
): Pick<ProxyRuntimeIr, "drainTimeSeconds" | "minDrainSeconds" | "healthCheckFailureDelayMs"> {
  const drainSeconds = durationSeconds(shutdown?.drainTimeout);
  const minDrainSeconds = durationSeconds(shutdown?.minDrainDuration);
  const delay = shutdown?.healthCheckFailureDelay;
  const healthCheckFailureDelayMs = delay !== undefined ? parseDuration(delay) : undefined;
  return {
    ...(drainSeconds !== undefined ? { drainTimeSeconds: drainSeconds } : {}),
    ...(minDrainSeconds !== undefined ? { minDrainSeconds } : {}),
    ...(healthCheckFailureDelayMs !== undefined ? { healthCheckFailureDelayMs } : {}),
  };
}

/** A duration in whole seconds (rounded), or undefined when absent or not a duration. */
function durationSeconds(value: string | undefined): number | undefined {
  const ms = value !== undefined ? parseDuration(value) : undefined;
  return ms !== undefined ? Math.round(ms / 1000) : undefined;
}

/** `--log-level` and `--component-log-level` of `logging.level` (components sorted, as Envoy Gateway). */
function logLevelsOf(levels: Readonly<Record<string, string>>): Pick<ProxyRuntimeIr, "logLevel" | "componentLogLevel"> {
  const components = Object.entries(levels)
    .filter(([c, l]) => c !== "default" && l)
    .map(([c, l]) => `${c}:${l}`)
    .sort();
  return {
    ...(levels.default ? { logLevel: levels.default } : {}),
    ...(components.length > 0 ? { componentLogLevel: components.join(",") } : {}),
  };
}

/** The bootstrap's stats settings of `telemetry.metrics`. */
function statsOf(
  metrics: ProxyMetrics | undefined,
): Pick<ProxyRuntimeIr, "prometheusDisabled" | "statsMatches" | "statsCompression"> {
  const matches = metrics?.matches;
  const compression = metrics?.prometheus?.compression;
  return {
    ...(metrics?.prometheus?.disable === true ? { prometheusDisabled: true } : {}),
    ...(compression !== undefined ? { statsCompression: compressionOf(compression, COMPRESSION, true, []) } : {}),
    ...(matches !== undefined
      ? { statsMatches: matches.map((m) => ({ type: MATCH_TYPES[m.type ?? "Exact"] ?? "exact", value: m.value })) }
      : {}),
  };
}

/** The proxy with the runtime settings of its EnvoyProxy, or itself when there are none. */
export function withProxyRuntime<P extends { readonly runtime?: ProxyRuntimeIr }>(
  p: P,
  spec: EnvoyProxy["spec"] | undefined,
): P {
  const runtime = proxyRuntimeFor(spec);
  return runtime ? { ...p, runtime } : p;
}

/** The extra stats of a node whose proxies `spec` customises; undefined when it asks for none. */
export function proxyMetricsFor(spec: EnvoyProxy["spec"] | undefined): ProxyMetricsIr | undefined {
  const m = spec?.telemetry?.metrics;
  const ir: ProxyMetricsIr = {
    ...(m?.enableVirtualHostStats === true ? { virtualHostStats: true } : {}),
    ...(m?.enablePerEndpointStats === true ? { perEndpointStats: true } : {}),
    ...(m?.enableRequestResponseSizesStats === true ? { requestResponseSizes: true } : {}),
  } as const;
  return Object.keys(ir).length > 0 ? ir : undefined;
}
