/** The host addresses a standalone translation may bind Gateways to. */
import { networkInterfaces } from "node:os";
import type { ResourceSnapshot } from "../resources/snapshot";

/**
 * This machine's interface addresses, which a Gateway's spec.addresses may request: read only when some Gateway of
 * `snapshot` requests an address by value (reading them is a netlink round trip, on every pass otherwise); empty
 * when none does, which translates the same (translate/gateway-addresses.ts reads them only for such a request).
 */
export function localAddressesFor(snapshot: ResourceSnapshot): string[] {
  if (!snapshot.gateways.some((g) => g.spec.addresses?.some((a) => a.value))) return [];
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}
