/** `egts controller`: the Kubernetes controller (what the Helm chart runs). */
import { hostname } from "node:os";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../config/controller-defaults";
import { env } from "../config/env";
import { EnvoyGatewayConfigError, kubernetesProviderOf, type EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import { componentLoggers } from "../log";
import { Controller, kubernetesRateLimit } from "../pipeline/controller";
import { isLoopbackListen } from "../xds/server";
import type { Invocation } from "./cli/command";
import { envoyGatewayConfig, logLevels } from "./gateway-config";

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
  readonly "watch-namespaces"?: string;
  readonly "watch-namespace-selector"?: string;
  readonly "xds-cert-dir"?: string;
  readonly "insecure-xds": boolean;
  readonly "config-path"?: string;
  readonly "metrics-port": string;
}

/** The flags of `egts controller` with the defaults that depend on the environment or other modules. */
function controllerFlags(inv: Invocation, namespace: string): ControllerFlags & { namespace: string } {
  const flags = inv.values as unknown as ControllerFlags;
  return {
    ...flags,
    namespace: flags.namespace ?? namespace,
    "xds-tls-secret": flags["xds-tls-secret"] ?? CONTROLLER_DEFAULTS.xdsTlsSecret,
    "envoy-image": flags["envoy-image"] ?? CONTROLLER_DEFAULTS.envoyImage,
  };
}

/** `egts controller`: runs in Kubernetes until a signal. */
export async function controller(inv: Invocation): Promise<number> {
  const e = env();
  const values = controllerFlags(inv, e.namespace);
  const metricsPort = portFlag("metrics-port", values["metrics-port"]);
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  const kubernetes = kubernetesProviderOf(config).kubernetes;
  refuseExtensionManager(config);
  const loggers = componentLoggers(logLevels(config, e.logLevelOverride));
  const log = loggers("provider");
  for (const note of config.notes) log("info", note);
  const namespace = values.namespace;
  const rateLimitListen = values["ratelimit-xds-listen"];
  if (!values["xds-cert-dir"] && !values["insecure-xds"]) {
    refusePlaintext(values["xds-listen"], config.rateLimit ? rateLimitListen : undefined);
  }
  const controller = new Controller({
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    namespace,
    controllerName: values["controller-name"] ?? config.controllerName ?? CONTROLLER_DEFAULTS.controllerName,
    backends: config.backends,
    extensionApis: config.extensionApis,
    // The proxies call the chart's `envoy-ratelimit` Service, over TLS when they have xDS client certificates.
    ...(config.rateLimit
      ? { rateLimit: kubernetesRateLimit(config.rateLimit, namespace, values["xds-tls-secret"] !== "") }
      : {}),
    rateLimitXdsListen: rateLimitListen,
    identity: e.podName ?? hostname(),
    xdsListen: values["xds-listen"],
    metricsPort,
    // Shared with `cdk8s synth` (constructs/synth.ts): the defaults live in config/controller-defaults.ts.
    render: controllerRenderOptions({
      namespace,
      envoyImage: values["envoy-image"],
      xdsTlsSecret: values["xds-tls-secret"],
      ...(values["xds-address"] ? { xdsAddress: values["xds-address"] } : {}),
    }),
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
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await controller.stop();
  return 0;
}

/**
 * Throws unless the servers that would serve plaintext (no --xds-cert-dir, no --insecure-xds) bind loopback
 * only: the proxies' xDS on `xdsListen`, and the rate limit service's on `rateLimitListen` (when it runs).
 */
function refusePlaintext(xdsListen: string, rateLimitListen: string | undefined): void {
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

/** `egts controller` has no extension server stage yet: a configuration with one is refused, naming it. */
function refuseExtensionManager(config: EnvoyGatewayConfig): void {
  if (!config.extensionManager) return;
  throw new EnvoyGatewayConfigError(
    `${config.extensionManager.at}: extensionManager is implemented in egts standalone only (egts controller does not watch extension-owned kinds nor call hooks yet)`,
  );
}

/** A port flag's value: a whole number 1-65535, or an error naming the flag and the value. */
function portFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new Error(`--${flag} ${JSON.stringify(value)} is not a port number (1-65535)`);
  }
  return port;
}
