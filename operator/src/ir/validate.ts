/** Checks an xDS IR before it is published; a failure is a translator bug, reported, never sent to Envoy. */
import type { GatewayXdsIr } from "./xds-ir";

/** Returns the problems found in an IR (empty when it is valid). */
export function validateXdsIr(ir: GatewayXdsIr): string[] {
  const problems: string[] = [];
  const clusters = new Set<string>();
  for (const c of ir.clusters) {
    if (clusters.has(c.name)) problems.push(`duplicate cluster ${c.name}`);
    clusters.add(c.name);
    for (const e of c.endpoints) {
      if (!(e.port > 0 && e.port < 65536)) problems.push(`cluster ${c.name}: port ${e.port} out of range`);
    }
  }
  const ports = new Set<number>();
  for (const l of ir.http) {
    if (ports.has(l.port)) problems.push(`two listeners on port ${l.port}`);
    ports.add(l.port);
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) {
        if (r.action.kind !== "forward") continue;
        for (const d of r.action.destinations) {
          if (d.cluster !== undefined && !clusters.has(d.cluster)) {
            problems.push(`route ${r.name} refers to unknown cluster ${d.cluster}`);
          }
          if (!(d.weight > 0)) problems.push(`route ${r.name}: weight ${d.weight} must be > 0`);
        }
      }
    }
  }
  return problems;
}
