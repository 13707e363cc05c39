/**
 * The pod network of every simulated cluster: every pod gets its own Linux network
 * namespace with one veth pair to a harness-owned bridge and its own address, so pods bind the same ports
 * side by side, and nothing in a pod can reach an address the harness did not create.
 *
 * Addresses come from the benchmark-testing block 198.18.0.0/15 (RFC 2544), which no real network uses:
 *
 * | range              | what                                                                        |
 * | ------------------ | --------------------------------------------------------------------------- |
 * | 198.18.0.1         | the bridge `egts0` (the host side: kube-apiserver, kubelet logs, DNS)       |
 * | 198.18.0.0/16      | pod IPs, one per pod, from 198.18.0.2 up (freed ones are reused)            |
 * | 198.19.0.0/17      | Service ClusterIPs (kube-apiserver --service-cluster-ip-range)              |
 * | 198.19.128.0/17    | LoadBalancer ingress IPs (assigned by the simulated kube-proxy)             |
 *
 * A pod namespace has `lo`, `eth0` (its address /16) and one route, 198.18.0.0/15 via the bridge: no default
 * route. The host routes 198.18.0.0/15 to the bridge (so a Service address without a rule dies there instead
 * of leaving the machine), turns `net.ipv4.ip_forward` on (restored on stop), and owns nat chains `EGTS-*`
 * (the Service rules, see kube-proxy.ts) and one filter chain that rejects Service addresses no rule
 * translated (so an early packet leaves no conntrack entry behind). Everything is removed on stop, on exit
 * (synchronously), and at the next start if a crashed run left it (netns `egts-pod-*`, links `egtsv*`, the
 * bridge, the chains); a second live network (another process holding /run/egts-pod-network.pid) is refused.
 * br_netfilter is not needed: Service traffic is routed by the host (pods send it to the bridge address),
 * and DNAT'ed connections are masqueraded to the bridge address, so replies come back through the host.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { registerCleanup } from "./proc";

/** Names and ranges of the pod network. */
export const POD_NETWORK = {
  bridge: "egts0",
  gateway: "198.18.0.1",
  podCidr: "198.18.0.0/16",
  /** The whole block, routed to the bridge on the host and in every pod. */
  blockCidr: "198.18.0.0/15",
  serviceCidr: "198.19.0.0/17",
  loadBalancerCidr: "198.19.128.0/17",
  /** Prefix of the pods' network namespaces (`ip netns`). */
  netnsPrefix: "egts-pod-",
  /** Prefix of the host ends of the veth pairs. */
  vethPrefix: "egtsv",
  /** Prefix of the iptables chains. */
  chainPrefix: "EGTS-",
  /** nat chain of the Service rules (jumped to from PREROUTING and OUTPUT). */
  servicesChain: "EGTS-SERVICES",
  /** nat chain jumped to from POSTROUTING: masquerades marked (Service) connections. */
  postroutingChain: "EGTS-POSTROUTING",
  /** filter chain jumped to from OUTPUT and FORWARD: rejects Service addresses left untranslated. */
  filterChain: "EGTS-FILTER",
  /** The packet mark of connections to masquerade. */
  masqueradeMark: "0x40000/0x40000",
  pidFile: "/run/egts-pod-network.pid",
} as const;

/** One pod's network: its namespace, its address, the host end of its veth. */
export interface PodSandbox {
  readonly netns: string;
  readonly ip: string;
  readonly hostVeth: string;
  /** Command prefix that runs a program in the pod's network namespace. */
  readonly enter: readonly string[];
}

