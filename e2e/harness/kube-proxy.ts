/**
 * A simulated kube-proxy and cloud load-balancer controller for the pod network (pod-network.ts):
 * every second it lists Services and EndpointSlices, renders the nat rules that send a Service address and
 * port to the ready endpoints ({@link serviceRules}, a pure function), and loads them with one
 * `iptables-restore --noflush` when they changed. What is simulated:
 * - ClusterIP:port and every LoadBalancer ingress IP:port (TCP and UDP) → one ready endpoint, chosen at random
 *   per connection (iptables `statistic`), at the endpoint port the EndpointSlice controller resolved from
 *   the Service's targetPort (number or name); the connection is masqueraded to the bridge address, so pod →
 *   Service → same pod (hairpin) and host → Service work without br_netfilter;
 * - a Service address with no ready endpoint is rejected (the filter chain of pod-network.ts);
 * - LoadBalancer Services get `status.loadBalancer.ingress[0].ip` from 198.19.128.0/17 (the cloud provider's
 *   part), kept for the Service's lifetime;
 * - the names `<svc>.<ns>.svc.cluster.local` resolve to ClusterIPs (cluster-dns.ts reads {@link names}).
 * Not simulated: NodePorts, externalIPs, session affinity, traffic policies, topology, headless Services'
 * names (no ClusterIP, no rule), conntrack flushing of UDP flows when endpoints change (no `conntrack` tool).
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import type { KubeCluster } from "./cluster";
import { POD_NETWORK } from "./pod-network";

/** The parts of a Service the proxy reads. */
export interface ProxiedService {
  metadata: { name: string; namespace: string };
  spec: {
    type?: string;
    clusterIP?: string;
    ports?: { name?: string; protocol?: string; port: number }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** The parts of an EndpointSlice the proxy reads. */
export interface ProxiedSlice {
  metadata: { namespace: string; labels?: Record<string, string> };
  addressType?: string;
  ports?: { name?: string; protocol?: string; port?: number }[] | null;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] | null;
}

/** A Service port's destination: its frontends (ClusterIP and LoadBalancer IPs) and its ready endpoints. */
interface Target {
  readonly chain: string;
  readonly protocol: string;
  readonly port: number;
  readonly frontends: readonly string[];
  readonly endpoints: readonly string[];
}

function chainName(namespace: string, name: string, port: string, protocol: string): string {
  const hash = createHash("sha256").update(`${namespace}/${name}/${port}/${protocol}`).digest("hex");
  return `${POD_NETWORK.chainPrefix}SVC-${hash.slice(0, 16).toUpperCase()}`;
}

/** Ready `ip:port` endpoints of one Service port, from its EndpointSlices, sorted. */
function readyEndpoints(slices: readonly ProxiedSlice[], portName: string, protocol: string): string[] {
  const out = new Set<string>();
  for (const s of slices) {
    if (s.addressType !== undefined && s.addressType !== "IPv4") continue;
    const p = (s.ports ?? []).find((x) => (x.name ?? "") === portName && (x.protocol ?? "TCP") === protocol);
    if (!p?.port) continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses) out.add(`${a}:${p.port}`);
    }
  }
  return [...out].sort();
}

/** The targets of one Service's TCP and UDP ports (none for a headless Service). */
function serviceTargets(svc: ProxiedService, own: readonly ProxiedSlice[]): Target[] {
  const ip = svc.spec.clusterIP;
  if (!ip || ip === "None") return [];
  const lb = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
  const out: Target[] = [];
  for (const p of svc.spec.ports ?? []) {
    const protocol = p.protocol ?? "TCP";
    if (protocol !== "TCP" && protocol !== "UDP") continue;
    out.push({
      chain: chainName(svc.metadata.namespace, svc.metadata.name, p.name ?? String(p.port), protocol),
      protocol: protocol.toLowerCase(),
      port: p.port,
      frontends: [ip, ...lb],
      endpoints: readyEndpoints(own, p.name ?? "", protocol),
    });
  }
  return out;
}

function targets(services: readonly ProxiedService[], slices: readonly ProxiedSlice[]): Target[] {
  const bySvc = new Map<string, ProxiedSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.["kubernetes.io/service-name"];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    bySvc.set(key, [...(bySvc.get(key) ?? []), s]);
  }
  return services
    .flatMap((svc) => serviceTargets(svc, bySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? []))
    .sort((a, b) => a.chain.localeCompare(b.chain));
}

/**
 * The `iptables-restore --noflush` input (nat table) for these Services and EndpointSlices: the Services chain
 * rewritten whole, one chain per Service port with endpoints (mark for masquerade, then DNAT to one endpoint
 * with equal probability), and `-X` for the chains of `previous` no longer needed. Pure.
 */
