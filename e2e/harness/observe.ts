/** Small shared observations of the Kubernetes tier: the host's address and the API server's request counters. */
import { networkInterfaces } from "node:os";
import type { KubeCluster } from "./cluster";

/**
 * A non-loopback IPv4 address of this host: the API server refuses loopback pod IPs and EndpointSlice
 * addresses, so pods "run" and backends listen there.
 */
export function hostAddress(): string {
  const ip = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .find((i) => i.family === "IPv4" && !i.internal)?.address;
  if (!ip) throw new Error("the Kubernetes tier needs a non-loopback IPv4 address on this host");
  return ip;
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
