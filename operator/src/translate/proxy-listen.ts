/**
 * The EnvoyProxy settings that shape a Gateway's listeners and routes, as Envoy Gateway applies them:
 * `ipFamily` (IPv6 and DualStack listeners bind `::`, DualStack with `ipv4_compat` so IPv4 clients reach it too;
 * the Kubernetes Service asks for the matching ipFamilies, constructs/gateway-proxy.ts) and `preserveRouteOrder`
 * (rules match in the order written, not by Gateway API precedence). Pure.
 *
 * Only the default listen address changes family: `0.0.0.0` becomes `::`; standalone's loopback default
 * `127.0.0.1` becomes `::1` (IPv6), and DualStack there binds both `::1` and `127.0.0.1` (an IPv4-mapped `::1` does
 * not exist, so `ipv4_compat` cannot cover loopback). Addresses a Gateway requests in `spec.addresses` are bound as
 * requested.
 */
import type { EnvoyProxy } from "../resources/envoy-proxy";
import type { GatewayState } from "./gateway";

/** EnvoyProxy `ipFamily`. */
export type IpFamily = "IPv4" | "IPv6" | "DualStack";

/** How a Gateway's proxies listen and order routes. */
export interface ListenSettings {
  /** The IP family of the listeners. @default IPv4 */
  readonly ipFamily: IpFamily;
  /** Routes in the order written (oldest route first, then `namespace/name`, rule and match order). @default false */
  readonly preserveRouteOrder: boolean;
}

/** The listen settings of a Gateway whose proxies `spec` customises. */
export function listenSettingsOf(spec: EnvoyProxy["spec"] | undefined): ListenSettings {
  const family = spec?.ipFamily;
  return {
    ipFamily: family === "IPv6" || family === "DualStack" ? family : "IPv4",
    preserveRouteOrder: spec?.preserveRouteOrder === true,
  };
}

/** One message per setting Envoy Gateway's CRD would not admit (empty when none). */
export function listenProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const family = spec?.ipFamily;
  return family === undefined || ["IPv4", "IPv6", "DualStack"].includes(family)
    ? []
    : [`spec.ipFamily (${String(family)}) must be one of IPv4, IPv6, DualStack`];
}

const WILDCARD_V4 = "0.0.0.0";
const LOOPBACK_V4 = "127.0.0.1";

/**
 * The addresses a Gateway's listeners bind for `family`; `defaulted` says they are the default listen address (the
 * Gateway requested none), the only one that changes family.
 */
export function familyAddresses(addresses: readonly string[], defaulted: boolean, family: IpFamily): string[] {
  if (!defaulted || family === "IPv4") return [...addresses];
  return addresses.flatMap((a) => {
    if (a === WILDCARD_V4) return ["::"];
    if (a === LOOPBACK_V4) return family === "IPv6" ? ["::1"] : ["::1", LOOPBACK_V4];
    return [a];
  });
}

/** Whether listeners on `address` take IPv4 connections as IPv4-mapped ones (Envoy Gateway's DualStack `::`). */
export function ipv4CompatFor(address: string, family: IpFamily): boolean {
  return family === "DualStack" && address === "::";
}

/**
 * Records on a Gateway's state the listen settings of its EnvoyProxy `spec` and moves its default listen address to
 * their family (before any conflict check compares addresses).
 */
export function applyListenSettings(state: GatewayState, spec: EnvoyProxy["spec"] | undefined): void {
  const listen = listenSettingsOf(spec);
  if (listen.ipFamily === "IPv4" && !listen.preserveRouteOrder) return;
  state.listen = listen;
  const defaulted = (state.gateway.spec.addresses ?? []).length === 0;
  state.addresses = familyAddresses(state.addresses, defaulted, listen.ipFamily);
}

/** The fields every listener IR of a Gateway on `address` carries for its family (`ipv4Compat`). */
export function familyFields(gw: GatewayState, address: string): { ipv4Compat?: true } {
  return gw.listen && ipv4CompatFor(address, gw.listen.ipFamily) ? { ipv4Compat: true } : {};
}