function sh(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("sh", ["-ec", script], { timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`pod network: ${script.split("\n")[0]}…: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

function shSync(script: string): string {
  try {
    return execFileSync("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }).toString();
  } catch (e) {
    return (e as { stdout?: Buffer }).stdout?.toString() ?? "";
  }
}

/** The last pod slot (198.18.255.254). */
const LAST_SLOT = 65534;

/** The address of pod slot `n` (2 … 65534) in 198.18.0.0/16. */
export function podIp(n: number): string {
  return `198.18.${n >> 8}.${n & 255}`;
}

/** The iptables commands that remove every `EGTS-*` chain and the jumps to them (best effort, for sh). */
function removeChainsScript(): string {
  const lines: string[] = [];
  for (const table of ["nat", "filter"]) {
    const rules = shSync(`iptables -t ${table} -S`).split("\n");
    for (const r of rules) {
      // Jumps from the built-in chains first, then our chains flushed, then deleted.
      if (/^-A (PREROUTING|OUTPUT|POSTROUTING|FORWARD|INPUT) .*-j EGTS-/.test(r)) {
        lines.push(`iptables -t ${table} ${r.replace(/^-A/, "-D")}`);
      }
    }
    const chains = rules.filter((r) => r.startsWith(`-N ${POD_NETWORK.chainPrefix}`)).map((r) => r.slice(3));
    for (const c of chains) lines.push(`iptables -t ${table} -F ${c}`);
    for (const c of chains) lines.push(`iptables -t ${table} -X ${c}`);
  }
  return lines.join("\n");
}

/** Removes everything a pod network (this one or a crashed run's) left: namespaces, links, chains. */
export function removeStalePodNetwork(): void {
  const netns = shSync("ip netns list")
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(POD_NETWORK.netnsPrefix));
  // Host ends of veth pairs whose namespace a lingering process keeps alive (`egtsv12@if2: …`).
  const veths = shSync("ip -o link show")
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(POD_NETWORK.vethPrefix));
  const script = [
    ...veths.map((v) => `ip link del ${v} 2>/dev/null`),
    ...netns.map((n) => `ip netns del ${n}`),
    `ip link del ${POD_NETWORK.bridge} 2>/dev/null`,
    `ip route del ${POD_NETWORK.blockCidr} 2>/dev/null`,
    removeChainsScript(),
  ].join("\n");
  shSync(script);
}

function ownerAlive(): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(POD_NETWORK.pidFile, "utf8").trim());
  } catch {
    return undefined;
  }
  if (!pid || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** The host's bridge, the pods' namespaces and the base iptables chains; see the module comment. */
export class PodNetwork {
  private readonly used = new Set<number>();
  /**
   * The slot after the last one given out. Addresses are handed out round-robin, not lowest-free: a new pod
   * on a just-freed address would be unreachable for seconds from pods whose neighbour (ARP) cache still
   * holds the old pod's MAC (a TCPRoute test's first connections to a fresh backend timed out that way).
   */
  private next = 2;
  private readonly pods = new Map<string, PodSandbox>();
  private destroyed = false;
  private readonly unregister: () => void;

  private constructor(private readonly ipForwardBefore: string) {
    this.unregister = registerCleanup(() => this.destroySync());
  }

  /** Cleans what a crashed run left, then creates the bridge, the routes and the base chains. */
  static async create(): Promise<PodNetwork> {
    const owner = ownerAlive();
    if (owner !== undefined) {
      throw new Error(
        `another pod network is active (pid ${owner}, ${POD_NETWORK.pidFile}): run Kubernetes-tier tests under ` +
          "`flock /tmp/egts-e2e.lock`, one cluster at a time",
      );
    }
    removeStalePodNetwork();
    writeFileSync(POD_NETWORK.pidFile, `${process.pid}\n`);
    const before = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
    const net = new PodNetwork(before);
    const { bridge, gateway, blockCidr, servicesChain: svc, postroutingChain: post, filterChain: filter } = POD_NETWORK;
    const untranslated = `${POD_NETWORK.serviceCidr.replace("/17", "/16")}`;
    try {
      await sh(
        [
          `ip link add ${bridge} type bridge`,
          `ip addr add ${gateway}/16 dev ${bridge}`,
          `ip link set ${bridge} up`,
          `ip route add ${blockCidr} dev ${bridge} src ${gateway} metric 1000`,
          "echo 1 > /proc/sys/net/ipv4/ip_forward",
          `iptables -t nat -N ${svc}`,
          `iptables -t nat -N ${post}`,
          `iptables -t nat -I PREROUTING -j ${svc}`,
          `iptables -t nat -I OUTPUT -j ${svc}`,
          `iptables -t nat -I POSTROUTING -j ${post}`,
          `iptables -t nat -A ${post} -m mark --mark ${POD_NETWORK.masqueradeMark} -j MASQUERADE`,
          `iptables -t filter -N ${filter}`,
          `iptables -t filter -I OUTPUT -j ${filter}`,
          `iptables -t filter -I FORWARD -j ${filter}`,
          `iptables -t filter -A ${filter} -d ${untranslated} -j REJECT`,
        ].join("\n"),
      );
    } catch (err) {
      net.destroySync();
      throw err;
    }
    return net;
  }

  /** Creates the network namespace of pod `key` (a pod uid), with the next free address. */
  async addPod(key: string): Promise<PodSandbox> {
    const existing = this.pods.get(key);
    if (existing) return existing;
    const n = this.freeSlot();
    this.used.add(n);
    this.next = n + 1;
    const netns = `${POD_NETWORK.netnsPrefix}${n}`;
    const hostVeth = `${POD_NETWORK.vethPrefix}${n}`;
    const ip = podIp(n);
    const sandbox: PodSandbox = { netns, ip, hostVeth, enter: ["nsenter", `--net=/run/netns/${netns}`] };
    this.pods.set(key, sandbox);
    const ns = `ip -n ${netns}`;
    try {
      await sh(
        [
          `ip netns del ${netns} 2>/dev/null || true`,
          // A process left in a deleted pod's namespace keeps it (and its veth pair) alive: free the name.
          `ip link del ${hostVeth} 2>/dev/null || true`,
          `ip netns add ${netns}`,
          `ip link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
          `ip link set ${hostVeth} master ${POD_NETWORK.bridge} up`,
          `${ns} link set lo up`,
          `${ns} addr add ${ip}/16 dev eth0`,
          `${ns} link set eth0 up`,
          `${ns} route add ${POD_NETWORK.blockCidr} via ${POD_NETWORK.gateway}`,
        ].join("\n"),
      );
    } catch (err) {
      await this.removePod(key);
      throw err;
    }
    return sandbox;
  }

  /** The first free slot from {@link next} on, wrapping around once. */
  private freeSlot(): number {
    for (let i = 0; i < LAST_SLOT - 1; i++) {
      const n = ((this.next - 2 + i) % (LAST_SLOT - 1)) + 2;
      if (!this.used.has(n)) return n;
    }
    throw new Error("pod network: no free pod address left in 198.18.0.0/16");
  }

  /** Deletes pod `key`'s namespace (its veth goes with it) and frees its address. */
  async removePod(key: string): Promise<void> {
    const s = this.pods.get(key);
    if (!s) return;
    this.pods.delete(key);
    // The veth first: a process still in the namespace would keep the namespace, its address with it.
    await sh(`ip link del ${s.hostVeth} 2>/dev/null || true\nip netns del ${s.netns} 2>/dev/null || true`);
    this.used.delete(Number(s.netns.slice(POD_NETWORK.netnsPrefix.length)));
  }

  /** The sandbox of pod `key`, if it has one. */
  sandbox(key: string): PodSandbox | undefined {
    return this.pods.get(key);
  }

  /** Removes every namespace, the bridge, the routes and the chains; restores ip_forward. */
  destroy(): Promise<void> {
    this.destroySync();
    return Promise.resolve();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unregister();
    removeStalePodNetwork();
    shSync(`echo ${this.ipForwardBefore} > /proc/sys/net/ipv4/ip_forward`);
    rmSync(POD_NETWORK.pidFile, { force: true });
  }
}
