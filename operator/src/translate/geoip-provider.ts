/**
 * EnvoyProxy `spec.geoIP`: the MaxMind databases the proxies look client addresses up in, carried onto every HTTP
 * listener of the proxies the EnvoyProxy customises (the geoip filter, xds/translate/filters/geoip.ts, is added
 * where a SecurityPolicy's authorization asks for geolocations). Envoy Gateway's CRD rules (type MaxMind needs
 * `maxMind`, at least one database, `.mmdb` paths) are checked here too, as EnvoyProxies from files are not
 * schema-checked: a violation refuses the EnvoyProxy (reported by envoy-proxy.ts `envoyProxyProblem`).
 */
import type { GatewayXdsIr, GeoIpProviderIr } from "../ir/xds-ir";
import type { EnvoyProxy, GeoIPDBSource, GeoIPMaxMind } from "../resources/envoy-proxy";

const FIELD = "spec.geoIP.provider";

/** The database fields of `maxMind` and their IR names, in Envoy Gateway's order. */
const DATABASES: readonly (readonly [keyof GeoIPMaxMind, keyof GeoIpProviderIr])[] = [
  ["cityDbSource", "cityDbPath"],
  ["countryDbSource", "countryDbPath"],
  ["asnDbSource", "asnDbPath"],
  ["ispDbSource", "ispDbPath"],
  ["anonymousIpDbSource", "anonymousIpDbPath"],
];

/** Why `spec.geoIP` cannot be used, one message per problem (empty: it can, or it is unset). */
export function geoIpProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const geo = spec?.geoIP;
  if (geo === undefined || geo === null) return [];
  const provider = (geo as { provider?: { type?: unknown; maxMind?: GeoIPMaxMind } }).provider;
  if (!provider) return [`${FIELD}: required`];
  if (provider.type !== "MaxMind") return [`${FIELD}.type: ${JSON.stringify(provider.type ?? null)} is not MaxMind`];
  const m = provider.maxMind;
  if (!m) return [`${FIELD}: maxMind must be set when type is MaxMind`];
  const set = DATABASES.filter(([f]) => m[f] !== undefined);
  if (set.length === 0) return [`${FIELD}.maxMind: at least one MaxMind database source must be specified`];
  return set.flatMap(([f]) => {
    const path = (m[f] as GeoIPDBSource | undefined)?.local?.path;
    return typeof path === "string" && /^.*\.mmdb$/.test(path)
      ? []
      : [`${FIELD}.maxMind.${f}.local.path: ${JSON.stringify(path ?? null)} must end with .mmdb`];
  });
}

/** The databases of a valid `spec.geoIP` (undefined when unset or refused). */
export function geoIpProviderFor(spec: EnvoyProxy["spec"] | undefined): GeoIpProviderIr | undefined {
  const m = spec?.geoIP?.provider.maxMind;
  if (!m || geoIpProblems(spec).length > 0) return undefined;
  const out: Record<string, string> = {};
  for (const [f, ir] of DATABASES) {
    const path = m[f]?.local.path;
    if (path !== undefined) out[ir] = path;
  }
  return out as GeoIpProviderIr;
}

/** The node's IR with `geoIp` on each HTTP listener (none: the listeners are left as they are). */
export function withGeoIp(ir: GatewayXdsIr, geoIp: GeoIpProviderIr | undefined): GatewayXdsIr {
  return geoIp ? { ...ir, http: ir.http.map((l) => ({ ...l, geoIp })) } : ir;
}
