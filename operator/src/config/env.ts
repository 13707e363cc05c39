/**
 * The one module that reads environment variables. Everything else takes an {@link EgtsEnv}
 * (or calls {@link loadEnv}) so tests can pass their own values instead of mutating
 * `process.env`. Add new variables here, with their default, rather than reading
 * `process.env` elsewhere.
 */
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Raw variables, as found in `process.env`. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Typed view of the environment variables egts uses. */
export interface EgtsEnv {
  /** ENVOY_BIN: explicit path of the Envoy binary (checked first by findEnvoy). */
  readonly envoyBin: string | undefined;
  /** EGTS_CACHE: cache root for downloaded tools (default ~/.cache/egts). Outside the repo. */
  readonly cacheDir: string;
  /** EGTS_LOG_LEVEL: debug | info | warn | error (default info). */
  readonly logLevel: LogLevel;
  /**
   * EGTS_LOG_LEVEL when set: overrides the EnvoyGateway configuration's `logging.level.default` (components
   * with their own level keep it).
   */
  readonly logLevelOverride: LogLevel | undefined;
  /** ENVOY_GATEWAY_NAMESPACE: namespace the control plane runs in (default envoy-gateway-system). */
  readonly namespace: string;
  /**
   * KUBERNETES_CLUSTER_DOMAIN: the cluster's DNS domain, in the Service names the controller's certificates carry
   * and the proxies dial (default cluster.local, as Envoy Gateway).
   */
  readonly clusterDomain: string;
  /** POD_NAME: this replica's identity for leader election (default: the host name). */
  readonly podName: string | undefined;
  /** PATH, split into its directories (empty entries dropped). */
  readonly path: readonly string[];
  /** HOME (falls back to os.homedir()). */
  readonly home: string;
  /** CI: true when set to anything but "", "0" or "false". */
  readonly ci: boolean;
  /** EGTS_TEST_LOG: tests print control-plane and Envoy logs when true. */
  readonly testLog: boolean;
  /**
   * EGTS_SYNTH_INPUT: the file or folder of Gateway API YAML that `cdk8s synth` (constructs/synth.ts) renders
   * the proxies of, relative to the working directory (default examples/kubernetes).
   */
  readonly synthInput: string;
  /**
   * EGTS_SYNTH_DEPLOY_TYPE: the EnvoyGateway `provider.kubernetes.deploy.type` that `cdk8s synth` previews,
   * `ControllerNamespace` (default) or `GatewayNamespace` (each Gateway's proxy objects in its namespace, with the
   * xDS service-account token).
   */
  readonly synthDeployType: "ControllerNamespace" | "GatewayNamespace";
  /** CDK8S_OUTDIR: where a cdk8s app writes its manifests; set by `cdk8s synth` from cdk8s.yaml's `output`. */
  readonly cdk8sOutdir: string | undefined;
  /** KUBERNETES_SERVICE_HOST set: running in a Kubernetes container (the kubelet sets it in every one). */
  readonly inKubernetes: boolean;
  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: the API server's Service, for the in-cluster configuration. */
  readonly kubernetesService: { readonly host: string; readonly port: string } | undefined;
  /** KUBECONFIG, split into its files (the path delimiter; empty entries dropped). */
  readonly kubeconfigFiles: readonly string[];
  /**
   * EGTS_ROUTE_LAYOUT: how route configurations reach Envoy, `scoped` (scoped RDS for the node's one HTTP connection
   * manager whose hosts are all exact, RDS elsewhere; ADR 0020, 0031), `inline` (RDS everywhere) or `vhds` (ADR
   * 0008); unset, each mode has its default (ADR 0031: `scoped` standalone, `inline` in Kubernetes). An internal
   * switch, no EnvoyProxy or EnvoyGateway field selects it.
   */
  readonly routeLayout: "inline" | "vhds" | "scoped" | undefined;
  /**
   * EGTS_V8_FLAGS: the V8 flags `egts standalone` and `egts controller` set before they load their pipeline
   * (cmd/v8-flags.ts, ADR 0041); default `--always-sparkplug`, an empty value keeps V8's defaults. Node does not take
   * these flags in NODE_OPTIONS.
   */
  readonly v8Flags: string;
}

