/**
 * The per-listener prerequisites of SecurityPolicy authorization `clientIPGeoLocations`, as Envoy Gateway checks
 * them (and with its messages): the listener's ClientTrafficPolicy sets a `clientIPDetection` mode and no
 * X-Forwarded-For trusted CIDRs, the proxies' EnvoyProxy has a GeoIP provider, and that provider has the
 * database each geolocation field is looked up in. A route whose policy fails them answers 500 (fail closed) and
 * the policy is Accepted=False with the message.
 * A country condition needs the Country or the City database (Envoy 1.37's MaxMind provider reads the country
 * from `country_db_path` when set, else from the City database).
 */
import type { AuthorizationIr, GeoLocationIr } from "../../ir/security-ir";
import type { GeoIpProviderIr } from "../../ir/xds-ir";
import type { ClientIpIr } from "../../ir/client-traffic-http-ir";

/** Envoy Gateway's message prefix. */
const GEO = "authorization clientIPGeoLocations";
/** The EnvoyProxy field of the MaxMind databases. */
const MAXMIND = "EnvoyProxy.spec.geoIP.provider.maxMind";

/** The geolocation fields some rule of `authz` uses. */
function usedFields(authz: AuthorizationIr): Set<keyof GeoLocationIr> {
  const out = new Set<keyof GeoLocationIr>();
  for (const r of authz.rules) {
    for (const g of r.geo ?? []) for (const k of Object.keys(g)) out.add(k as keyof GeoLocationIr);
  }
  return out;
}

/** Whether some rule of `authz` has geolocation conditions. */
export function usesGeoLocations(authz: AuthorizationIr | undefined): boolean {
  return (authz?.rules ?? []).some((r) => (r.geo ?? []).length > 0);
}

/**
 * Why the client IP detection cannot feed the geoip filter (Envoy Gateway's messages), or undefined. A policy
 * setting more or less than one mode never gets here: egts refuses it (its routes answer 500).
 */
function detectionProblem(detection: ClientIpIr | undefined): string | undefined {
  if (!detection) return `${GEO} requires ClientTrafficPolicy.spec.clientIPDetection to be configured`;
  if (detection.xff?.trustedCidrs !== undefined)
    return `${GEO} does not support ClientIPDetection.XForwardedFor.TrustedCIDRs`;
  return undefined;
}

/** Why a database the used fields need is missing (Envoy Gateway's order and messages), or undefined. */
function databaseProblem(used: ReadonlySet<keyof GeoLocationIr>, p: GeoIpProviderIr): string | undefined {
  if (used.has("country") && p.cityDbPath === undefined && p.countryDbPath === undefined) {
    return `${GEO}.country requires ${MAXMIND}.countryDbSource or cityDbSource`;
  }
  const needs: readonly (readonly [keyof GeoLocationIr, keyof GeoIpProviderIr, string])[] = [
    ["region", "cityDbPath", "cityDbSource"],
    ["city", "cityDbPath", "cityDbSource"],
    ["asn", "asnDbPath", "asnDbSource"],
    ["isp", "ispDbPath", "ispDbSource"],
    ["anonymous", "anonymousIpDbPath", "anonymousIpDbSource"],
  ];
  const missing = needs.find(([field, path]) => used.has(field) && p[path] === undefined);
  return missing ? `${GEO}.${missing[0]} requires ${MAXMIND}.${missing[2]}` : undefined;
}

/**
 * Why `authz` cannot be served on a listener (without the `Authorization: ` prefix), or undefined when it has no
 * geolocation condition or every prerequisite holds. `detection`: the client IP detection of the listener's
 * ClientTrafficPolicy; `provider`: the GeoIP databases of its proxies.
 */
export function geoPrerequisiteProblem(
  authz: AuthorizationIr,
  detection: ClientIpIr | undefined,
  provider: GeoIpProviderIr | undefined,
): string | undefined {
  if (!usesGeoLocations(authz)) return undefined;
  const bad = detectionProblem(detection);
  if (bad) return bad;
  if (!provider) return `${GEO} requires EnvoyProxy.spec.geoIP.provider to be configured`;
  return databaseProblem(usedFields(authz), provider);
}
