/**
 * The EnvoyGateway configuration (`gateway.envoyproxy.io/v1alpha1`, kind EnvoyGateway): the startup
 * settings Envoy Gateway reads from `--config-path` (in Kubernetes, the ConfigMap `envoy-gateway-config`
 * its Helm chart renders from `config.envoyGateway`). `egts controller`, `egts standalone` and
 * `egts translate` read the same file, with Envoy Gateway v1.9's field names, defaults and rules.
 *
 * Never ignored silently: every Envoy Gateway field is either acted on, or accepted with a note saying why it
 * changes nothing (a harmless default, see {@link HARMLESS}), or refused at startup with file:line:column
 * (a setting egts does not implement yet); unknown fields are refused the same way.
 *
 * Acted on:
 * - `gateway.controllerName`: the GatewayClass controller name (a `--controller-name` flag wins).
 * - `provider` (envoy-gateway-provider.ts): `kubernetes.watch`, `kubernetes.leaderElection` (controller);
 *   `custom` with resource type File and infrastructure type Host (standalone).
 * - `logging.level`: the level per component (log.ts LOG_COMPONENTS); `EGTS_LOG_LEVEL` overrides `default`.
 * - `extensionApis`: `enableBackend` (+ the egts extension `backend`: Backend endpoints refused by default
 *   that this installation allows, and `dnsResolvers`, the DNS servers of DynamicResolver Backends),
 *   `enableEnvoyPatchPolicy`, `enableLua` / `disableLua` (translate
 *   ExtensionApiGates); `enableSDSSecretRef: true` is refused (not implemented).
 * - `rateLimit` (envoy-gateway-ratelimit.ts): standalone mode runs the rate limit service with it and
 *   BackendTrafficPolicy `rateLimit.global` uses it; in Kubernetes global rate limits are refused (no service yet).
 * - `extensionManager` / `extensionManagers` (envoy-gateway-extension.ts; mutually exclusive): the extension
 *   server(s) called after each translation, chained in list order.
 * - `admin` and `xdsServer` (envoy-gateway-admin.ts): the controller's admin server (address, config dump in the
 *   log, profiling) and the xDS gRPC server's connection age and message size.
 * - `telemetry` (envoy-gateway-telemetry.ts): `metrics.prometheus.disable` (no `/metrics`), `metrics.sinks`
 *   (OpenTelemetry export of the same metrics) and `traces` (spans of the pipeline's passes).
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseAllDocuments } from "yaml";
import { LOG_LEVELS, type LogLevel } from "./env";
import { DEFAULT_LOG_LEVELS, LOG_COMPONENTS, type LogComponent, type LogLevels } from "../log";
import {
  ENDPOINT_CLASSES,
  parseCidr,
  parseIp,
  type BackendSettings,
  type EndpointClass,
} from "../translate/backend-endpoints";
import type { ExtensionApiGates } from "../translate/extension-gates";
import { ConfigWalk, keyName } from "./config-walk";
import { DEFAULT_KUBERNETES_PROVIDER, readProvider, type ProviderConfig } from "./envoy-gateway-provider";
import { readRateLimit, type RateLimitConfig } from "./envoy-gateway-ratelimit";
import { readExtensionManager, readExtensionManagers, type ExtensionManagerConfig } from "./envoy-gateway-extension";
import { readTelemetry, type TelemetryConfig } from "./envoy-gateway-telemetry";
import { DEFAULT_ADMIN, readAdmin, readXdsServer, type AdminConfig, type XdsServerConfig } from "./envoy-gateway-admin";

/** API version and kind of the configuration document. */
export const ENVOY_GATEWAY_API_VERSION = "gateway.envoyproxy.io/v1alpha1";
export const ENVOY_GATEWAY_KIND = "EnvoyGateway";

