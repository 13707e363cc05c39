/**
 * Gateway spec.addresses in standalone mode: the Envoy listeners bind to the requested IP addresses when
 * this machine has them. The spec's reasons otherwise: an address type we cannot serve makes the Gateway
 * not accepted (UnsupportedAddress); an IP address we cannot bind makes it not programmed (AddressNotUsable).
 */
import { isIP } from "node:net";
import type { Gateway } from "../resources/gateway-api";
import { keyOf } from "../resources/meta";
import { Reason, type RefProblem } from "./conditions";

/** Where the Gateway's listeners can bind. */
export interface AddressContext {
  /** The default listen address (used when the Gateway requests none, or an IPAddress without a value). */
  readonly listenAddress: string;
  /**
   * The IP addresses of this machine's interfaces; loopback addresses (127.0.0.0/8, ::1) are always
   * usable. @default only listenAddress
   */
  readonly localAddresses?: readonly string[];
}

/** The addresses a Gateway binds, and why some requested address cannot be used. */
export interface GatewayAddresses {
  /** Addresses to bind and report, in spec order, without duplicates; empty when none is usable. */
  readonly addresses: readonly string[];
  /** Accepted=False: an address type we do not support. */
  readonly unsupported?: RefProblem;
  /** Programmed=False: a requested address this machine cannot bind. */
  readonly unusable?: RefProblem;
}

/** Resolves spec.addresses. */
export function resolveAddresses(gateway: Gateway, ctx: AddressContext): GatewayAddresses {
  const requested = gateway.spec.addresses ?? [];
  if (requested.length === 0) return { addresses: [ctx.listenAddress] };
  const local = new Set([...(ctx.localAddresses ?? []), ctx.listenAddress]);
  const addresses: string[] = [];
  const unusable: string[] = [];
  const badTypes: string[] = [];
  for (const a of requested) {
    const type = a.type ?? "IPAddress";
    if (type !== "IPAddress") badTypes.push(`${type} ${a.value ?? ""}`.trim());
    else if (!a.value) addresses.push(ctx.listenAddress);
    else if (isIP(a.value) !== 0 && (local.has(a.value) || isLoopback(a.value))) addresses.push(a.value);
    else unusable.push(a.value);
  }
  const gw = keyOf(gateway.metadata);
  return {
    addresses: [...new Set(addresses)],
    ...(badTypes.length > 0
      ? {
          unsupported: {
            reason: Reason.UnsupportedAddress,
            message: `Gateway ${gw} requests addresses of unsupported types (${badTypes.join(", ")}); only IPAddress is supported`,
          },
        }
      : {}),
    ...(unusable.length > 0
      ? {
          unusable: {
            reason: Reason.AddressNotUsable,
            message: `addresses ${unusable.join(", ")} of Gateway ${gw} are not IP addresses of this machine; request a local IP address or none`,
          },
        }
      : {}),
  };
}

function isLoopback(ip: string): boolean {
  return ip === "::1" || (isIP(ip) === 4 && ip.startsWith("127."));
}
