/** The EnvoyGateway configuration file (`--config-path`) as the `egts` commands read it. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  DEFAULT_ENVOY_GATEWAY_CONFIG,
  loadEnvoyGatewayConfig,
  type EnvoyGatewayConfig,
} from "../config/envoy-gateway-config";
import type { LogLevels } from "../log";
import { xdsServerSettings } from "../config/envoy-gateway-admin";
import type { XdsServerOptions } from "../xds/server/types";

/**
 * The EnvoyGateway configuration of `--config-path` (Envoy Gateway's defaults without one); the harmless
 * settings it holds (accepted, changing nothing) go to `note`. Throws, naming the file and line, when it
 * cannot be used, including a setting egts does not implement yet.
 */
export function envoyGatewayConfig(path: string | undefined, note: (line: string) => void): EnvoyGatewayConfig {
  if (path === undefined) return DEFAULT_ENVOY_GATEWAY_CONFIG;
  const config = loadEnvoyGatewayConfig(path);
  for (const n of config.notes) note(n);
  return config;
}

/** The configuration's `logging.level`, with EGTS_LOG_LEVEL (when set) as the default level. */
export function logLevels(config: EnvoyGatewayConfig, override: LogLevels["default"] | undefined): LogLevels {
  return override ? { ...config.logging, default: override } : config.logging;
}

/** The configuration file's document as plain data (what the admin server shows), `{}` without a file. */
export function envoyGatewayDocument(path: string | undefined): unknown {
  if (path === undefined) return {};
  return parse(readFileSync(path, "utf8")) as unknown;
}

/** The xDS server's options from the configuration's `xdsServer`, with Envoy Gateway's defaults. */
export function xdsServerOptions(
  config: EnvoyGatewayConfig,
): Pick<XdsServerOptions, "maxConnectionAgeMs" | "maxConnectionAgeGraceMs" | "maxRequestBytes"> {
  const xds = xdsServerSettings(config.xdsServer);
  return {
    maxConnectionAgeMs: xds.maxConnectionAgeMs,
    maxConnectionAgeGraceMs: xds.maxConnectionAgeGraceMs,
    maxRequestBytes: xds.maxReceiveMessageBytes,
  };
}