/** Thrown when a variable is set to a value egts cannot use. */
export class EnvError extends Error {
  override name = "EnvError";
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === "" ? undefined : v;
}

function parseLogLevel(value: string | undefined): LogLevel {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return "info";
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new EnvError(`EGTS_LOG_LEVEL=${value} is not one of ${LOG_LEVELS.join(", ")}`);
}

function parseRouteLayout(value: string | undefined): "inline" | "vhds" | "scoped" | undefined {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === "scoped" || v === "vhds" || v === "inline") return v;
  throw new EnvError(`EGTS_ROUTE_LAYOUT=${value} is not one of inline, vhds, scoped`);
}

function parseDeployType(value: string | undefined): "ControllerNamespace" | "GatewayNamespace" {
  const v = nonEmpty(value);
  if (v === undefined || v === "ControllerNamespace") return "ControllerNamespace";
  if (v === "GatewayNamespace") return v;
  throw new EnvError(`EGTS_SYNTH_DEPLOY_TYPE=${value} is not one of ControllerNamespace, GatewayNamespace`);
}

function parseBool(value: string | undefined): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  return v !== undefined && v !== "0" && v !== "false";
}

/** Parses the environment. `vars` defaults to `process.env`; tests pass their own object. */
export function loadEnv(vars: EnvVars = process.env): EgtsEnv {
  const home = nonEmpty(vars.HOME) ?? homedir();
  const pathSep = process.platform === "win32" ? ";" : ":";
  return {
    envoyBin: nonEmpty(vars.ENVOY_BIN),
    cacheDir: nonEmpty(vars.EGTS_CACHE) ?? join(home, ".cache", "egts"),
    logLevel: parseLogLevel(vars.EGTS_LOG_LEVEL),
    logLevelOverride: nonEmpty(vars.EGTS_LOG_LEVEL) === undefined ? undefined : parseLogLevel(vars.EGTS_LOG_LEVEL),
    namespace: nonEmpty(vars.ENVOY_GATEWAY_NAMESPACE) ?? "envoy-gateway-system",
    clusterDomain: nonEmpty(vars.KUBERNETES_CLUSTER_DOMAIN) ?? "cluster.local",
    podName: nonEmpty(vars.POD_NAME),
    path: (vars.PATH ?? "").split(pathSep).filter((p) => p !== ""),
    home,
    ci: parseBool(vars.CI),
    testLog: parseBool(vars.EGTS_TEST_LOG),
    synthInput: nonEmpty(vars.EGTS_SYNTH_INPUT) ?? join("examples", "kubernetes"),
    synthDeployType: parseDeployType(vars.EGTS_SYNTH_DEPLOY_TYPE),
    cdk8sOutdir: nonEmpty(vars.CDK8S_OUTDIR),
    inKubernetes: vars.KUBERNETES_SERVICE_HOST !== undefined,
    kubernetesService:
      vars.KUBERNETES_SERVICE_HOST && vars.KUBERNETES_SERVICE_PORT
        ? { host: vars.KUBERNETES_SERVICE_HOST, port: vars.KUBERNETES_SERVICE_PORT }
        : undefined,
    kubeconfigFiles: (vars.KUBECONFIG ?? "").split(delimiter).filter(Boolean),
    routeLayout: parseRouteLayout(vars.EGTS_ROUTE_LAYOUT),
    v8Flags: vars.EGTS_V8_FLAGS === undefined ? DEFAULT_V8_FLAGS : vars.EGTS_V8_FLAGS.trim(),
  };
}

/** The V8 flags of the long-running commands without EGTS_V8_FLAGS (ADR 0041). */
export const DEFAULT_V8_FLAGS = "--always-sparkplug";

let current: EgtsEnv | undefined;

/** The process environment, parsed once on first use. */
export function env(): EgtsEnv {
  current ??= loadEnv();
  return current;
}

/** Envoy 1.36 loads dynamic module `lib<name>.so` from the folder this variable names, and only from there. */
export const DYNAMIC_MODULES_SEARCH_PATH = "ENVOY_DYNAMIC_MODULES_SEARCH_PATH";

/** The environment of a child process: this process's variables, with `extra` set. */
export function childEnv(extra: EnvVars, vars: EnvVars = process.env): NodeJS.ProcessEnv {
  return { ...vars, ...extra };
}
