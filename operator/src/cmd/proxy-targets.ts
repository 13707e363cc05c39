/**
 * The Envoy admin interfaces a `config envoy-proxy` or `x stats envoy-proxy` call is about:
 * - `--admin-address` ones as given;
 * - else, without `--kubeconfig`/`--context`, the proxies `egts standalone` runs here (proxy-registry.ts),
 *   narrowed by the Gateway name argument, `-n` (unless `-A`) and `-l` (only
 *   `gateway.envoyproxy.io/owning-gateway-name` and `-namespace`, the labels Envoy Gateway puts on proxy pods);
 * - else (or when no standalone proxy runs) the proxy pods of the Kubernetes cluster, picked as egctl picks
 *   them (kube-pods.ts: pod name, `-n` default envoy-gateway-system, `-l`, `-A`), each read through a port
 *   forwarded to its admin port 19000 through the API server (pod-port-forward.ts), as egctl does.
 * Output keys: namespace and name (the Gateway's for standalone proxies, the pod's for Kubernetes ones).
 */
import type { Invocation } from "./cli/command";
import { bool, list, str, UsageError } from "./cli/flags";
import { DEFAULT_POD_NAMESPACE, PROXY_POD_SELECTOR, runningPods, type PodQuery } from "./kube-pods";
import { kubeClient, kubeConfig } from "./kube";
import type { PodForward } from "./pod-port-forward";
import { nodeParts, registryDir, runningProxies } from "./proxy-registry";

/** The admin port of Envoy Gateway's proxies (and of its controller), the port egctl forwards to. */
export const ADMIN_PORT = 19000;

/** One admin interface and where the output files it. */
export interface ProxyTarget {
  /** Key of the first level of the output (egctl: the pod's namespace). */
  readonly namespace: string;
  /** Key of the second level (egctl: the pod's name). */
  readonly name: string;
  /** `host:port`. */
  readonly admin: string;
  /** The port forward `admin` is, for a pod. */
  readonly forward?: PodForward;
}

/** The targets of a call, open until `close()`. */
export interface AdminTargets {
  readonly targets: readonly ProxyTarget[];
  /** Ends the port forwards. */
  close(): Promise<void>;
}

const OWNING_NAME = "gateway.envoyproxy.io/owning-gateway-name";
const OWNING_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace";

/** The label selectors of `-l` as key → value; only equality on the owning-gateway labels. */
function selectors(labels: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of labels.flatMap((s) => s.split(","))) {
    const [k, v, ...rest] = l.split("=");
    if (v === undefined || rest.length > 0 || (k !== OWNING_NAME && k !== OWNING_NAMESPACE)) {
      throw new Error(
        `label selector "${l}": standalone proxies are selected by ${OWNING_NAME}=… and ${OWNING_NAMESPACE}=… only`,
      );
    }
    out.set(k, v);
  }
  return out;
}

/** The standalone proxies a call names; throws naming what it looked for when none matches. */
function standaloneTargets(inv: Invocation): ProxyTarget[] {
  const [wanted] = inv.args;
  const namespace = bool(inv.values, "all-namespaces") ? "" : str(inv.values, "namespace");
  const labels = selectors(list(inv.values, "labels"));
  const targets = runningProxies()
    .map((p) => ({ ...nodeParts(p.node), admin: p.admin }))
    .filter((t) => wanted === undefined || t.name === wanted)
    .filter((t) => namespace === "" || t.namespace === namespace)
    .filter((t) => (labels.get(OWNING_NAME) ?? t.name) === t.name)
    .filter((t) => (labels.get(OWNING_NAMESPACE) ?? t.namespace) === t.namespace);
  if (targets.length === 0) {
    const which = wanted === undefined ? "" : ` for ${namespace ? `${namespace}/` : ""}${wanted}`;
    throw new Error(
      `no running egts standalone proxy${which} (they are published in ${registryDir()}); for proxy pods in ` +
        "Kubernetes, pass --kubeconfig or --context",
    );
  }
  return targets;
}

/** Options of {@link openProxyTargets}. */
export interface TargetOptions {
  /** Only pods of the cluster (egctl's `config envoy-gateway`: the controller pods). @default false */
  readonly kubernetesOnly?: boolean;
  /** The pods' selector when neither a pod name nor `-l` is given. @default the proxy pods' labels */
  readonly defaultSelector?: readonly string[];
  /** egctl's `config envoy-gateway`: with `-A`, `-l` replaces the default selector. @default false */
  readonly labelsWithAllNamespaces?: boolean;
  /** egctl's `x stats`: a pod name or `-l` is required in Kubernetes. @default false */
  readonly requireNameOrLabels?: boolean;
}

/** Opens the targets of a call (see the module comment). */
export async function openProxyTargets(inv: Invocation, o: TargetOptions = {}): Promise<AdminTargets> {
  const given = list(inv.values, "admin-address");
  const none = { close: async () => undefined };
  if (given.length > 0) return { targets: given.map((admin) => ({ namespace: "", name: admin, admin })), ...none };
  const kubeFlags = inv.changed.has("kubeconfig") || inv.changed.has("context");
  const standalone = kubeFlags || o.kubernetesOnly ? [] : runningProxies();
  if (standalone.length > 0) return { targets: standaloneTargets(inv), ...none };
  try {
    return await podTargets(inv, o);
  } catch (err) {
    if (kubeFlags || o.kubernetesOnly || err instanceof UsageError) throw err;
    throw new Error(
      `no running egts standalone proxy (they are published in ${registryDir()}), and the Kubernetes cluster: ` +
        `${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Pods of the cluster, each with its admin port forwarded. */
async function podTargets(inv: Invocation, o: TargetOptions): Promise<AdminTargets> {
  const labels = list(inv.values, "labels");
  const name = inv.args[0];
  if (o.requireNameOrLabels && name === undefined && labels.length === 0) {
    throw new UsageError("stats requires pod name or label selector");
  }
  const query: PodQuery = {
    namespace: str(inv.values, "namespace") || DEFAULT_POD_NAMESPACE,
    name,
    labels,
    allNamespaces: bool(inv.values, "all-namespaces"),
    defaultSelector: o.defaultSelector ?? PROXY_POD_SELECTOR,
    labelsWithAllNamespaces: o.labelsWithAllNamespaces ?? false,
  };
  const kc = await kubeConfig(inv.values);
  const pods = await runningPods(await kubeClient(inv.values, kc), query);
  const { forwardPodPort } = await import("./pod-port-forward");
  const forwards = await Promise.all(pods.map((pod) => forwardPodPort(kc, pod, ADMIN_PORT)));
  return {
    targets: pods.map((pod, i) => ({ ...pod, admin: forwards[i].address, forward: forwards[i] })),
    close: async () => {
      await Promise.all(forwards.map((f) => f.close()));
    },
  };
}

/** GET `path` of an admin interface; the body as text. @throws Error naming the address (or pod) and the failure */
export async function adminGet(target: ProxyTarget, path: string): Promise<string> {
  const where = target.forward ? `pod ${target.namespace}/${target.name} (admin port ${ADMIN_PORT})` : target.admin;
  let response: Response;
  try {
    response = await fetch(`http://${target.admin}${path}`, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = target.forward?.lastError() ?? String((err as Error).cause ?? (err as Error).message);
    throw new Error(`GET ${path} of ${where}: ${cause}`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path} of ${where}: ${response.status} ${text.trim()}`);
  return text;
}
