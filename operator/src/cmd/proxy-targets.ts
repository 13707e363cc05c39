/**
 * The Envoy admin interfaces a `config envoy-proxy` or `x stats envoy-proxy` call is about: `--admin-address`
 * ones as given, else the standalone proxies (proxy-registry.ts), narrowed by the Gateway name argument, `-n`
 * (unless `-A`) and `-l` (only `gateway.envoyproxy.io/owning-gateway-name` and `-namespace`, the labels Envoy
 * Gateway puts on proxy pods). Kubernetes proxies need a port-forward first (kubectl), then `--admin-address`.
 */
import type { Invocation } from "./cli/command";
import { bool, list, str } from "./cli/flags";
import { nodeParts, registryDir, runningProxies } from "./proxy-registry";

/** One admin interface and where the output files it. */
export interface ProxyTarget {
  /** Key of the first level of the output (egctl: the pod's namespace). */
  readonly namespace: string;
  /** Key of the second level (egctl: the pod's name). */
  readonly name: string;
  /** `host:port`. */
  readonly admin: string;
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

/** The targets of a call; throws naming what to do when there are none. */
export function proxyTargets(inv: Invocation): ProxyTarget[] {
  const given = list(inv.values, "admin-address");
  if (given.length > 0) return given.map((admin) => ({ namespace: "", name: admin, admin }));
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
      `no running egts standalone proxy${which} (they are published in ${registryDir()}); for a proxy in Kubernetes, ` +
        "forward its admin port (kubectl port-forward -n <namespace> pod/<pod> 19000) and pass --admin-address 127.0.0.1:19000",
    );
  }
  return targets;
}

/** GET `path` of an admin interface; the body as text. @throws Error naming the address and the status */
export async function adminGet(admin: string, path: string): Promise<string> {
  const response = await fetch(`http://${admin}${path}`, { signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET http://${admin}${path}: ${response.status} ${text.trim()}`);
  return text;
}
