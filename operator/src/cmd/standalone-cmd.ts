/** `egts standalone`: Gateway API YAML from a folder, real Envoy processes on this machine. */
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "../config/env";
import { DEFAULT_ADMIN } from "../config/envoy-gateway-admin";
import { customProviderOf, type EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import type { RateLimitConfig } from "../config/envoy-gateway-ratelimit";
import { startEchoBackend } from "../demo/echo-backend";
import { findEnvoy } from "../infra/host/envoy-binary";
import { freePort } from "../infra/host/free-port";
import { findRatelimit } from "../infra/host/ratelimit-binary";
import { hostRateLimitSettings } from "../infra/host/ratelimit-runner";
import { componentLoggers, type Logger } from "../log";
import { StandaloneGateway, type StandaloneRateLimit } from "../pipeline/standalone";
import { checkConfigDir } from "../provider/file/config-dir";
import type { Invocation } from "./cli/command";
import { portFlag } from "./cli/port-flag";
import { publishProxies, type ProxyEntry } from "./proxy-registry";
import { envoyGatewayConfig, logLevels, xdsServerOptions } from "./gateway-config";
import { controlPlaneTelemetry } from "./control-plane-telemetry";

/** The flags of `egts standalone` (see commands.ts). */
interface StandaloneFlags {
  readonly "config-dir"?: string;
  readonly "xds-port": string;
  readonly "wasm-port": string;
  readonly "metrics-port"?: string;
  readonly "proxy-stats-port": string;
  readonly "listen-address": string;
  readonly "controller-name"?: string;
  readonly "demo-backend": boolean;
  readonly "demo-backend-port": string;
  readonly "envoy-log-level": string;
  readonly "xds-cert-dir"?: string;
  readonly "config-path"?: string;
}

/** `egts standalone`: the control plane on a folder of YAML, with one Envoy per Gateway; runs until a signal. */
export async function standalone(inv: Invocation): Promise<number> {
  const values = inv.values as unknown as StandaloneFlags;
  const ports = standalonePorts(values);
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  const loggers = componentLoggers(logLevels(config, env().logLevelOverride));
  const log = loggers("provider");
  for (const note of standaloneNotes(config)) log("info", note);
  const { dir, runtimeDir, runsProxies } = standaloneProvider(config, values["config-dir"]);
  // Signals are handled from the first moment: a signal during startup stops what has started.
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const envoyBin = runsProxies ? findEnvoy() : undefined;
  if (runtimeDir) await mkdir(runtimeDir, { recursive: true });
  const demo = values["demo-backend"]
    ? await startEchoBackend({ port: ports.demoBackend, name: "demo-backend" })
    : undefined;
  if (demo) log("info", "demo backend listening", { url: demo.url });
  const telemetry = await controlPlaneTelemetry(config, log);
  const gw = new StandaloneGateway({
    configDir: dir,
    xdsServer: xdsServerOptions(config),
    envoyBin,
    xdsPort: ports.xds,
    listenAddress: values["listen-address"],
    controllerName: values["controller-name"] ?? config.controllerName,
    backends: config.backends,
    extensionApis: config.extensionApis,
    ...(config.rateLimit ? { rateLimit: await standaloneRateLimit(config.rateLimit) } : {}),
    ...(config.extensionManagers ? { extensionManagers: config.extensionManagers } : {}),
    // EnvoyExtensionPolicy wasm: modules cached across runs, served to Envoy on 127.0.0.1:<wasm-port>.
    wasm: { cacheDir: join(env().cacheDir, "wasm"), port: ports.wasm },
    // Envoy Gateway's control-plane metrics (telemetry.metrics.prometheus.disable: no /metrics), opt-in: the
    // proxies' stats listener takes 19001 on this host by default.
    ...(ports.metrics !== undefined
      ? {
          metrics: {
            port: ports.metrics,
            host: "127.0.0.1",
            prometheusDisabled: config.telemetry?.prometheusDisabled === true,
          },
        }
      : {}),
    // telemetry.metrics.sinks and telemetry.traces: OpenTelemetry exports of the control plane's metrics and spans.
    ...telemetry.options,
    proxyStatsPort: ports.proxyStats,
    stateDir: runtimeDir ?? (await mkdtemp(join(tmpdir(), "egts-"))),
    envoyLogLevel: values["envoy-log-level"],
    ...(values["xds-cert-dir"] ? { xdsCertDir: values["xds-cert-dir"] } : {}),
    logger: log,
    componentLogger: loggers,
  });
  const started = gw.start().then(() => "started");
  const publisher = publishAdminAddresses(gw, log);
  if ((await Promise.race([started, signalled])) === "started") {
    log("info", "standalone gateway running; edit the YAML files to change routes, Ctrl-C to stop", {
      configDir: dir,
      envoy: envoyBin ?? "none (provider.custom has no infrastructure)",
    });
  }
  log("info", `received ${await signalled}, stopping`);
  publisher.stop();
  return stopWithin(STOP_DEADLINE_MS, log, gw, async () => {
    // stop() also ends a start() still waiting for its first pass.
    await Promise.all([started.catch(() => undefined), gw.stop()]);
    await telemetry.stop();
    await demo?.close();
  });
}

/** The configuration's notes, and one for an `admin` section (the admin API is `egts controller`'s only). */
function standaloneNotes(config: EnvoyGatewayConfig): string[] {
  const admin =
    config.admin === DEFAULT_ADMIN
      ? []
      : ["admin: accepted, no effect in standalone mode: egts serves the admin API in `egts controller` only"];
  return [...config.notes, ...admin];
}

/** The port flags of `egts standalone`, checked before anything starts. @throws Error naming a flag that is no port */
function standalonePorts(values: StandaloneFlags): {
  xds: number;
  wasm: number;
  metrics?: number;
  proxyStats: number;
  demoBackend: number;
} {
  const metrics = values["metrics-port"];
  return {
    xds: portFlag("xds-port", values["xds-port"]),
    wasm: portFlag("wasm-port", values["wasm-port"]),
    ...(metrics !== undefined ? { metrics: portFlag("metrics-port", metrics) } : {}),
    proxyStats: portFlag("proxy-stats-port", values["proxy-stats-port"]),
    demoBackend: portFlag("demo-backend-port", values["demo-backend-port"]),
  };
}

/**
 * What `egts standalone` runs, from `provider.custom` of the configuration and the `--config-dir` flag (which
 * wins): the folder of YAML (checked), the folder for the proxies' files, and whether proxies run at all
 * (`provider.custom` without `infrastructure` has no infrastructure provider, as in Envoy Gateway: xDS only).
 */
export function standaloneProvider(
  config: EnvoyGatewayConfig,
  configDirFlag: string | undefined,
): { dir: string; runtimeDir?: string; runsProxies: boolean } {
  const custom = customProviderOf(config)?.custom;
  const dir = configDirFlag ?? custom?.paths[0];
  if (!dir)
    throw new Error("standalone needs --config-dir DIR (or provider.custom.resource.file.paths in --config-path)");
  checkConfigDir(dir);
  const runtimeDir = custom?.infrastructure?.runtimeDir;
  return { dir, ...(runtimeDir ? { runtimeDir } : {}), runsProxies: !custom || custom.infrastructure !== undefined };
}

/** How often the proxies' admin addresses are looked at for the registry (proxy-registry.ts). */
const PUBLISH_INTERVAL_MS = 500;

/**
 * Keeps this process's entry of the proxy registry (read by `egts config envoy-proxy`, `egts x stats`) up to
 * date with the running proxies' admin addresses, logging each new one; `stop()` removes the entry.
 */
function publishAdminAddresses(gw: StandaloneGateway, log: Logger): { stop(): void } {
  let last = "";
  let stopped = false;
  const tick = async (): Promise<void> => {
    const entries: ProxyEntry[] = [];
    for (const p of gw.runner?.list() ?? []) {
      const url = await gw.runner?.adminUrl(p.name, 0).catch(() => undefined);
      if (url) entries.push({ node: p.name, admin: url.replace(/^http:\/\//, "") });
    }
    const now = JSON.stringify(entries);
    if (now === last || stopped) return;
    const before = new Set((JSON.parse(last || "[]") as ProxyEntry[]).map((e) => `${e.node} ${e.admin}`));
    for (const e of entries) {
      if (!before.has(`${e.node} ${e.admin}`)) log("info", "envoy admin", { gateway: e.node, admin: e.admin });
    }
    last = now;
    publishProxies(entries);
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(tick)
      .catch((err: Error) => log("warn", "proxy registry not updated", { error: err.message }));
  }, PUBLISH_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      publishProxies([]);
    },
  };
}

/** How long `egts standalone` takes at most to stop after SIGTERM/SIGINT. */
const STOP_DEADLINE_MS = 4500;

/**
 * Runs `stop` and returns 0, or, if it takes longer than `ms` or a second signal comes, kills the
 * proxies (SIGKILL) and returns 1: a signal always ends the process in bounded time, leaving no Envoy.
 */
async function stopWithin(ms: number, log: Logger, gw: StandaloneGateway, stop: () => Promise<void>): Promise<number> {
  const pids = (): number[] => (gw.runner?.list() ?? []).flatMap((p) => (p.pid ? [p.pid] : []));
  const running = pids(); // stop() forgets proxies as it stops them
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`not stopped within ${ms} ms`), ms);
    process.once("SIGINT", () => resolve("a second SIGINT"));
    process.once("SIGTERM", () => resolve("a second SIGTERM"));
  });
  const outcome = await Promise.race([stop().then(() => undefined), forced]);
  clearTimeout(timer);
  if (outcome === undefined) return 0;
  for (const pid of new Set([...running, ...pids()])) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  log("error", `${outcome}: killed the Envoy processes, exiting`);
  return 1;
}

/**
 * The host rate limit service of `egts standalone` from the configuration's `rateLimit`: the ratelimit binary
 * (scripts/install-ratelimit.sh), the Redis URL, and a free loopback port for its gRPC API.
 * @throws Error naming what standalone mode cannot honour, or the missing binary's install step.
 */
async function standaloneRateLimit(cfg: RateLimitConfig): Promise<StandaloneRateLimit> {
  const settings = hostRateLimitSettings(cfg);
  const grpcPort = await freePort();
  return {
    ...settings,
    binary: findRatelimit(env()),
    grpcPort,
    timeoutMs: cfg.timeoutMs,
    failClosed: cfg.failClosed,
  };
}