/** What egts takes from an EnvoyGateway configuration. */
export interface EnvoyGatewayConfig {
  /** `gateway.controllerName`, when set. @default gateway.envoyproxy.io/gatewayclass-controller */
  readonly controllerName?: string;
  /** `provider`, when the file has one (each command checks it runs the provider it names). */
  readonly provider?: ProviderConfig;
  /** `logging.level`. @default every component at info */
  readonly logging: LogLevels;
  /** `extensionApis.enableBackend` and the egts extension `extensionApis.backend`. */
  readonly backends: BackendSettings;
  /** The other `extensionApis` switches, for the translator. @default every gated kind off */
  readonly extensionApis: ExtensionApiGates;
  /**
   * `rateLimit`: the global rate limit service's Redis backend, timeout, failClosed and telemetry: standalone
   * mode runs the service on the host with it, BackendTrafficPolicy `rateLimit.global` calls it.
   */
  readonly rateLimit?: RateLimitConfig;
  /**
   * `extensionManager`, or `extensionManagers` (Envoy Gateway's GetExtensionManagers: the singular one as a list of
   * one): the extension servers whose hooks modify the translated configuration, called in this order.
   * @default none
   */
  readonly extensionManagers?: readonly ExtensionManagerConfig[];
  /** `admin`: the controller's admin server. @default 127.0.0.1:19000, no config dump in the log, no profiling */
  readonly admin: AdminConfig;
  /** `xdsServer`: the xDS gRPC server's settings. @default Envoy Gateway's (envoy-gateway-admin.ts) */
  readonly xdsServer?: XdsServerConfig;
  /** `telemetry`: the control plane's metrics and traces. @default Prometheus `/metrics` on, no sink, no traces */
  readonly telemetry?: TelemetryConfig;
  /** Settings accepted although they change nothing in egts, each with file:line and the reason (logged). */
  readonly notes: readonly string[];
}

/** The configuration without a file: Envoy Gateway's defaults (Backend off, every gate off, info logs). */
export const DEFAULT_ENVOY_GATEWAY_CONFIG: EnvoyGatewayConfig = {
  logging: DEFAULT_LOG_LEVELS,
  admin: DEFAULT_ADMIN,
  backends: { enabled: false },
  extensionApis: {},
  notes: [],
};

/** A configuration file that cannot be used; the message lists every problem with file:line:column. */
export class EnvoyGatewayConfigError extends Error {
  override name = "EnvoyGatewayConfigError";
}

/** Envoy Gateway's top-level settings egts does not implement yet: a startup error naming the field. */
const NOT_IMPLEMENTED_TOP: Readonly<Record<string, string>> = {
  envoyProxy: "a default EnvoyProxy spec for every proxy",
};

/**
 * Envoy Gateway settings accepted although egts does not act on them, because their value is what egts
 * does anyway (each is noted with its reason at startup). Any other value of these fields is an error.
 */
export const HARMLESS: Readonly<Record<string, string>> = {
  "logging.encoder: Text": "Envoy Gateway's default; egts writes text lines",
  "gatewayAPI.enabled: []": "no experimental Gateway API kind enabled, Envoy Gateway's default",
  "runtimeFlags.enabled: [] / disabled: []": "no runtime flag changed, Envoy Gateway's default",
  "provider.kubernetes.deploy.type: ControllerNamespace": "Envoy Gateway's default; egts deploys proxies there",
  "provider.kubernetes.proxyTopologyInjector.disabled: true": "egts has no topology injector",
  "provider.kubernetes.rateLimitDeployment":
    "rendered by Envoy Gateway's chart; egts's chart deploys the rate limit service from its rateLimit values",
  "provider.kubernetes.shutdownManager":
    "rendered by Envoy Gateway's chart; egts's shutdown manager runs the controller's image (--shutdown-manager-image)",
};

