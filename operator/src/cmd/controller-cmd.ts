/** `egts controller`: the Kubernetes controller (what the Helm chart runs). */
import { controlPlaneTelemetry } from "./control-plane-telemetry";
import { hostname } from "node:os";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../config/controller-defaults";
import { env } from "../config/env";
import { kubernetesProviderOf, type EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import type { AdminServer } from "../admin/admin-server";
import type { DeployType } from "../config/envoy-gateway-provider";
import type { RenderOptions } from "../../../constructs/render";
import { DEFAULT_WASM_SERVER_PORT } from "../pipeline/wasm-server";
import { componentLoggers } from "../log";
import { Controller, kubernetesRateLimit } from "../pipeline/controller";
import { isLoopbackListen } from "../xds/server";
import type { Invocation } from "./cli/command";
import { portFlag } from "./cli/port-flag";
import { envoyGatewayConfig, envoyGatewayDocument, logLevels, xdsServerOptions } from "./gateway-config";
import { IdleCollection } from "./idle-collection";
import type { Logger } from "../log";
import { clientVersion } from "./version-info";

/** The flags of `egts controller` (see commands.ts). */
interface ControllerFlags {
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly "controller-name"?: string;
  readonly "xds-listen": string;
  readonly "ratelimit-xds-listen": string;
  readonly "xds-address"?: string;
  readonly "xds-tls-secret"?: string;
  readonly "envoy-image"?: string;
  readonly "shutdown-manager-image"?: string;
  readonly "watch-namespaces"?: string;
  readonly "watch-namespace-selector"?: string;
  readonly "xds-cert-dir"?: string;
  readonly "insecure-xds": boolean;
  readonly "config-path"?: string;
  readonly "metrics-port": string;
  readonly "health-probe-port": string;
  readonly "wasm-listen"?: string;
  readonly "wasm-cache-dir"?: string;
}

/** The flags of `egts controller` with the defaults that depend on the environment or other modules. */
function controllerFlags(
  inv: Invocation,
  namespace: string,
): ControllerFlags & { namespace: string; "xds-tls-secret": string; "envoy-image": string; "wasm-cache-dir": string } {
  const flags = inv.values as unknown as ControllerFlags;
  return {
    ...flags,
    namespace: flags.namespace ?? namespace,
    "xds-tls-secret": flags["xds-tls-secret"] ?? CONTROLLER_DEFAULTS.xdsTlsSecret,
    "envoy-image": flags["envoy-image"] ?? CONTROLLER_DEFAULTS.envoyImage,
    "wasm-cache-dir": flags["wasm-cache-dir"] ?? CONTROLLER_DEFAULTS.wasmCacheDir,
  };
}

/** `egts controller`: runs in Kubernetes until a signal. */
export async function controller(inv: Invocation): Promise<number> {
  const e = env();
  const values = controllerFlags(inv, e.namespace);
  const metricsPort = portFlag("metrics-port", values["metrics-port"]);
  const healthProbePort = portFlag("health-probe-port", values["health-probe-port"]);
  const wasmListen = wasmListenOf(values["wasm-listen"], values["xds-listen"]);
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  const kubernetes = kubernetesProviderOf(config).kubernetes;
  const loggers = componentLoggers(logLevels(config, e.logLevelOverride));
  const log = loggers("provider");
  for (const note of config.notes) log("info", note);
  const namespace = values.namespace;
  const rateLimitListen = values["ratelimit-xds-listen"];
  if (!values["xds-cert-dir"] && !values["insecure-xds"]) {
    refusePlaintext(values["xds-listen"], config.rateLimit ? rateLimitListen : undefined, wasmListen);
  }
  const controllerName = controllerNameOf(values["controller-name"], config);
  const telemetry = await controlPlaneTelemetry(config, log);
  const controller = new Controller({
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    xdsServer: xdsServerOptions(config),
    namespace,
    controllerName,
    backends: config.backends,
    extensionApis: config.extensionApis,
    extensionManagers: config.extensionManagers,
    // The proxies call the chart's `envoy-ratelimit` Service, over TLS when they have xDS client certificates.
    ...(config.rateLimit
      ? { rateLimit: kubernetesRateLimit(config.rateLimit, namespace, values["xds-tls-secret"] !== "") }
      : {}),
    rateLimitXdsListen: rateLimitListen,
    // EnvoyExtensionPolicy wasm: every replica fetches the modules and serves them (the Service's port 18002).
    wasm: { cacheDir: values["wasm-cache-dir"], listen: wasmListen },
    identity: e.podName ?? hostname(),
    xdsListen: values["xds-listen"],
    metricsPort,
    healthProbePort,
    prometheusDisabled: config.telemetry?.prometheusDisabled === true,
    // telemetry.metrics.sinks and telemetry.traces: OpenTelemetry exports of the control plane's metrics and spans.
    ...telemetry.options,
    // Shared with `cdk8s synth` (constructs/synth.ts): the defaults live in config/controller-defaults.ts.
    render: controllerRender(namespace, values, kubernetes.deploy),
    // The flags override provider.kubernetes.watch.
    watch:
      values["watch-namespaces"] !== undefined || values["watch-namespace-selector"] !== undefined
        ? watchScope(values["watch-namespaces"], values["watch-namespace-selector"])
        : (kubernetes.watch ?? {}),
    lease: {
      durationMs: kubernetes.leaderElection.leaseDurationMs,
      renewDeadlineMs: kubernetes.leaderElection.renewDeadlineMs,
      retryMs: kubernetes.leaderElection.retryPeriodMs,
    },
    leaderElectionDisabled: kubernetes.leaderElection.disable,
    ...(values["xds-cert-dir"] ? { xdsCertDir: values["xds-cert-dir"] } : {}),
    logger: log,
    componentLogger: loggers,
  });
  await controller.start();
  log("info", "controller running", { namespace, xdsPort: controller.xdsPort });
  const idle = new IdleCollection(controller.passes$, { log });
  const admin = await startAdmin(config.admin, controller, {
    controllerName,
    document: envoyGatewayDocument(values["config-path"]),
    log,
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  idle.close();
  await admin?.stop();
  await controller.stop();
  await telemetry.stop();
  return 0;
}

/**
 * Starts the admin server (EnvoyGateway `admin`), first logging the configuration with `enableDumpConfig`; a
 * failure to bind is logged and the controller goes on without it, as Envoy Gateway's.
 */
async function startAdmin(
  config: EnvoyGatewayConfig["admin"],
  controller: Controller,
  o: { controllerName: string; document: unknown; log: Logger },
): Promise<AdminServer | undefined> {
  if (config.enableDumpConfig) o.log("info", "envoy gateway configuration", { config: JSON.stringify(o.document) });
  const { AdminServer } = await import("../admin/admin-server");
  const admin = new AdminServer({
    host: config.host,
    port: config.port,
    enablePprof: config.enablePprof,
    snapshot: () => controller.snapshot,
    controllerName: o.controllerName,
    envoyGatewayConfig: o.document,
    version: clientVersion(),
  });
  try {
    const port = await admin.start();
    o.log("info", "starting admin server", { address: `${config.host}:${port}`, enablePprof: config.enablePprof });
    return admin;
  } catch (err) {
    o.log("error", "start admin server failed", {
      address: `${config.host}:${config.port}`,
      error: (err as Error).message,
    });
    return undefined;
  }
}

/**
 * The proxies' render options of `egts controller`: its flags, and (provider.kubernetes.deploy.type
 * GatewayNamespace) each Gateway's proxies in its own namespace.
 */
function controllerRender(
  namespace: string,
  values: {
    "envoy-image": string;
    "shutdown-manager-image"?: string | undefined;
    "xds-tls-secret": string;
    "xds-address"?: string | undefined;
  },
  deploy: DeployType | undefined,
): RenderOptions {
  return controllerRenderOptions({
    namespace,
    ...(deploy ? { deploy } : {}),
    envoyImage: values["envoy-image"],
    ...(values["shutdown-manager-image"] ? { shutdownManagerImage: values["shutdown-manager-image"] } : {}),
    xdsTlsSecret: values["xds-tls-secret"],
    ...(values["xds-address"] ? { xdsAddress: values["xds-address"] } : {}),
  });
}

/** The GatewayClass controller name: the flag, else the configuration's `gateway.controllerName`, else the default. */
function controllerNameOf(flag: string | undefined, config: EnvoyGatewayConfig): string {
  return flag ?? config.controllerName ?? CONTROLLER_DEFAULTS.controllerName;
}

/** `--wasm-listen`, else where xDS listens (`xdsListen`'s host) on the module server's port 18002. */
function wasmListenOf(flag: string | undefined, xdsListen: string): string {
  return flag ?? `${xdsListen.replace(/:\d+$/, "")}:${DEFAULT_WASM_SERVER_PORT}`;
}

/**
 * Throws unless the servers that would serve plaintext (no --xds-cert-dir, no --insecure-xds) bind loopback
 * only: the proxies' xDS on `xdsListen`, the rate limit service's on `rateLimitListen` (when it runs), and the
 * Wasm modules on `wasmListen`.
 */
function refusePlaintext(xdsListen: string, rateLimitListen: string | undefined, wasmListen: string): void {
  if (!isLoopbackListen(xdsListen)) {
    throw new Error(
      `refusing to serve plaintext xDS on ${xdsListen}: anyone who reaches it gets every Gateway's ` +
        "configuration and TLS keys; give --xds-cert-dir DIR (mTLS), listen on loopback, or pass --insecure-xds",
    );
  }
  if (rateLimitListen !== undefined && !isLoopbackListen(rateLimitListen)) {
    throw new Error(
      `refusing to serve the rate limit configuration in plaintext on ${rateLimitListen}: give --xds-cert-dir DIR ` +
        "(mTLS), --ratelimit-xds-listen on loopback, or pass --insecure-xds",
    );
  }
  if (!isLoopbackListen(wasmListen)) {
    throw new Error(
      `refusing to serve Wasm modules in plaintext on ${wasmListen}: give --xds-cert-dir DIR (mTLS), ` +
        "--wasm-listen on loopback, or pass --insecure-xds",
    );
  }
}

/**
 * The watch scope of `egts controller` (Envoy Gateway's watch.namespaces / namespaceSelector): a comma list
 * of namespaces, and/or `key=value` labels a namespace must carry.
 */
export function watchScope(
  namespaces: string | undefined,
  selector: string | undefined,
): { namespaces?: string[]; namespaceSelector?: { matchLabels: Record<string, string> } } {
  const matchLabels: Record<string, string> = {};
  for (const pair of (selector ?? "").split(",").filter((p) => p !== "")) {
    const [key, value, ...rest] = pair.split("=");
    if (!key || value === undefined || rest.length > 0) {
      throw new Error(`--watch-namespace-selector wants key=value pairs separated by commas (got "${pair}")`);
    }
    matchLabels[key.trim()] = value.trim();
  }
  return {
    ...(namespaces ? { namespaces: namespaces.split(",").filter((n) => n !== "") } : {}),
    ...(Object.keys(matchLabels).length > 0 ? { namespaceSelector: { matchLabels } } : {}),
  };
}
