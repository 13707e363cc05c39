/**
 * envoy.filters.http.geoip (rank 300), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy authorization by client IP geolocation): one Geoip for the listener with the
 * MaxMind provider, writing the looked-up fields into internal request headers that rbac matches; no per-route
 * config. No sample config: the MaxMind provider needs a database file.
 */
import { Geoip } from "../../../../../proto/gen/envoy/extensions/filters/http/geoip/v3/geoip";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef } from "./registry";

/** Geoip, registered for Any packing. */
export const GeoipType = registerType(Geoip);

/** The geoip filter's registry entry. */
export const geoip: HttpFilterDef = {
  name: "envoy.filters.http.geoip",
  rank: 300,
  configType: GeoipType.name,
  placement: "listener",
};