/** Parses the text of an EnvoyGateway configuration file; throws {@link EnvoyGatewayConfigError}. */
export function parseEnvoyGatewayConfig(file: string, text: string): EnvoyGatewayConfig {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  const w = new ConfigWalk(file, lines);
  const problems = (Array.isArray(docs) ? docs : []).flatMap((d) => d.errors);
  if (problems.length > 0 || !Array.isArray(docs)) {
    const list = problems.map((e) => `${file}:${e.linePos?.[0].line ?? 0}:${e.linePos?.[0].col ?? 0}: ${e.message}`);
    throw new EnvoyGatewayConfigError(list.join("\n") || `${file}: not YAML`);
  }
  const real = docs.filter((d) => d.contents !== null);
  if (real.length !== 1) {
    throw new EnvoyGatewayConfigError(
      `${file}: expected one EnvoyGateway document (apiVersion ${ENVOY_GATEWAY_API_VERSION}), found ${real.length}`,
    );
  }
  const config = readRoot(w, real[0].contents);
  if (w.errors.length > 0) throw new EnvoyGatewayConfigError(w.errors.join("\n"));
  return { ...config, notes: w.notes };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readRoot(w: ConfigWalk, root: unknown): Omit<EnvoyGatewayConfig, "notes"> {
  const out: Mutable<Omit<EnvoyGatewayConfig, "notes">> = { ...DEFAULT_ENVOY_GATEWAY_CONFIG };
  const seen = new Set<string>();
  const header = (key: "apiVersion" | "kind") => (v: unknown) => {
    seen.add(key);
    const want = key === "kind" ? ENVOY_GATEWAY_KIND : ENVOY_GATEWAY_API_VERSION;
    const got = w.string(v, key);
    if (got !== undefined && got !== want) w.error(v, `${key} must be ${want} (got ${got})`);
  };
  const handlers: Record<string, (v: unknown, pair: { key: unknown }) => void> = {
    apiVersion: header("apiVersion"),
    kind: header("kind"),
    gateway: (v) =>
      w.fields(v, "gateway", {
        controllerName: (c) => {
          const name = w.nonEmpty(c, "gateway.controllerName");
          if (name !== undefined) out.controllerName = name;
        },
      }),
    provider: (v) => {
      const provider = readProvider(w, v);
      if (provider) out.provider = provider;
    },
    logging: (v) => (out.logging = readLogging(w, v)),
    admin: (v) => (out.admin = readAdmin(w, v)),
    xdsServer: (v) => (out.xdsServer = readXdsServer(w, v)),
    telemetry: (v) => (out.telemetry = readTelemetry(w, v)),
    rateLimit: (v) => {
      const rateLimit = readRateLimit(w, v);
      if (rateLimit) out.rateLimit = rateLimit;
    },
    extensionManager: (v, pair) => {
      if (seen.has("extensionManagers")) {
        w.error(pair.key, "extensionManager and extensionManagers are mutually exclusive");
        return;
      }
      seen.add("extensionManager");
      const manager = readExtensionManager(w, v);
      if (manager) out.extensionManagers = [manager];
    },
    extensionManagers: (v, pair) => {
      if (seen.has("extensionManager")) {
        w.error(pair.key, "extensionManager and extensionManagers are mutually exclusive");
        return;
      }
      seen.add("extensionManagers");
      const managers = readExtensionManagers(w, v);
      if (managers.length > 0) out.extensionManagers = managers;
    },
    extensionApis: (v) => {
      const { backends, gates } = readExtensionApis(w, v);
      out.backends = backends;
      out.extensionApis = gates;
    },
    gatewayAPI: (v) => emptyLists(w, v, "gatewayAPI", ["enabled"], "experimental Gateway API kinds"),
    runtimeFlags: (v) => emptyLists(w, v, "runtimeFlags", ["enabled", "disabled"], "runtime flags"),
  };
  for (const [key, what] of Object.entries(NOT_IMPLEMENTED_TOP)) {
    handlers[key] = (_v, pair) =>
      w.error(pair.key, `${key} (${what}) is an Envoy Gateway setting egts does not implement yet`);
  }
  w.fields(root, "", handlers);
  for (const required of ["apiVersion", "kind"]) {
    if (!seen.has(required))
      w.error(root, `missing ${required} (${required === "kind" ? ENVOY_GATEWAY_KIND : ENVOY_GATEWAY_API_VERSION})`);
  }
  return out;
}

/** `logging`: `level` per component (EnvoyGatewayLogComponent → debug | info | warn | error), `encoder`. */
function readLogging(w: ConfigWalk, node: unknown): LogLevels {
  let levels: LogLevels = DEFAULT_LOG_LEVELS;
  w.fields(node, "logging", {
    level: (v) => {
      let defaultLevel: LogLevel = "info";
      const components: Partial<Record<LogComponent, LogLevel>> = {};
      for (const pair of w.pairs(v, "logging.level")) {
        const key = keyName(pair);
        const path = `logging.level.${key}`;
        if (key !== "default" && !(LOG_COMPONENTS as readonly string[]).includes(key)) {
          w.error(pair.key, `unknown logging component ${key} (one of default, ${LOG_COMPONENTS.join(", ")})`);
          continue;
        }
        const level = w.oneOf(pair.value, path, LOG_LEVELS);
        if (level === undefined) continue;
        if (key === "default") defaultLevel = level;
        else components[key as LogComponent] = level;
      }
      levels = { default: defaultLevel, ...(Object.keys(components).length > 0 ? { components } : {}) };
    },
    encoder: (v) => {
      const encoder = w.oneOf(v, "logging.encoder", ["Text", "JSON"] as const);
      if (encoder === "JSON") w.error(v, "logging.encoder: JSON is not implemented yet (egts writes Text lines)");
      else if (encoder) w.note(v, `logging.encoder: Text accepted, no effect: ${HARMLESS["logging.encoder: Text"]}`);
    },
  });
  return levels;
}

/** `gatewayAPI` / `runtimeFlags`: accepted only with empty lists (nothing enabled or disabled). */
function emptyLists(w: ConfigWalk, node: unknown, path: string, keys: readonly string[], what: string): void {
  const handlers: Record<string, (v: unknown) => void> = {};
  for (const key of keys) {
    handlers[key] = (v) => {
      const items = w.strings(v, `${path}.${key}`);
      if (items.length > 0) {
        w.error(v, `${path}.${key}: ${items.join(", ")}: ${what} are not implemented yet in egts`);
      } else w.note(v, `${path}.${key}: [] accepted, no effect: nothing changed from Envoy Gateway's default`);
    };
  }
  w.fields(node, path, handlers);
}

function readExtensionApis(w: ConfigWalk, node: unknown): { backends: BackendSettings; gates: ExtensionApiGates } {
  let enabled = false;
  let extension: Omit<BackendSettings, "enabled"> = {};
  const gates: { -readonly [K in keyof ExtensionApiGates]: ExtensionApiGates[K] } = {};
  let enableLua: { value: boolean; node: unknown } | undefined;
  let disableLua: { value: boolean; node: unknown } | undefined;
  const path = "extensionApis";
  w.fields(node, path, {
    enableBackend: (v) => (enabled = w.bool(v, `${path}.enableBackend`) ?? false),
    backend: (v) => (extension = readBackendExtension(w, v)),
    enableEnvoyPatchPolicy: (v) => {
      if (w.bool(v, `${path}.enableEnvoyPatchPolicy`) === true) gates.enableEnvoyPatchPolicy = true;
    },
    enableLua: (v) => {
      const value = w.bool(v, `${path}.enableLua`);
      if (value !== undefined) enableLua = { value, node: v };
    },
    disableLua: (v) => {
      const value = w.bool(v, `${path}.disableLua`);
      if (value !== undefined) disableLua = { value, node: v };
    },
    enableSDSSecretRef: (v) => {
      if (w.bool(v, `${path}.enableSDSSecretRef`) === true) {
        w.error(
          v,
          `${path}.enableSDSSecretRef: true is not implemented yet (egts does not read gateway.envoyproxy.io/sds Secrets)`,
        );
      }
    },
  });
  if (enableLua && disableLua) {
    w.error(
      disableLua.node,
      `${path}.disableLua and ${path}.enableLua are mutually exclusive (disableLua is deprecated)`,
    );
  }
  // The deprecated disableLua: false meant "Lua on" when Lua was on by default.
  if (enableLua?.value === true || disableLua?.value === false) gates.enableLua = true;
  return { backends: { enabled, ...extension }, gates };
}

/** `extensionApis.backend`: the egts extension that allows refused Backend endpoints. */
function readBackendExtension(w: ConfigWalk, node: unknown): Omit<BackendSettings, "enabled"> {
  const allow: EndpointClass[] = [];
  const allowedCIDRs: string[] = [];
  const dnsResolvers: string[] = [];
  const path = "extensionApis.backend";
  w.fields(node, path, {
    allow: (v) => {
      const items = w.list(v, `${path}.allow`);
      w.strings(v, `${path}.allow`).forEach((c, i) => {
        if ((ENDPOINT_CLASSES as readonly string[]).includes(c)) allow.push(c as EndpointClass);
        else w.error(items[i], `${path}.allow[${i}]: ${c} is not one of ${ENDPOINT_CLASSES.join(", ")}`);
      });
    },
    allowedCIDRs: (v) => {
      const items = w.list(v, `${path}.allowedCIDRs`);
      w.strings(v, `${path}.allowedCIDRs`).forEach((c, i) => {
        if (parseCidr(c)) allowedCIDRs.push(c);
        else
          w.error(
            items[i],
            `${path}.allowedCIDRs[${i}]: ${c} is not a CIDR (address/prefix length, e.g. 169.254.10.0/24)`,
          );
      });
    },
    dnsResolvers: (v) => {
      const items = w.list(v, `${path}.dnsResolvers`);
      w.strings(v, `${path}.dnsResolvers`).forEach((r, i) => {
        if (isResolverAddress(r)) dnsResolvers.push(r);
        else
          w.error(items[i], `${path}.dnsResolvers[${i}]: ${r} is not an ip:port address (e.g. 127.0.0.1:53, [::1]:53)`);
      });
    },
  });
  return { allow, allowedCIDRs, ...(dnsResolvers.length > 0 ? { dnsResolvers } : {}) };
}

/** An `ip:port` (IPv6 in brackets) DNS server address. */
function isResolverAddress(text: string): boolean {
  const at = text.lastIndexOf(":");
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(text.slice(at + 1));
  return at > 0 && parseIp(host) !== undefined && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Reads and parses an EnvoyGateway configuration file; throws {@link EnvoyGatewayConfigError}. */
export function loadEnvoyGatewayConfig(path: string): EnvoyGatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new EnvoyGatewayConfigError(`cannot read the EnvoyGateway configuration ${path}: ${(err as Error).message}`);
  }
  return parseEnvoyGatewayConfig(path, text);
}

