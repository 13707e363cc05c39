/**
 * Envoy's command line from a proxy's runtime settings (translate/proxy-runtime.ts), shared by the Kubernetes
 * renderer and the host runner: the flags each of them needs first, then the log levels, concurrency and drain
 * time (the EnvoyProxy's, else the caller's defaults), then the EnvoyProxy's `extraArgs` last, as Envoy Gateway
 * appends them.
 */
import type { ProxyRuntimeIr } from "../ir/infra-ir";

/** What a runner uses where the EnvoyProxy says nothing. */
export interface ProxyArgDefaults {
  /** `--log-level`. */
  readonly logLevel: string;
  /** `--concurrency`; absent: Envoy's (one worker per core). */
  readonly concurrency?: number;
  /** `--drain-time-s`; absent: Envoy's (600). */
  readonly drainTimeSeconds?: number;
}

/** Envoy's arguments after `base` (the runner's own flags: config path, base id, admin address file). */
export function proxyArgs(
  base: readonly string[],
  runtime: ProxyRuntimeIr | undefined,
  defaults: ProxyArgDefaults,
): string[] {
  const concurrency = runtime?.concurrency ?? defaults.concurrency;
  const drain = runtime?.drainTimeSeconds ?? defaults.drainTimeSeconds;
  return [
    ...base,
    "--log-level",
    runtime?.logLevel ?? defaults.logLevel,
    ...(runtime?.componentLogLevel ? ["--component-log-level", runtime.componentLogLevel] : []),
    ...(concurrency !== undefined ? ["--concurrency", String(concurrency)] : []),
    ...(drain !== undefined ? ["--drain-time-s", String(drain)] : []),
    "--drain-strategy",
    "immediate",
    ...(runtime?.extraArgs ?? []),
  ];
}
