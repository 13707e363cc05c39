/**
 * envoy.filters.http.geoip (rank 300), placement `listener`, fed by SecurityPolicy authorization geolocations
 * (RouteIr.security.authorization rules' `geo`) and the proxies' GeoIP databases (HttpListenerIr.geoIp).
 *
 * As Envoy Gateway: one Geoip on the HCM when some route of the listener matches on a geolocation field and the
 * listener has databases, with the MaxMind provider looking up only the fields the routes use and writing them
 * into internal request headers (geoip-headers.ts) that the rbac filter (rank 301) matches; no per-route config.
 * The address looked up: with X-Forwarded-For detection counting trusted hops, the `xff_config` with Envoy's
 * count (one less, as in the HCM); otherwise the stream's downstream address, which the HCM's original IP
 * detection (custom header, or X-Forwarded-For) has already set.
 *
 * The Country database (`country_db_path`, Envoy 1.37) answers country lookups when set, else the City database.
 * Differences from Envoy Gateway v1.9.1: egts still writes `geo_headers_to_add` (deprecated in Envoy 1.37, which
 * also has EG's `geo_field_keys`), and no `custom_header_config` (Envoy 1.37.0 has none).
 * No sample config: the MaxMind provider needs a database file.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Geoip } from "../../../../../proto/gen/envoy/extensions/filters/http/geoip/v3/geoip";
import type { MaxMindConfig } from "../../../../../proto/gen/envoy/extensions/geoip_providers/maxmind/v3/maxmind";
import { registerLazyType } from "../../../../../proto/any";
import type { HttpListenerIr } from "../../../ir/xds-ir";
import { GEO_HEADERS, listenerGeoFields } from "../geoip-headers";
import { type HttpFilterDef, packPartial } from "./registry";

/** Geoip, registered for Any packing. */
export const GeoipType = registerLazyType<Geoip>("envoy/extensions/filters/http/geoip/v3/geoip", "Geoip");
/** MaxMindConfig, registered for Any packing. */
export const MaxMindConfigType = registerLazyType<MaxMindConfig>(
  "envoy/extensions/geoip_providers/maxmind/v3/maxmind",
  "MaxMindConfig",
);

/** Name of Envoy's geoip filter. */
const NAME = "envoy.filters.http.geoip";

/** The geoip filter of a listener, or none (no route matches on a geolocation, or no databases). */
function geoipFilters(listener: HttpListenerIr): HttpFilter[] {
  const fields = listenerGeoFields(listener);
  const db = listener.geoIp;
  if (fields.length === 0 || !db) return [];
  const maxMind = packPartial(MaxMindConfigType, {
    cityDbPath: db.cityDbPath ?? "",
    asnDbPath: db.asnDbPath ?? "",
    anonDbPath: db.anonymousIpDbPath ?? "",
    ispDbPath: db.ispDbPath ?? "",
    countryDbPath: db.countryDbPath ?? "",
    commonProviderConfig: { geoHeadersToAdd: Object.fromEntries(fields.map((f) => [f, GEO_HEADERS[f]])) },
  });
  const hops = listener.clientTraffic?.clientIp?.xff?.numTrustedHops;
  const config = packPartial(GeoipType, {
    ...(hops !== undefined ? { xffConfig: { xffNumTrustedHops: Math.max(0, hops - 1) } } : {}),
    provider: { name: "envoy.geoip_providers.maxmind", typedConfig: maxMind },
  });
  return [{ name: NAME, typedConfig: config } as HttpFilter];
}

/** The geoip filter's registry entry. */
export const geoip: HttpFilterDef = {
  name: NAME,
  rank: 300,
  configType: GeoipType.name,
  placement: "listener",
  hcmFilters: geoipFilters,
};