/**
 * The provider `egts controller` runs: Kubernetes (the default). A `provider.type: Custom` file is for
 * `egts standalone`: an error naming the file and line.
 */
export function kubernetesProviderOf(config: EnvoyGatewayConfig): Extract<ProviderConfig, { type: "Kubernetes" }> {
  const p = config.provider;
  if (p === undefined) return { type: "Kubernetes", kubernetes: DEFAULT_KUBERNETES_PROVIDER, at: "(default)" };
  if (p.type !== "Kubernetes") {
    throw new EnvoyGatewayConfigError(
      `${p.at}: provider.type is ${p.type}; egts controller runs the Kubernetes provider (Custom is egts standalone's)`,
    );
  }
  return p;
}

/**
 * The Custom provider `egts standalone` runs, or undefined when the file has no `provider` (the flags say
 * everything). `provider.type: Kubernetes` is `egts controller`'s: an error naming the file and line.
 */
export function customProviderOf(config: EnvoyGatewayConfig): Extract<ProviderConfig, { type: "Custom" }> | undefined {
  const p = config.provider;
  if (p === undefined) return undefined;
  if (p.type !== "Custom") {
    throw new EnvoyGatewayConfigError(
      `${p.at}: provider.type is ${p.type}; egts standalone runs the Custom provider (resource type File, infrastructure type Host)`,
    );
  }
  return p;
}
