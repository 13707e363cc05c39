/**
 * Kubernetes mode's part of Gateway status: `addresses` from the proxies' Service (LoadBalancer ingress,
 * else ClusterIP) and Programmed only once the proxies have an available replica and an address. Pure.
 */
import type { Service } from "../resources/core";
import type { Condition } from "../resources/meta";
import type { StatusUpdate } from "../translate/conditions";

/** What the controller observed of one Gateway's proxies. */
export interface ProxyObservation {
  /** The proxies' Service, if it exists. */
  readonly service?: Service & {
    readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly { ip?: string; hostname?: string }[] } };
  };
  /** Available replicas of the Deployment (or available pods of the DaemonSet). */
  readonly availableReplicas: number;
  /** `namespace/name` of the workload, for messages. */
  readonly workload: string;
}

/** A Gateway status address. */
export interface GatewayStatusAddress {
  readonly type: "IPAddress" | "Hostname";
  readonly value: string;
}

/** The addresses a Service offers: LoadBalancer ingress first, else its ClusterIP(s). */
export function serviceAddresses(service: ProxyObservation["service"]): GatewayStatusAddress[] {
  if (!service) return [];
  const ingress = service.status?.loadBalancer?.ingress ?? [];
  const lb = ingress.flatMap((i): GatewayStatusAddress[] =>
    i.ip ? [{ type: "IPAddress", value: i.ip }] : i.hostname ? [{ type: "Hostname", value: i.hostname }] : [],
  );
  if (lb.length > 0) return lb;
  const spec = service.spec as { clusterIP?: string; clusterIPs?: readonly string[] };
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return ips.filter((ip) => ip && ip !== "None").map((value) => ({ type: "IPAddress" as const, value }));
}

interface GatewayStatusBody {
  readonly conditions?: readonly Condition[];
  readonly addresses?: readonly unknown[];
  readonly [key: string]: unknown;
}

/** Replaces the Programmed condition (keeping the others). */
function setProgrammed(
  conditions: readonly Condition[],
  c: Omit<Condition, "type" | "observedGeneration">,
): Condition[] {
  return conditions.map((old) => (old.type === "Programmed" ? { ...old, ...c } : old));
}

/**
 * Gateway statuses with Kubernetes-mode addresses and Programmed. `observe` returns the observation for a
 * Gateway (`namespace`, `name`), or undefined when the Gateway runs no proxies (not accepted).
 */
export function withInfraStatus(
  statuses: readonly StatusUpdate[],
  observe: (namespace: string, name: string) => ProxyObservation | undefined,
): StatusUpdate[] {
  return statuses.map((u) => {
    if (u.kind !== "Gateway") return u;
    const status = u.status as GatewayStatusBody;
    const conditions = status.conditions ?? [];
    const programmed = conditions.find((c) => c.type === "Programmed");
    const seen = observe(u.namespace ?? "", u.name);
    if (!programmed || programmed.status !== "True" || !seen) return { ...u, status: { ...status, addresses: [] } };
    const addresses = serviceAddresses(seen.service);
    let next = conditions;
    if (seen.availableReplicas < 1) {
      next = setProgrammed(conditions, {
        status: "False",
        reason: "Pending",
        message: `waiting for the Envoy workload ${seen.workload} to have an available replica`,
      });
    } else if (addresses.length === 0) {
      next = setProgrammed(conditions, {
        status: "False",
        reason: "AddressNotAssigned",
        message: `the Service of ${seen.workload} has no address yet`,
      });
    }
    return { ...u, status: { ...status, conditions: next, addresses } };
  });
}
