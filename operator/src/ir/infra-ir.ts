/** The infra IR: which Envoy proxies must exist, one per Gateway, or one per GatewayClass with `mergeGateways`. */
import type { CompressionIr } from "./compression-ir";
import type { JsonPatchIr } from "./patch-ir";
import type { MetricSinkIr } from "./telemetry-ir";

/** One Envoy proxy to run. */
export interface ProxyInfraIr {
  /** `namespace/name` of the Gateway, or the GatewayClass name of merged proxies; the Envoy node id. */
  readonly name: string;
  /** Gateway namespace; empty for merged proxies. */
  readonly namespace: string;
  /** Gateway name; empty for merged proxies. */
  readonly gatewayName: string;
  /**
   * Ports the proxy listens on: `protocol` is the Gateway listener's, or {@link HTTP3_PORT_PROTOCOL} for the
   * UDP port of an HTTPS listener serving HTTP/3.
   */
  readonly ports: readonly { readonly name: string; readonly port: number; readonly protocol: string }[];
  /** Labels for the objects created for the proxy (Gateway spec.infrastructure.labels); absent when none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations for those objects (Gateway spec.infrastructure.annotations); absent when none. */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The GatewayClass whose Gateways these proxies all serve (its EnvoyProxy sets `mergeGateways`); absent
   * for the proxies of one Gateway.
   */
  readonly gatewayClass?: string;
  /** `namespace/name` of every Gateway merged proxies serve, sorted; absent for one Gateway's proxies. */
  readonly gateways?: readonly string[];
  /**
   * The local dynamic modules of the proxies' EnvoyProxy (`dynamicModules`, source Local): Envoy 1.36 loads a
   * module by name, `lib<name>.so` from ENVOY_DYNAMIC_MODULES_SEARCH_PATH, so the host runner links each name to its
   * path there. Absent when none.
   */
  readonly dynamicModules?: readonly DynamicModuleFileIr[];
  /** How the Envoy process runs (its EnvoyProxy's logging, concurrency, shutdown, extraArgs, metrics); absent: defaults. */
  readonly runtime?: ProxyRuntimeIr;
}

/** The EnvoyProxy settings of an Envoy process: its command line and the stats parts of its bootstrap. */
export interface ProxyRuntimeIr {
  /** `--log-level` (EnvoyProxy `logging.level.default`); absent: the runner's default. */
  readonly logLevel?: string;
  /** `--component-log-level`, e.g. `http:debug,upstream:info`; absent: none. */
  readonly componentLogLevel?: string;
  /** `--concurrency`; absent: the runner's default. */
  readonly concurrency?: number;
  /** `--drain-time-s` (EnvoyProxy `shutdown.drainTimeout`); absent: the runner's default. */
  readonly drainTimeSeconds?: number;
  /** Least drain of a stopping proxy (EnvoyProxy `shutdown.minDrainDuration`), in seconds; absent: the runner's default. */
  readonly minDrainSeconds?: number;
  /** How long a stopping proxy drains before failing its health checks (`shutdown.healthCheckFailureDelay`), ms. */
  readonly healthCheckFailureDelayMs?: number;
  /** Arguments appended to Envoy's command line (EnvoyProxy `extraArgs`, checked); absent: none. */
  readonly extraArgs?: readonly string[];
  /** No Prometheus stats listener (EnvoyProxy `telemetry.metrics.prometheus.disable`). @default false */
  readonly prometheusDisabled?: boolean;
  /** Envoy's stats_matcher inclusion list (EnvoyProxy `telemetry.metrics.matches`); absent: every stat. */
  readonly statsMatches?: readonly StatMatchIr[];
  /** The stats listener's response compression (`telemetry.metrics.prometheus.compression`); absent: none. */
  readonly statsCompression?: CompressionIr;
  /** The EnvoyProxy `bootstrap` laid over egts's (checked by the translator); absent: egts's bootstrap. */
  readonly bootstrap?: BootstrapCustomIr;
  /**
   * Why the EnvoyProxy's `bootstrap` was refused (`spec.bootstrap: <reason>`), when it was: `bootstrap` is then
   * absent and the edges keep the last good one of these proxies (infra/bootstrap-custom.ts
   * {@link withLastGoodBootstrap}). Absent: none refused.
   */
  readonly bootstrapRefused?: string;
  /** OpenTelemetry stat sinks (EnvoyProxy `telemetry.metrics.sinks`); absent: none. */
  readonly metricSinks?: readonly MetricSinkIr[];
}

/** A customisation of the bootstrap (EnvoyProxy `bootstrap`), checked by the translator. */
export interface BootstrapCustomIr {
  /** How the bootstrap changes. */
  readonly type: "Merge" | "Replace" | "JSONPatch";
  /** The user's bootstrap in YAML (Merge, Replace). */
  readonly value?: string;
  /** RFC 6902 operations (JSONPatch); `type` and `name` of each are unused. */
  readonly jsonPatches?: readonly JsonPatchIr[];
}

/** One stat name pattern of a stats inclusion list. */
export interface StatMatchIr {
  /** How the name is compared. */
  readonly type: "exact" | "prefix" | "suffix" | "regex";
  /** The value (an RE2 regular expression for `regex`). */
  readonly value: string;
}

/** A dynamic module file of the proxies. */
export interface DynamicModuleFileIr {
  /** The module's name (Envoy loads `lib<name>.so`). */
  readonly name: string;
  /** Absolute path of the shared library on the proxies' host. */
  readonly path: string;
}

/** The protocol of an infra port serving HTTP/3 (QUIC over UDP) next to its HTTPS port. */
export const HTTP3_PORT_PROTOCOL = "HTTP3";
