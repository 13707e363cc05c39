/**
 * `admin` and `xdsServer` of the EnvoyGateway configuration (Envoy Gateway v1.9's EnvoyGatewayAdmin and
 * XDSServer), with its defaults:
 * - `admin.address.host` / `.port` (127.0.0.1:19000): where `egts controller` serves the admin API
 *   (admin/admin-server.ts); `admin.enableDumpConfig`: the configuration is logged at startup;
 *   `admin.enablePprof`: the profiling endpoints (admin/profiling.ts, V8 CPU profile and heap snapshot);
 * - `xdsServer.maxConnectionAge` (default: a random 10 h to 12 h, spreading reconnects over replicas),
 *   `maxConnectionAgeGrace` (2 m), `maxReceiveMessageSize` (32Mi): the xDS gRPC server's settings.
 */
import { isScalar } from "yaml";
import { quantityValue } from "../translate/quantity";
import type { ConfigWalk } from "./config-walk";

/** What egts takes from `admin`. */
export interface AdminConfig {
  /** `address.host`. @default 127.0.0.1 */
  readonly host: string;
  /** `address.port`. @default 19000 */
  readonly port: number;
  /** `enableDumpConfig`: log the configuration at startup. @default false */
  readonly enableDumpConfig: boolean;
  /** `enablePprof`: serve `/debug/pprof/`. @default false */
  readonly enablePprof: boolean;
}

/** Envoy Gateway's admin defaults. */
export const DEFAULT_ADMIN: AdminConfig = {
  host: "127.0.0.1",
  port: 19000,
  enableDumpConfig: false,
  enablePprof: false,
};

/** What egts takes from `xdsServer` (undefined: Envoy Gateway's default). */
export interface XdsServerConfig {
  /** `maxConnectionAge` in ms. @default random 10 h to 12 h */
  readonly maxConnectionAgeMs?: number;
  /** `maxConnectionAgeGrace` in ms. @default 2 m */
  readonly maxConnectionAgeGraceMs?: number;
  /** `maxReceiveMessageSize` in bytes. @default 32Mi */
  readonly maxReceiveMessageBytes?: number;
}

/** Reads `admin`, recording errors on `w`. */
export function readAdmin(w: ConfigWalk, node: unknown): AdminConfig {
  const out = { ...DEFAULT_ADMIN };
  w.fields(node, "admin", {
    address: (v) =>
      w.fields(v, "admin.address", {
        host: (h) => (out.host = w.nonEmpty(h, "admin.address.host") ?? out.host),
        port: (p) => (out.port = w.int(p, "admin.address.port", 0, 65535) ?? out.port),
      }),
    enableDumpConfig: (v) => (out.enableDumpConfig = w.bool(v, "admin.enableDumpConfig") ?? false),
    enablePprof: (v) => (out.enablePprof = w.bool(v, "admin.enablePprof") ?? false),
  });
  return out;
}

/** Reads `xdsServer`, recording errors on `w` (durations must be above zero, as Envoy Gateway checks). */
export function readXdsServer(w: ConfigWalk, node: unknown): XdsServerConfig {
  const out: { -readonly [K in keyof XdsServerConfig]: XdsServerConfig[K] } = {};
  const positive = (v: unknown, path: string): number | undefined => {
    const ms = w.duration(v, path);
    if (ms !== undefined && ms <= 0) w.error(v, `${path} must be greater than zero`);
    return ms !== undefined && ms > 0 ? ms : undefined;
  };
  w.fields(node, "xdsServer", {
    maxConnectionAge: (v) => (out.maxConnectionAgeMs = positive(v, "xdsServer.maxConnectionAge")),
    maxConnectionAgeGrace: (v) => (out.maxConnectionAgeGraceMs = positive(v, "xdsServer.maxConnectionAgeGrace")),
    maxReceiveMessageSize: (v) => {
      const raw = isScalar(v) && (typeof v.value === "number" || typeof v.value === "string") ? v.value : undefined;
      const n = raw === undefined ? undefined : quantityValue(raw);
      if (n === undefined || n < 1 || n > 2 ** 31 - 1) {
        w.error(v, "xdsServer.maxReceiveMessageSize must be a quantity of bytes from 1 to 2Gi-1 (e.g. 32Mi)");
      } else out.maxReceiveMessageBytes = n;
    },
  });
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as XdsServerConfig;
}

/** Envoy Gateway's xDS server defaults. */
export const XDS_SERVER_DEFAULTS = {
  maxConnectionAgeGraceMs: 2 * 60_000,
  maxReceiveMessageBytes: 32 * 1024 * 1024,
} as const;

/**
 * The xDS server settings of a configuration with Envoy Gateway's defaults; the connection age, when not set,
 * a random value from 10 h to 12 h (`random` in [0, 1)), so that replicas' proxies reconnect at different times.
 */
export function xdsServerSettings(
  c: XdsServerConfig | undefined,
  random: () => number = Math.random,
): Required<XdsServerConfig> {
  const hour = 3_600_000;
  return {
    maxConnectionAgeMs: c?.maxConnectionAgeMs ?? Math.floor(10 * hour + random() * 2 * hour),
    maxConnectionAgeGraceMs: c?.maxConnectionAgeGraceMs ?? XDS_SERVER_DEFAULTS.maxConnectionAgeGraceMs,
    maxReceiveMessageBytes: c?.maxReceiveMessageBytes ?? XDS_SERVER_DEFAULTS.maxReceiveMessageBytes,
  };
}
