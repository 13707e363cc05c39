/** The `egts` command line: `standalone`, `translate`, `version`. */
import { mkdir, mkdtemp } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../config/controller-defaults";
import { env } from "../config/env";
import {
  customProviderOf,
  DEFAULT_ENVOY_GATEWAY_CONFIG,
  kubernetesProviderOf,
  loadEnvoyGatewayConfig,
  type EnvoyGatewayConfig,
} from "../config/envoy-gateway-config";
import { startEchoBackend } from "../demo/echo-backend";
import { ENVOY_VERSION, findEnvoy } from "../infra/host/envoy-binary";
import { componentLoggers, type LogLevels, type Logger } from "../log";
import {
  certificateAuthority,
  generateControlPlaneCerts,
  issueRateLimitCertificate,
  RATE_LIMIT_SECRET,
  writeCertDir,
  writeProxyCertDir,
} from "../certgen/certgen";
import { issueControlPlaneSecrets } from "../certgen/kubernetes-secrets";
import { OIDC_HMAC_SECRET } from "../translate/policies/security-oidc";
import { extensionKindsOption } from "../pipeline/extension-stage";
import { Controller, kubernetesRateLimit, RATE_LIMIT_XDS_PORT } from "../pipeline/controller";
import { DEFAULT_WASM_SERVER_PORT } from "../pipeline/wasm-server";
import { KubeClient, loadKubeConfig } from "../provider/kubernetes/client";
import { StandaloneGateway, type StandaloneRateLimit } from "../pipeline/standalone";
import type { RateLimitConfig } from "../config/envoy-gateway-ratelimit";
import type { DeployType } from "../config/envoy-gateway-provider";
import type { RenderOptions } from "../../../constructs/render";
import { freePort } from "../infra/host/free-port";
import { findRatelimit } from "../infra/host/ratelimit-binary";
import { hostRateLimitSettings } from "../infra/host/ratelimit-runner";
import { checkConfigDir } from "../provider/file/config-dir";
import { isLoopbackListen } from "../xds/server";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import { runTranslate, type TranslateOutput } from "./translate";

const VERSION = "0.1.0";

const USAGE = `usage: egts <command> [flags]

commands:
  standalone [--config-dir DIR] [--config-path FILE] [--xds-port 18000] [--listen-address 127.0.0.1]
             [--demo-backend] [--xds-cert-dir DIR] [--wasm-port 18002]
             run a gateway from a folder of Gateway API YAML, with one real Envoy per Gateway
             (the folder: --config-dir, else provider.custom.resource.file.paths of --config-path)
  controller [--config-path FILE] [--kubeconfig FILE] [--namespace envoy-gateway-system] [--xds-address HOST[:PORT]]
             [--envoy-image IMAGE] [--xds-tls-secret envoy] [--watch-namespaces a,b]
             [--watch-namespace-selector key=value,…] [--xds-listen 0.0.0.0:18000]
             [--xds-cert-dir DIR | --insecure-xds] [--metrics-port 19001] [--ratelimit-xds-listen 0.0.0.0:18001]
             [--wasm-listen <xds-listen host>:18002] [--wasm-cache-dir /var/lib/eg/wasm]
             run in Kubernetes: watch Gateway API resources, deploy Envoy proxies, serve xDS, write status;
             with rateLimit in the configuration, also the rate limit service's configuration (xDS on 18001);
             EnvoyExtensionPolicy Wasm modules are fetched into the cache folder and served to the proxies
             (on 18002 of the envoy-gateway Service, HTTPS with client certificates under --xds-cert-dir)
  certgen    [--local DIR] [--namespace envoy-gateway-system] [--kubeconfig FILE] [--overwrite]
             issue the xDS CA and server certificate and the rate limit service's certificate: into DIR
             (DIR/envoy-rate-limit/), or as the Secrets envoy-gateway and envoy-rate-limit, each created
             only when absent (proxies get their own client certificates from the controller or standalone)
  translate  -f FILE|DIR [-f …] [--to status|ir|xds|all] [--config-path FILE]
             translate YAML offline and print the result as YAML

  --config-path FILE: the EnvoyGateway configuration (gateway.envoyproxy.io/v1alpha1), as Envoy Gateway's;
  without it, Envoy Gateway's defaults (Backend disabled). Flags override it: --controller-name
  (gateway.controllerName), --watch-namespaces / --watch-namespace-selector (provider.kubernetes.watch),
  --config-dir (provider.custom.resource.file.paths); EGTS_LOG_LEVEL overrides logging.level.default.
  A setting egts does not implement yet stops the command with file:line.
  version    print versions
`;