export function serviceRules(
  services: readonly ProxiedService[],
  slices: readonly ProxiedSlice[],
  previous: readonly string[] = [],
): { readonly rules: string; readonly chains: readonly string[] } {
  const all = targets(services, slices).filter((t) => t.endpoints.length > 0);
  const chains = all.map((t) => t.chain);
  const lines = ["*nat", `:${POD_NETWORK.servicesChain} - [0:0]`, ...chains.map((c) => `:${c} - [0:0]`)];
  for (const t of all) {
    for (const f of t.frontends) {
      lines.push(
        `-A ${POD_NETWORK.servicesChain} -d ${f}/32 -p ${t.protocol} -m ${t.protocol} --dport ${t.port} -j ${t.chain}`,
      );
    }
    lines.push(`-A ${t.chain} -j MARK --set-xmark ${POD_NETWORK.masqueradeMark}`);
    t.endpoints.forEach((e, i) => {
      const left = t.endpoints.length - i;
      const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : "";
      lines.push(`-A ${t.chain} -p ${t.protocol} ${pick}-j DNAT --to-destination ${e}`);
    });
  }
  const gone = previous.filter((c) => !chains.includes(c));
  for (const c of gone) lines.push(`:${c} - [0:0]`);
  for (const c of gone) lines.push(`-X ${c}`);
  lines.push("COMMIT", "");
  return { rules: lines.join("\n"), chains };
}

/** The next LoadBalancer IP of 198.19.128.0/17 not in `used`. */
function nextLoadBalancerIp(used: ReadonlySet<string>): string {
  for (let n = 1; n < 32767; n++) {
    const ip = `198.19.${128 + (n >> 8)}.${n & 255}`;
    if ((n & 255) !== 0 && (n & 255) !== 255 && !used.has(ip)) return ip;
  }
  throw new Error("kube-proxy: no LoadBalancer address left in 198.19.128.0/17");
}

function iptablesRestore(rules: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("iptables-restore", ["--noflush"], { timeout: 30_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`iptables-restore: ${stderr.trim() || err.message}\n${rules}`)) : resolve(),
    );
    child.stdin?.end(rules);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How often Services and EndpointSlices are read. */
export const PROXY_SYNC_MS = 1000;

/** The simulated kube-proxy; see the module comment. */
export class SimulatedKubeProxy {
  private stopped = false;
  private loop?: Promise<void>;
  private chains: readonly string[] = [];
  private applied = "";
  private nameTable = new Map<string, string>();
  /** Rule loads so far, and the duration (ms) of the last one (list + render + iptables-restore). */
  readonly stats = { syncs: 0, loads: 0, lastLoadMs: 0, lastError: "" };

  constructor(private readonly cluster: KubeCluster) {}

  /** `<svc>.<ns>.svc.cluster.local` → ClusterIP, as of the last sync. */
  names(): ReadonlyMap<string, string> {
    return this.nameTable;
  }

  /** Starts syncing every {@link PROXY_SYNC_MS}. */
  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.sync();
          this.stats.lastError = "";
        } catch (err) {
          this.stats.lastError = String(err);
        }
        await sleep(PROXY_SYNC_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** One pass: LoadBalancer addresses, names, rules. Resolves true when new rules were loaded. */
  async sync(): Promise<boolean> {
    const began = Date.now();
    const services = (await this.cluster.apiJson<{ items: ProxiedService[] }>("GET", "/api/v1/services")).items;
    const slices = (
      await this.cluster.apiJson<{ items: ProxiedSlice[] }>("GET", "/apis/discovery.k8s.io/v1/endpointslices")
    ).items;
    await this.assignLoadBalancers(services);
    this.nameTable = new Map(
      services
        .filter((s) => s.spec.clusterIP && s.spec.clusterIP !== "None")
        .map((s) => [`${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`, s.spec.clusterIP ?? ""]),
    );
    this.stats.syncs++;
    const { rules, chains } = serviceRules(services, slices, this.chains);
    if (rules === this.applied) return false;
    await iptablesRestore(rules);
    this.applied = serviceRules(services, slices, chains).rules;
    this.chains = chains;
    this.stats.loads++;
    this.stats.lastLoadMs = Date.now() - began;
    return true;
  }

  /** Gives each LoadBalancer Service without an ingress IP the next free one (mutates `services` to match). */
  private async assignLoadBalancers(services: ProxiedService[]): Promise<void> {
    const used = new Set(services.flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "")));
    for (const s of services) {
      if (s.spec.type !== "LoadBalancer" || (s.status?.loadBalancer?.ingress ?? []).length > 0) continue;
      const ip = nextLoadBalancerIp(used);
      used.add(ip);
      const status = { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } };
      await this.cluster.apiJson(
        "PATCH",
        `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`,
        { status },
        "application/merge-patch+json",
      );
      s.status = status;
    }
  }
}
