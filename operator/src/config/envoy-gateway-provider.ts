/**
 * The `provider` section of the EnvoyGateway configuration (Envoy Gateway's EnvoyGatewayProvider): the
 * Kubernetes provider of `egts controller` (watch scope, leader election) and the Custom provider of
 * `egts standalone` (File resources, Host infrastructure). Field names, defaults and rules are Envoy
 * Gateway v1.9's.
 */
import type { LabelSelector } from "../resources/gateway-api";
import type { ConfigWalk } from "./config-walk";

/** `provider.kubernetes.watch` (KubernetesWatchMode): which namespaces the provider reads. */
export interface WatchConfig {
  /** `type: Namespaces`: only these namespaces. */
  readonly namespaces?: readonly string[];
  /** `type: NamespaceSelector`: only namespaces whose labels match. */
  readonly namespaceSelector?: LabelSelector;
}

/** `provider.kubernetes.leaderElection` (LeaderElection), in milliseconds. */
export interface LeaderElectionConfig {
  /** `disable`: every replica acts as leader (writes status, applies infra). @default false */
  readonly disable: boolean;
  /** `leaseDuration`: how long others wait before taking over a lease not renewed. @default 15s */
  readonly leaseDurationMs: number;
  /** `renewDeadline`: a leader that could not renew for this long steps down. @default 10s */
  readonly renewDeadlineMs: number;
  /** `retryPeriod`: how often to try to acquire or renew. @default 2s */
  readonly retryPeriodMs: number;
}

