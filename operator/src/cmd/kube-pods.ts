/**
 * Which pods an egctl-style command reads, as egctl picks them: with `-A`, the pods of every namespace
 * matching the command's selector; with `-l`, the pods of `-n` matching those labels (they win over a pod
 * name); with a pod name, that pod; else the pods of `-n` matching the command's default selector. Every pod
 * must be Running.
 */
import type { KubeClient } from "../provider/kubernetes/client";
import type { PodRef } from "./pod-port-forward";

/**
 * The labels of the Envoy proxy pods, the default proxy selector: egctl's without its third label,
 * `app.kubernetes.io/managed-by=envoy-gateway`, which Envoy Gateway's proxy pods carry and egts's do not (egts
 * puts it on the Deployment and the other objects, not on the pod template).
 */
export const PROXY_POD_SELECTOR = ["app.kubernetes.io/name=envoy", "app.kubernetes.io/component=proxy"] as const;

/** The label egctl selects controller pods by. */
export const CONTROLLER_POD_SELECTOR = "control-plane=envoy-gateway";

/** Where the control plane runs by default: egctl's `-n` default. */
export const DEFAULT_POD_NAMESPACE = "envoy-gateway-system";

/** What selects the pods. */
export interface PodQuery {
  /** `-n`. */
  readonly namespace: string;
  /** The pod name argument, if any. */
  readonly name?: string | undefined;
  /** `-l` values (each a selector; joined with commas). */
  readonly labels: readonly string[];
  /** `-A`. */
  readonly allNamespaces: boolean;
  /** The command's selector when neither a name nor labels are given. */
  readonly defaultSelector: readonly string[];
  /** With `-A`: whether `-l` replaces the default selector (egctl's `config envoy-gateway`) or not (proxies). */
  readonly labelsWithAllNamespaces: boolean;
}

interface PodItem {
  metadata: { name: string; namespace: string };
  status?: { phase?: string };
}

/** The pods a command reads, sorted by namespace and name. @throws Error as egctl's messages */
export async function runningPods(client: KubeClient, q: PodQuery): Promise<PodRef[]> {
  const selector = (labels: readonly string[]): string => labels.join(",");
  let pods: readonly PodItem[];
  if (q.allNamespaces) {
    const labels = q.labelsWithAllNamespaces && q.labels.length > 0 ? q.labels : q.defaultSelector;
    pods = (await client.list<PodItem>("/api/v1/pods", { labelSelector: selector(labels) })).items;
    if (pods.length === 0) throw new Error(`no Pods found for label selectors [${labels.join(" ")}]`);
  } else if (q.labels.length > 0 || !q.name) {
    const labels = q.labels.length > 0 ? q.labels : q.defaultSelector;
    const path = `/api/v1/namespaces/${encodeURIComponent(q.namespace)}/pods`;
    pods = (await client.list<PodItem>(path, { labelSelector: selector(labels) })).items;
    if (pods.length === 0) throw new Error(`no Pods found for label selectors [${labels.join(" ")}]`);
  } else {
    const path = `/api/v1/namespaces/${encodeURIComponent(q.namespace)}/pods/${encodeURIComponent(q.name)}`;
    const pod = await client.request<PodItem>("GET", path).catch((err: Error) => {
      throw new Error(`get pod ${q.namespace}/${q.name} fail: ${err.message}`);
    });
    pods = [pod];
  }
  for (const p of pods) {
    if (p.status?.phase !== "Running") throw new Error(`pod ${p.metadata.namespace}/${p.metadata.name} is not running`);
  }
  return pods
    .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
