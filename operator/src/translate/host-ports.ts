/**
 * Standalone mode runs every Gateway's Envoy on this one host. Envoy binds its listeners with SO_REUSEPORT,
 * so two Envoys on the same address and port would both start and the kernel would split connections
 * between them at random. A port one Gateway's proxy holds is therefore a conflict for every other proxy:
 * the younger Gateway's listener is Accepted=False PortUnavailable (and not programmed, so its Envoy does
 * not bind the port), with a message naming the Gateway that holds it. Pure.
 */
import { Reason } from "./conditions";
import { gatewayAccepted, listenerReady, type GatewayState, type ListenerState } from "./gateway";

/** A port held by a listener of an older Gateway. */
interface Hold {
  readonly gw: GatewayState;
  readonly l: ListenerState;
  /** The proxy serving it: Gateways of a merged class share one. */
  readonly proxy: string;
}

/** Addresses that cover every address of their family when bound. */
const WILDCARDS = new Set(["0.0.0.0", "::"]);

/**
 * Marks the listeners whose port (on an overlapping address) an older Gateway served by another proxy
 * already holds. Age is the creation time, then `namespace/name` (files have no creation time: there the
 * Gateway first by namespace and name keeps the port). `merged` holds the GatewayClasses whose Gateways
 * share one proxy (conflicts among those are markMergedConflicts's). Nothing to do unless `sharedHost`.
 */
export function markHostPortConflicts(
  gateways: Iterable<GatewayState>,
  merged: ReadonlySet<string>,
  sharedHost: boolean,
): void {
  if (!sharedHost) return; // Kubernetes: each Gateway's proxies have pods, and ports, of their own
  const held: Hold[] = [];
  for (const gw of [...gateways].sort(byAge)) {
    if (gw.notAccepted || gw.addresses.length === 0) continue; // serves nothing, holds no port
    const proxy = merged.has(gw.gateway.spec.gatewayClassName) ? `class ${gw.gateway.spec.gatewayClassName}` : gw.key;
    const mine: Hold[] = [];
    for (const l of gw.listeners) {
      if (!listenerReady(l)) continue;
      const holder = held.find((h) => h.proxy !== proxy && samePort(h, gw, l));
      if (holder === undefined) {
        mine.push({ gw, l, proxy });
        continue;
      }
      const message =
        `port ${l.listener.port} on ${gw.addresses.join(", ")} is already used by ${holder.l.listener.protocol} ` +
        `listener ${holder.l.listener.name} of Gateway ${holder.gw.key}, whose Envoy runs on this host too ` +
        "(the older Gateway keeps the port); use another port or address";
      l.accepted = { reason: Reason.PortUnavailable, message };
      l.unprogrammable = { reason: Reason.Invalid, message };
    }
    if (gatewayAccepted(gw)) held.push(...mine);
  }
}

/** Whether `l` of `gw` would bind the same port as the held listener: same port space, overlapping addresses. */
function samePort(h: Hold, gw: GatewayState, l: ListenerState): boolean {
  if (h.l.listener.port !== l.listener.port || isUdp(h.l) !== isUdp(l)) return false;
  return gw.addresses.some((a) => h.gw.addresses.some((b) => a === b || WILDCARDS.has(a) || WILDCARDS.has(b)));
}

function isUdp(l: ListenerState): boolean {
  return l.listener.protocol === "UDP";
}

function byAge(a: GatewayState, b: GatewayState): number {
  const ta = a.gateway.metadata.creationTimestamp ?? "";
  const tb = b.gateway.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