/** Envoy Gateway's leader election defaults (client-go's). */
export const DEFAULT_LEADER_ELECTION: LeaderElectionConfig = {
  disable: false,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/**
 * `provider.kubernetes.deploy.type`: where the proxies of a Gateway run, in the controller's namespace
 * (ControllerNamespace) or in the Gateway's own (GatewayNamespace).
 */
export type DeployType = "ControllerNamespace" | "GatewayNamespace";

/** `provider.kubernetes` as egts acts on it. */
export interface KubernetesProviderConfig {
  /** `watch`; every namespace when absent. */
  readonly watch?: WatchConfig;
  /** `deploy.type`. @default ControllerNamespace */
  readonly deploy?: DeployType;
  /** `leaderElection`, defaults filled in. */
  readonly leaderElection: LeaderElectionConfig;
}

/** `provider.custom` (EnvoyGatewayCustomProvider) as egts acts on it. */
export interface CustomProviderConfig {
  /** `resource.file.paths` (resource type File): the folder(s) of YAML. */
  readonly paths: readonly string[];
  /**
   * `infrastructure` (type Host): run one Envoy per Gateway on this host. Absent: no infrastructure
   * provider, as in Envoy Gateway: xDS is served, no proxy is started.
   */
  readonly infrastructure?: { readonly type: "Host"; readonly runtimeDir?: string };
}

/** `provider`: which provider, with its settings. */
export type ProviderConfig =
  | { readonly type: "Kubernetes"; readonly kubernetes: KubernetesProviderConfig; readonly at: string }
  | { readonly type: "Custom"; readonly custom: CustomProviderConfig; readonly at: string };

/** The Kubernetes provider's settings with Envoy Gateway's defaults (what applies without a `provider` section). */
export const DEFAULT_KUBERNETES_PROVIDER: KubernetesProviderConfig = { leaderElection: DEFAULT_LEADER_ELECTION };

/** Reads `provider`; problems go to `w`. */
export function readProvider(w: ConfigWalk, node: unknown): ProviderConfig | undefined {
  let type: "Kubernetes" | "Custom" | undefined;
  let typeNode: unknown = node;
  let kubernetes: KubernetesProviderConfig | undefined;
  let kubernetesNode: unknown;
  let custom: CustomProviderConfig | undefined;
  let customNode: unknown;
  w.fields(node, "provider", {
    type: (v) => {
      typeNode = v;
      type = w.oneOf(v, "provider.type", ["Kubernetes", "Custom"] as const);
    },
    kubernetes: (v, pair) => {
      kubernetesNode = pair.key;
      kubernetes = readKubernetes(w, v);
    },
    custom: (v, pair) => {
      customNode = pair.key;
      custom = readCustom(w, v);
    },
  });
  if (type === undefined) {
    if (typeNode === node) w.error(node, "provider.type is required (Kubernetes or Custom)");
    return undefined;
  }
  if (type === "Kubernetes" && customNode)
    w.error(customNode, "provider.custom is set but provider.type is Kubernetes");
  if (type === "Custom" && kubernetesNode) {
    w.error(kubernetesNode, "provider.kubernetes is set but provider.type is Custom");
  }
  if (type === "Custom" && !customNode) w.error(typeNode, "provider.type is Custom but provider.custom is missing");
  const at = w.at(typeNode);
  if (type === "Custom") return custom ? { type, custom, at } : undefined;
  return { type, kubernetes: kubernetes ?? DEFAULT_KUBERNETES_PROVIDER, at };
}

/** Harmless `provider.kubernetes` settings: accepted with a note saying why they change nothing. */
const HARMLESS_KUBERNETES: Readonly<Record<string, string>> = {
  rateLimitDeployment:
    "Envoy Gateway's chart always renders it (the rate limit service's image); egts's chart deploys the rate " +
    "limit service itself, configured by its rateLimit values (image, replicas, resources), not by this section",
  shutdownManager:
    "Envoy Gateway's chart always renders it (the shutdown-manager image); the egts proxies' shutdown-manager " +
    "container runs the controller's own image (`egts controller --shutdown-manager-image`, which the chart sets), " +
    "since its preStop command is egts's",
};

/** `provider.kubernetes` fields Envoy Gateway has that egts does not implement yet (a startup error). */
const NOT_IMPLEMENTED_KUBERNETES = ["rateLimitHpa", "rateLimitPDB", "client", "cacheSyncPeriod"];

function readKubernetes(w: ConfigWalk, node: unknown): KubernetesProviderConfig {
  let watch: WatchConfig | undefined;
  let leaderElection = DEFAULT_LEADER_ELECTION;
  let deploy: DeployType | undefined;
  const path = "provider.kubernetes";
  const handlers: Record<string, (v: unknown, pair: { key: unknown }) => void> = {
    watch: (v) => (watch = readWatch(w, v)),
    leaderElection: (v) => (leaderElection = readLeaderElection(w, v)),
    deploy: (v) => (deploy = readDeploy(w, v)),
    proxyTopologyInjector: (v) =>
      w.fields(v, `${path}.proxyTopologyInjector`, {
        disabled: (d) => {
          if (w.bool(d, `${path}.proxyTopologyInjector.disabled`) === false) {
            w.error(
              d,
              `${path}.proxyTopologyInjector.disabled: false is not implemented (egts has no topology injector)`,
            );
          } else
            w.note(d, `${path}.proxyTopologyInjector.disabled: true is what egts does (it has no topology injector)`);
        },
      }),
  };
  for (const [key, reason] of Object.entries(HARMLESS_KUBERNETES)) {
    handlers[key] = (_v, pair) => w.note(pair.key, `${path}.${key} accepted, no effect: ${reason}`);
  }
  for (const key of NOT_IMPLEMENTED_KUBERNETES) {
    handlers[key] = (_v, pair) =>
      w.error(pair.key, `${path}.${key} is an Envoy Gateway setting egts does not implement yet`);
  }
  w.fields(node, path, handlers);
  return { ...(watch ? { watch } : {}), ...(deploy ? { deploy } : {}), leaderElection };
}

/** `deploy.type`: ControllerNamespace (Envoy Gateway's default) or GatewayNamespace. */
function readDeploy(w: ConfigWalk, node: unknown): DeployType | undefined {
  const path = "provider.kubernetes.deploy";
  let type: DeployType | undefined;
  w.fields(node, path, {
    type: (v) => (type = w.oneOf(v, `${path}.type`, ["ControllerNamespace", "GatewayNamespace"] as const)),
  });
  return type;
}

/** `watch` (KubernetesWatchMode): `type` with precisely the matching one of `namespaces` / `namespaceSelector`. */
function readWatch(w: ConfigWalk, node: unknown): WatchConfig | undefined {
  const path = "provider.kubernetes.watch";
  let type: "Namespaces" | "NamespaceSelector" | undefined;
  let typeNode: unknown = node;
  let namespaces: string[] | undefined;
  let namespacesNode: unknown;
  let selector: LabelSelector | undefined;
  let selectorNode: unknown;
  w.fields(node, path, {
    type: (v) => {
      typeNode = v;
      type = w.oneOf(v, `${path}.type`, ["Namespaces", "NamespaceSelector"] as const);
    },
    namespaces: (v, pair) => {
      namespacesNode = pair.key;
      namespaces = w.strings(v, `${path}.namespaces`);
      w.list(v, "").forEach((item, i) => {
        const ns = namespaces?.[i];
        if (ns !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
          w.error(item, `${path}.namespaces[${i}]: ${JSON.stringify(ns)} is not a namespace name`);
        }
      });
    },
    namespaceSelector: (v, pair) => {
      selectorNode = pair.key;
      selector = readLabelSelector(w, v, `${path}.namespaceSelector`);
    },
  });
  return watchOfType(w, { node, type, typeNode, namespaces, namespacesNode, selector, selectorNode });
}

/** The watch of `type`, checking that precisely its own field is set. */
function watchOfType(
  w: ConfigWalk,
  f: {
    node: unknown;
    type?: "Namespaces" | "NamespaceSelector";
    typeNode: unknown;
    namespaces?: string[];
    namespacesNode: unknown;
    selector?: LabelSelector;
    selectorNode: unknown;
  },
): WatchConfig | undefined {
  const path = "provider.kubernetes.watch";
  if (f.type === undefined) {
    if (f.typeNode === f.node && (f.namespacesNode || f.selectorNode)) {
      w.error(
        f.node,
        `${path}.type is required with namespaces or namespaceSelector (Namespaces or NamespaceSelector)`,
      );
    }
    return undefined;
  }
  if (f.type === "Namespaces") {
    if (f.selectorNode) w.error(f.selectorNode, `${path}.namespaceSelector is set but ${path}.type is Namespaces`);
    const ok = f.namespaces !== undefined && f.namespaces.length > 0;
    if (!ok) w.error(f.namespacesNode ?? f.typeNode, `${path}.type Namespaces needs a non-empty ${path}.namespaces`);
    return ok ? { namespaces: f.namespaces } : undefined;
  }
  if (f.namespacesNode) w.error(f.namespacesNode, `${path}.namespaces is set but ${path}.type is NamespaceSelector`);
  if (!f.selector)
    w.error(f.selectorNode ?? f.typeNode, `${path}.type NamespaceSelector needs ${path}.namespaceSelector`);
  return f.selector ? { namespaceSelector: f.selector } : undefined;
}

const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** A metav1.LabelSelector: `matchLabels` and `matchExpressions`. */
function readLabelSelector(w: ConfigWalk, node: unknown, path: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector["matchExpressions"]>[number][] = [];
  w.fields(node, path, {
    matchLabels: (v) => {
      for (const pair of w.pairs(v, `${path}.matchLabels`)) {
        const key = String((pair.key as { value?: unknown } | null)?.value ?? "");
        const value = w.string(pair.value, `${path}.matchLabels.${key}`);
        if (value !== undefined) matchLabels[key] = value;
      }
    },
    matchExpressions: (v) =>
      w.list(v, `${path}.matchExpressions`).forEach((item, i) => {
        const p = `${path}.matchExpressions[${i}]`;
        let key: string | undefined;
        let operator: (typeof SELECTOR_OPERATORS)[number] | undefined;
        let values: string[] = [];
        w.fields(item, p, {
          key: (k) => (key = w.nonEmpty(k, `${p}.key`)),
          operator: (o) => (operator = w.oneOf(o, `${p}.operator`, SELECTOR_OPERATORS)),
          values: (vs) => (values = w.strings(vs, `${p}.values`)),
        });
        const needsValues = operator === "In" || operator === "NotIn";
        if (operator && needsValues !== values.length > 0) {
          w.error(item, `${p}: operator ${operator} ${needsValues ? "needs" : "takes no"} values`);
        }
        if (key === undefined || operator === undefined) w.error(item, `${p} needs key and operator`);
        else matchExpressions.push({ key, operator, ...(values.length > 0 ? { values } : {}) });
      }),
  });
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/** `leaderElection`: durations with client-go's rule leaseDuration > renewDeadline > retryPeriod. */
function readLeaderElection(w: ConfigWalk, node: unknown): LeaderElectionConfig {
  const path = "provider.kubernetes.leaderElection";
  const out = { ...DEFAULT_LEADER_ELECTION };
  const fieldNodes: Record<string, unknown> = {};
  w.fields(node, path, {
    disable: (v) => (out.disable = w.bool(v, `${path}.disable`) ?? false),
    leaseDuration: (v) =>
      (fieldNodes.leaseDuration = v) &&
      (out.leaseDurationMs = w.duration(v, `${path}.leaseDuration`) ?? out.leaseDurationMs),
    renewDeadline: (v) =>
      (fieldNodes.renewDeadline = v) &&
      (out.renewDeadlineMs = w.duration(v, `${path}.renewDeadline`) ?? out.renewDeadlineMs),
    retryPeriod: (v) =>
      (fieldNodes.retryPeriod = v) && (out.retryPeriodMs = w.duration(v, `${path}.retryPeriod`) ?? out.retryPeriodMs),
  });
  for (const [name, ms] of [
    ["leaseDuration", out.leaseDurationMs],
    ["retryPeriod", out.retryPeriodMs],
  ] as const) {
    if (ms < 1000)
      w.error(fieldNodes[name] ?? node, `${path}.${name} must be at least 1s (the Lease counts whole seconds)`);
  }
  if (out.leaseDurationMs <= out.renewDeadlineMs) {
    w.error(
      fieldNodes.leaseDuration ?? fieldNodes.renewDeadline ?? node,
      `${path}: leaseDuration (${out.leaseDurationMs} ms) must be greater than renewDeadline (${out.renewDeadlineMs} ms)`,
    );
  }
  if (out.renewDeadlineMs <= out.retryPeriodMs) {
    w.error(
      fieldNodes.renewDeadline ?? fieldNodes.retryPeriod ?? node,
      `${path}: renewDeadline (${out.renewDeadlineMs} ms) must be greater than retryPeriod (${out.retryPeriodMs} ms)`,
    );
  }
  return out;
}

/** `custom`: resource type File with paths; infrastructure type Host (or none). */
function readCustom(w: ConfigWalk, node: unknown): CustomProviderConfig | undefined {
  const path = "provider.custom";
  let paths: string[] | undefined;
  let infrastructure: CustomProviderConfig["infrastructure"];
  let resourceSeen = false;
  w.fields(node, path, {
    resource: (v) => {
      resourceSeen = true;
      paths = readResource(w, v);
    },
    infrastructure: (v) => (infrastructure = readInfrastructure(w, v)),
  });
  if (!resourceSeen) w.error(node, `${path}.resource is required (type: File with file.paths)`);
  return paths ? { paths, ...(infrastructure ? { infrastructure } : {}) } : undefined;
}

function readResource(w: ConfigWalk, node: unknown): string[] | undefined {
  const path = "provider.custom.resource";
  let paths: string[] | undefined;
  let typeSeen = false;
  w.fields(node, path, {
    type: (v) => {
      typeSeen = true;
      w.oneOf(v, `${path}.type`, ["File"] as const);
    },
    file: (v) =>
      w.fields(v, `${path}.file`, {
        paths: (p) => {
          paths = w.strings(p, `${path}.file.paths`);
          if (paths.length === 0) w.error(p, `${path}.file.paths must list at least one folder`);
          else if (paths.length > 1) {
            w.error(
              p,
              `${path}.file.paths: egts standalone reads one folder; ${paths.length} paths are not implemented yet`,
            );
          }
        },
      }),
  });
  if (!typeSeen) w.error(node, `${path}.type is required (File)`);
  if (!paths) w.error(node, `${path}.file.paths is required`);
  return paths && paths.length === 1 ? paths : undefined;
}

function readInfrastructure(w: ConfigWalk, node: unknown): CustomProviderConfig["infrastructure"] {
  const path = "provider.custom.infrastructure";
  let type: "Host" | undefined;
  let runtimeDir: string | undefined;
  w.fields(node, path, {
    type: (v) => (type = w.oneOf(v, `${path}.type`, ["Host"] as const)),
    host: (v) => {
      const handlers: Record<string, (x: unknown, pair: { key: unknown }) => void> = {
        runtimeDir: (x) => (runtimeDir = w.nonEmpty(x, `${path}.host.runtimeDir`)),
      };
      for (const key of ["configHome", "dataHome", "stateHome"]) {
        handlers[key] = (_x, pair) =>
          w.error(pair.key, `${path}.host.${key} is not implemented yet (egts keeps its files in host.runtimeDir)`);
      }
      w.fields(v, `${path}.host`, handlers);
    },
  });
  if (!type) {
    w.error(node, `${path}.type is required (Host)`);
    return undefined;
  }
  return { type, ...(runtimeDir !== undefined ? { runtimeDir } : {}) };
}