/** Entry point; returns the exit code (standalone runs until a signal). */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "standalone":
      return standalone(rest);
    case "translate":
      return translateCmd(rest);
    case "controller":
      return controllerCmd(rest);
    case "certgen":
      return certgenCmd(rest);
    case "version":
      process.stdout.write(
        `egts ${VERSION}\nenvoy (pinned wheel) ${ENVOY_VERSION}\ncontroller ${DEFAULT_CONTROLLER_NAME}\n`,
      );
      return 0;
    default:
      process.stderr.write(cmd && cmd !== "help" && cmd !== "--help" ? `unknown command ${cmd}\n${USAGE}` : USAGE);
      return cmd && cmd !== "help" && cmd !== "--help" ? 2 : 0;
  }
}

async function translateCmd(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      file: { type: "string", short: "f", multiple: true },
      to: { type: "string", default: "status" },
      "controller-name": { type: "string" },
      "listen-address": { type: "string" },
      "config-path": { type: "string" },
    },
  });
  const to = values.to as TranslateOutput;
  if (!["status", "ir", "xds", "all"].includes(to)) throw new Error(`--to must be status, ir, xds or all (got ${to})`);
  if (!values.file?.length) throw new Error("translate needs -f FILE");
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  return runTranslate(values.file, to, {
    controllerName: values["controller-name"] ?? config.controllerName,
    listenAddress: values["listen-address"],
    backends: config.backends,
    extensionApis: config.extensionApis,
    ...extensionKindsOption(config.extensionManagers),
    // As `egts controller` with its defaults (mTLS xDS) would.
    ...(config.rateLimit ? { rateLimit: kubernetesRateLimit(config.rateLimit, "envoy-gateway-system", true) } : {}),
  });
}

async function standalone(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "config-dir": { type: "string" },
      "xds-port": { type: "string", default: "18000" },
      "wasm-port": { type: "string", default: "18002" },
      "listen-address": { type: "string", default: "127.0.0.1" },
      "controller-name": { type: "string" },
      "demo-backend": { type: "boolean", default: false },
      "demo-backend-port": { type: "string", default: "3000" },
      "envoy-log-level": { type: "string", default: "warn" },
      "xds-cert-dir": { type: "string" },
      "config-path": { type: "string" },
    },
  });
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  const loggers = componentLoggers(logLevels(config, env().logLevelOverride));
  const log = loggers("provider");
  for (const note of config.notes) log("info", note);
  const { dir, runtimeDir, runsProxies } = standaloneProvider(config, values["config-dir"]);
  // Signals are handled from the first moment: a signal during startup stops what has started.
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const envoyBin = runsProxies ? findEnvoy() : undefined;
  if (runtimeDir) await mkdir(runtimeDir, { recursive: true });
  const demo = values["demo-backend"]
    ? await startEchoBackend({ port: Number(values["demo-backend-port"]), name: "demo-backend" })
    : undefined;
  if (demo) log("info", "demo backend listening", { url: demo.url });
  const gw = new StandaloneGateway({
    configDir: dir,
    envoyBin,
    xdsPort: Number(values["xds-port"]),
    listenAddress: values["listen-address"],
    controllerName: values["controller-name"] ?? config.controllerName,
    backends: config.backends,
    extensionApis: config.extensionApis,
    ...(config.rateLimit ? { rateLimit: await standaloneRateLimit(config.rateLimit) } : {}),
    ...(config.extensionManagers ? { extensionManagers: config.extensionManagers } : {}),
    // EnvoyExtensionPolicy wasm: modules cached across runs, served to Envoy on 127.0.0.1:<wasm-port>.
    wasm: { cacheDir: join(env().cacheDir, "wasm"), port: Number(values["wasm-port"]) },
    stateDir: runtimeDir ?? (await mkdtemp(join(tmpdir(), "egts-"))),
    envoyLogLevel: values["envoy-log-level"],
    ...(values["xds-cert-dir"] ? { xdsCertDir: values["xds-cert-dir"] } : {}),
    logger: log,
    componentLogger: loggers,
  });
  const started = gw.start().then(() => "started");
  if ((await Promise.race([started, signalled])) === "started") {
    log("info", "standalone gateway running; edit the YAML files to change routes, Ctrl-C to stop", {
      configDir: dir,
      envoy: envoyBin ?? "none (provider.custom has no infrastructure)",
    });
  }
  log("info", `received ${await signalled}, stopping`);
  return stopWithin(STOP_DEADLINE_MS, log, gw, async () => {
    // stop() also ends a start() still waiting for its first pass.
    await Promise.all([started.catch(() => undefined), gw.stop()]);
    await demo?.close();
  });
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

