/** Where a host-run proxy's Prometheus stats listener is bound, read from its admin interface. */
import { STATS_LISTENER } from "../bootstrap";

/** The `host:port` the stats listener of the Envoy whose admin is at `adminUrl` is bound to; undefined: not yet. */
export async function statsListenerAddress(adminUrl: string): Promise<string | undefined> {
  const res = await fetch(`${adminUrl}/listeners?format=json`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) return undefined;
  const body = (await res.json()) as {
    listener_statuses?: {
      name?: string;
      local_address?: { socket_address?: { address?: string; port_value?: number } };
    }[];
  };
  const s = body.listener_statuses?.find((l) => l.name === STATS_LISTENER)?.local_address?.socket_address;
  return s?.port_value ? `${s.address ?? "127.0.0.1"}:${s.port_value}` : undefined;
}
