/**
 * The internal request headers the geoip filter writes its lookup into and the RBAC matcher reads (Envoy Gateway's
 * names), and which of them a listener's routes need. Envoy 1.36.4's geoip filter can only write request headers
 * (`geo_headers_to_add`; `geo_field_keys` came with 1.37).
 *
 * The geoip filter overwrites a header only when its lookup finds the field: for an address in no database a
 * header the client sent itself would reach the RBAC matcher (measured: `x-eg-internal-geoip-country: DE` from an
 * unknown address passed a country rule). egts removes them as the request arrives (an early header mutation on
 * the HTTP connection manager, {@link geoEarlyMutations}), before any filter runs; Envoy Gateway v1.9.1 does not.
 */
import { pack } from "../../../../proto/any";
import type { AuthorizationIr } from "../../ir/security-ir";
import type { HttpListenerIr } from "../../ir/xds-ir";
import { EarlyHeaderMutationType } from "../extension-types";

/** Header of each geolocation field (GeolocationHeadersToAdd field → header name). */
export const GEO_HEADERS = {
  country: "x-eg-internal-geoip-country",
  region: "x-eg-internal-geoip-region",
  city: "x-eg-internal-geoip-city",
  asn: "x-eg-internal-geoip-asn",
  isp: "x-eg-internal-geoip-isp",
  anon: "x-eg-internal-geoip-anon",
  anonVpn: "x-eg-internal-geoip-anon-vpn",
  anonHosting: "x-eg-internal-geoip-anon-hosting",
  anonTor: "x-eg-internal-geoip-anon-tor",
  anonProxy: "x-eg-internal-geoip-anon-proxy",
} as const;

/** A geolocation field the geoip filter can write. */
export type GeoField = keyof typeof GEO_HEADERS;

/** The anonymity flags of the IR and the fields they are written in. */
const ANON_FIELDS = {
  isAnonymous: "anon",
  isVPN: "anonVpn",
  isHosting: "anonHosting",
  isTor: "anonTor",
  isProxy: "anonProxy",
} as const;

/** The fields some rule of `authz` matches on. */
function fieldsOf(authz: AuthorizationIr | undefined, out: Set<GeoField>): void {
  for (const r of authz?.rules ?? []) {
    for (const g of r.geo ?? []) {
      for (const k of ["country", "region", "city", "asn", "isp"] as const) if (g[k] !== undefined) out.add(k);
      for (const [flag, field] of Object.entries(ANON_FIELDS)) {
        if (g.anonymous?.[flag as keyof typeof ANON_FIELDS] !== undefined) out.add(field);
      }
    }
  }
}

/** listenerGeoFields per listener object (every route of a listener asks). */
const fieldsByListener = new WeakMap<HttpListenerIr, readonly GeoField[]>();

/** The fields the listener's routes match on, in GEO_HEADERS order (empty: no geoip filter). */
export function listenerGeoFields(listener: HttpListenerIr): readonly GeoField[] {
  const known = fieldsByListener.get(listener);
  if (known) return known;
  const used = new Set<GeoField>();
  for (const v of listener.virtualHosts) for (const r of v.routes) fieldsOf(r.security?.authorization, used);
  const out = (Object.keys(GEO_HEADERS) as GeoField[]).filter((f) => used.has(f));
  fieldsByListener.set(listener, out);
  return out;
}

/**
 * The geolocation headers every route of the listener removes before the request goes upstream (Envoy Gateway
 * does the same): those its geoip filter writes. Empty when it has none.
 */
export function geoHeadersToRemove(listener: HttpListenerIr): string[] {
  return listener.geoIp ? listenerGeoFields(listener).map((f) => GEO_HEADERS[f]) : [];
}

/**
 * The HTTP connection manager's early header mutation removing the geolocation headers its geoip filter writes
 * (none when it has no geoip filter), so that no client can set them.
 */
export function geoEarlyMutations(listener: HttpListenerIr): unknown[] {
  const names = geoHeadersToRemove(listener);
  if (names.length === 0) return [];
  const config = EarlyHeaderMutationType.codec.fromPartial({ mutations: names.map((remove) => ({ remove })) } as never);
  return [
    { name: "envoy.http.early_header_mutation.header_mutation", typedConfig: pack(EarlyHeaderMutationType, config) },
  ];
}