/** A port flag's value: a whole number 1-65535, or an error naming the flag and the value. */
function portFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new Error(`--${flag} ${JSON.stringify(value)} is not a port number (1-65535)`);
  }
  return port;
}

/**
 * The proxies' render options of `egts controller`: its flags, and (provider.kubernetes.deploy.type
 * GatewayNamespace) each Gateway's proxies in its own namespace.
 */
function controllerRender(
  namespace: string,
  values: { "envoy-image": string; "xds-tls-secret": string; "xds-address"?: string | undefined },
  deploy: DeployType | undefined,
): RenderOptions {
  return {
    ...controllerRenderOptions({
      namespace,
      envoyImage: values["envoy-image"],
      xdsTlsSecret: values["xds-tls-secret"],
      ...(values["xds-address"] ? { xdsAddress: values["xds-address"] } : {}),
    }),
    ...(deploy === "GatewayNamespace" ? { gatewayNamespace: true } : {}),
  };
}

async function controllerCmd(argv: readonly string[]): Promise<number> {
  const e = env();
  const { values } = parseArgs({
    args: [...argv],
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string", default: e.namespace },
      "controller-name": { type: "string" },
      "xds-listen": { type: "string", default: "0.0.0.0:18000" },
      "ratelimit-xds-listen": { type: "string", default: `0.0.0.0:${RATE_LIMIT_XDS_PORT}` },
      "xds-address": { type: "string" },
      "xds-tls-secret": { type: "string", default: CONTROLLER_DEFAULTS.xdsTlsSecret },
      "envoy-image": { type: "string", default: CONTROLLER_DEFAULTS.envoyImage },
      "watch-namespaces": { type: "string" },
      "watch-namespace-selector": { type: "string" },
      "xds-cert-dir": { type: "string" },
      "insecure-xds": { type: "boolean", default: false },
      "config-path": { type: "string" },
      "metrics-port": { type: "string", default: "19001" },
      "wasm-listen": { type: "string" },
      "wasm-cache-dir": { type: "string", default: CONTROLLER_DEFAULTS.wasmCacheDir },
    },
  });
  const metricsPort = portFlag("metrics-port", values["metrics-port"]);
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
  const controller = new Controller({
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    namespace,
    controllerName: values["controller-name"] ?? config.controllerName ?? CONTROLLER_DEFAULTS.controllerName,
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
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await controller.stop();
  return 0;
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

async function certgenCmd(argv: readonly string[]): Promise<number> {
  const e = env();
  const { values } = parseArgs({
    args: [...argv],
    options: {
      local: { type: "string" },
      namespace: { type: "string", default: e.namespace },
      kubeconfig: { type: "string" },
      overwrite: { type: "boolean", default: false },
    },
  });
  const certs = generateControlPlaneCerts(values.namespace);
  if (values.local) {
    await mkdir(values.local, { recursive: true });
    writeCertDir(values.local, certs);
    const rateLimitDir = join(values.local, RATE_LIMIT_SECRET);
    await mkdir(rateLimitDir, { recursive: true });
    const ca = certificateAuthority(certs.ca.cert, certs.ca.key);
    writeProxyCertDir(rateLimitDir, ca.cert, issueRateLimitCertificate(ca, values.namespace));
    process.stdout.write(
      `certgen: wrote ca.crt, ca.key and controller.crt/.key into ${values.local}, ` +
        `and the rate limit service's ca.crt, tls.crt and tls.key into ${rateLimitDir}\n`,
    );
    return 0;
  }
  const client = new KubeClient(loadKubeConfig(values.kubeconfig));
  const outcomes = await issueControlPlaneSecrets(client, values.namespace, certs, values.overwrite);
  for (const { name, outcome } of outcomes) {
    const kept =
      name === OIDC_HMAC_SECRET
        ? "exists; left as is (never replaced: a new one would log every OIDC user out)"
        : "exists; left as is (--overwrite replaces it)";
    const said = outcome === "kept" ? kept : outcome;
    process.stdout.write(`certgen: Secret ${values.namespace}/${name} ${said}\n`);
  }
  return 0;
}

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
