/** The host addresses a standalone translation may bind Gateways to. */
import { networkInterfaces } from "node:os";
import type { ResourceSnapshot } from "../resources/snapshot";

/**
 * This machine's interface addresses, which a Gateway's spec.addresses may request: read only when some Gateway of
 * `snapshot` requests an address by value (reading them is a netlink round trip, on every pass otherwise); empty
 * when none does, which translates the same (translate/gateway-addresses.ts reads them only for such a request).
 */
export function localAddressesFor(snapshot: ResourceSnapshot): string[] {
  if (!snapshot.gateways.some(requestsAddress)) return [];
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/**
 * Whether a Gateway may request an address by value. It runs before the intake (translate/intake.ts), so a Gateway of
 * any shape can come here: one whose spec.addresses is not a list of objects gets the addresses read, and the
 * intake then reports it.
 */
function requestsAddress(gateway: unknown): boolean {
  const spec: unknown = (gateway as { spec?: unknown }).spec;
  const list: unknown = typeof spec === "object" && spec !== null ? (spec as { addresses?: unknown }).addresses : null;
  if (list === undefined || list === null) return false;
  if (!Array.isArray(list)) return true;
  return list.some((a: unknown) => typeof a !== "object" || a === null || Boolean((a as { value?: unknown }).value));
}
