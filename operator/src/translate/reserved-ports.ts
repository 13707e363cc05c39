/**
 * Ports a Gateway listener cannot have because the proxy itself binds them (in Kubernetes: Envoy's admin on
 * 19000, the stats listener on 19001, the readiness listener on 19003, all TCP). Envoy would fail to bind
 * such a listener and reject the whole listener update, so it is refused here, with a status, instead.
 */
import type { GatewayState } from "./gateway";
import { listenerReady } from "./gateway";
import { Reason } from "./conditions";

/** Protocols whose listeners bind TCP (UDP listeners do not clash with the proxy's TCP ports). */
const TCP_PROTOCOLS = new Set(["HTTP", "HTTPS", "TLS", "TCP"]);

/**
 * Marks the listeners on a reserved port Accepted=False PortUnavailable (and not programmed), naming what
 * uses the port. `reserved` maps a port to what binds it, e.g. `19001 → "the proxy's stats listener"`.
 */
export function markReservedPorts(gateways: Iterable<GatewayState>, reserved: ReadonlyMap<number, string>): void {
  if (reserved.size === 0) return;
  for (const gw of gateways)
    for (const l of gw.listeners) {
      const user = reserved.get(l.listener.port);
      if (user === undefined || !TCP_PROTOCOLS.has(l.listener.protocol) || !listenerReady(l)) continue;
      const message = `port ${l.listener.port} is reserved for ${user} in every Envoy proxy pod; use another port`;
      l.accepted = { reason: Reason.PortUnavailable, message };
      l.unprogrammable = { reason: Reason.Invalid, message };
    }
}
