/**
 * Small shared observations of the Kubernetes tier: where a Gateway is reached, a program's output from inside
 * a pod's network, and the API server's request counters.
 */
import { execFile } from "node:child_process";
import type { KubeCluster } from "./cluster";
import type { SimulatedKubelet } from "./kubelet";
import { POD_NETWORK } from "./pod-network";

/** An IPv4 address as a number. */
function ipv4(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Whether `ip` is a LoadBalancer address of the pod network (in {@link POD_NETWORK}'s loadBalancerCidr). */
export function isLoadBalancerIp(ip: string): boolean {
  const [base = "", bits = "32"] = POD_NETWORK.loadBalancerCidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

/**
 * The address a test reaches Gateway `namespace/name` at from the host: the first of its `status.addresses`,
 * once there is one (with `loadBalancer`, once it is the LoadBalancer address the simulated kube-proxy gave
 * the proxy's Service, rather than the ClusterIP the controller reports until then). Both route to the Envoy
 * pods through the kube-proxy's rules.
 */
export async function gatewayAddress(
  cluster: KubeCluster,
  name: string,
  opts: { readonly namespace?: string; readonly loadBalancer?: boolean; readonly timeoutMs?: number } = {},
): Promise<string> {
  const namespace = opts.namespace ?? "default";
  let address = "";
  await cluster.waitFor(
    `an address${opts.loadBalancer ? " (LoadBalancer)" : ""} in Gateway ${namespace}/${name}'s status`,
    async () => {
      const gw = await cluster.apiJson<{ status?: { addresses?: { value: string }[] } }>(
        "GET",
        `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${name}`,
      );
      address = gw.status?.addresses?.[0]?.value ?? "";
      return address !== "" && (!opts.loadBalancer || isLoadBalancerIp(address));
    },
    opts.timeoutMs ?? 90_000,
  );
  return address;
}

/**
 * Runs `argv` in the network namespace of running pod `pod` (`namespace/name`) and resolves its stdout: what
 * the pod's own loopback serves (Envoy's admin) is reached this way.
 */
export function inPodNetwork(kubelet: SimulatedKubelet, pod: string, argv: readonly string[]): Promise<string> {
  const enter = kubelet.podEnter(pod);
  if (!enter) return Promise.reject(new Error(`pod ${pod} is not running`));
  const [command = "nsenter", ...args] = [...enter, ...argv];
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${argv.join(" ")} in pod ${pod}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
  });
}

/** GET `url` from inside pod `pod`'s network namespace (Node's fetch); resolves the body, rejects unless 2xx. */
export function podFetch(kubelet: SimulatedKubelet, pod: string, url: string): Promise<string> {
  const script =
    "fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(String(r.status)); " +
    "process.stdout.write(await r.text()); }).catch((e) => { console.error(String(e)); process.exit(1); });";
  return inPodNetwork(kubelet, pod, [process.execPath, "-e", script, url]);
}

/** Sum of the API server's apiserver_request_total rows that match every label given. */
export async function requestCount(cluster: KubeCluster, labels: readonly string[]): Promise<number> {
  const metrics = (await cluster.getRaw("/metrics")).body;
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (line.startsWith("apiserver_request_total{") && labels.every((l) => line.includes(l))) {
      total += Number(line.split(" ").at(-1));
    }
  }
  return total;
}

/** Status PATCHes the API server has served (any client). */
export function statusPatches(cluster: KubeCluster): Promise<number> {
  return requestCount(cluster, ['subresource="status"', 'verb="PATCH"']);
}
