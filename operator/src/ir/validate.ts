/** Checks an xDS IR before it is published; a failure is a translator bug, reported, never sent to Envoy. */
import type { ClusterIr, GatewayXdsIr, RouteIr, WeightedDestinationIr } from "./xds-ir";

/** Returns the problems found in an IR (empty when it is valid). */
export function validateXdsIr(ir: GatewayXdsIr): string[] {
  const problems: string[] = [];
  const clusters = new Set<string>();
  for (const c of ir.clusters) {
    if (clusters.has(c.name)) problems.push(`duplicate cluster ${c.name}`);
    clusters.add(c.name);
    problems.push(...clusterProblems(c));
  }
  const ports = new Set<number>();
  for (const l of ir.http) {
    if (ports.has(l.port)) problems.push(`two listeners on port ${l.port}`);
    ports.add(l.port);
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) problems.push(...routeProblems(r, clusters));
    }
  }
  problems.push(...l4Problems(ir, clusters, ports));
  return problems;
}

/** One HTTP route: known clusters, positive weights, named sessions. */
function routeProblems(r: RouteIr, clusters: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const m of r.mirrors ?? []) {
    if (!clusters.has(m.cluster)) problems.push(`route ${r.name} mirrors to unknown cluster ${m.cluster}`);
  }
  // Envoy rejects a stateful session without a cookie or header name (the whole RouteConfiguration).
  if (r.sessionPersistence && r.sessionPersistence.name === "") {
    problems.push(`route ${r.name}: session persistence needs a ${r.sessionPersistence.type.toLowerCase()} name`);
  }
  if (r.action.kind !== "forward") return problems;
  for (const d of r.action.destinations) {
    if (d.cluster !== undefined && !clusters.has(d.cluster)) {
      problems.push(`route ${r.name} refers to unknown cluster ${d.cluster}`);
    }
    if (!(d.weight > 0)) problems.push(`route ${r.name}: weight ${d.weight} must be > 0`);
  }
  return problems;
}

/** TCP/UDP listeners: free ports, known clusters, and certificates that exist. */
function l4Problems(ir: GatewayXdsIr, clusters: ReadonlySet<string>, tcpPorts: Set<number>): string[] {
  const problems: string[] = [];
  const secrets = new Set((ir.secrets ?? []).map((s) => s.name));
  const udpPorts = new Set<number>();
  const checkDests = (owner: string, dests: readonly WeightedDestinationIr[]): void => {
    for (const d of dests) {
      if (d.cluster !== undefined && !clusters.has(d.cluster))
        problems.push(`${owner} refers to unknown cluster ${d.cluster}`);
    }
  };
  const tlsChains = [...ir.http.flatMap((l) => l.tls ?? []), ...(ir.tcp ?? []).flatMap((l) => l.chains)];
  for (const c of tlsChains) {
    for (const name of c.tls?.certificates ?? []) if (!secrets.has(name)) problems.push(`unknown secret ${name}`);
  }
  for (const l of ir.tcp ?? []) {
    if (tcpPorts.has(l.port)) problems.push(`two listeners on port ${l.port}`);
    tcpPorts.add(l.port);
    for (const c of l.chains) checkDests(`chain ${c.name}`, c.destinations);
  }
  for (const l of ir.udp ?? []) {
    if (udpPorts.has(l.port)) problems.push(`two UDP listeners on port ${l.port}`);
    udpPorts.add(l.port);
    checkDests(`UDP listener ${l.name}`, l.destinations);
  }
  return problems;
}

function clusterProblems(c: ClusterIr): string[] {
  const problems: string[] = [];
  for (const e of c.endpoints) {
    if (!(e.port > 0 && e.port < 65536)) problems.push(`cluster ${c.name}: port ${e.port} out of range`);
  }
  if (c.tls && (c.tls.sni === "" || c.tls.subjectAltNames.length === 0)) {
    problems.push(`cluster ${c.name}: TLS needs an SNI and at least one subject alt name`);
  }
  return problems;
}
