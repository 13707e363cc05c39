/**
 * envoy.filters.http.stateful_session (rank 11): session persistence. Placement `shared`: an empty
 * StatefulSession on every HTTP connection manager (it does nothing without a session_state) and the session
 * per route (StatefulSessionPerRoute). Envoy Gateway instead puts one configured filter per route on the HCM,
 * disabled, and enables it per route; the per-route message gives the same behaviour with one filter.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../../proto/any";
import type { SessionPersistenceIr } from "../../../ir/xds-ir";
import {
  CookieSessionStateType,
  HeaderSessionStateType,
  StatefulSessionPerRouteType,
  StatefulSessionType,
} from "../../types";
import { packPartial, type HttpFilterDef } from "./registry";

/** Name of Envoy's stateful session filter (session persistence; per-route config only). */
export const STATEFUL_SESSION_FILTER = "envoy.filters.http.stateful_session";

/**
 * The Route's typed_per_filter_config entry for a session. Envoy puts the chosen endpoint's address in
 * a cookie (with Max-Age only for a permanent cookie) or a response header, and prefers that endpoint
 * when a request brings it back; when it is gone, the load balancer picks another (not strict).
 */
export function sessionPerFilterConfig(s: SessionPersistenceIr): Record<string, Any> {
  const sessionState =
    s.type === "Cookie"
      ? {
          name: "envoy.http.stateful_session.cookie",
          typedConfig: pack(
            CookieSessionStateType,
            CookieSessionStateType.codec.fromPartial({
              cookie: {
                name: s.name,
                path: s.path,
                ...(s.ttlSeconds !== undefined ? { ttl: { seconds: s.ttlSeconds, nanos: 0 } } : {}),
              },
            } as never),
          ),
        }
      : {
          name: "envoy.http.stateful_session.header",
          typedConfig: pack(
            HeaderSessionStateType,
            HeaderSessionStateType.codec.fromPartial({ name: s.name } as never),
          ),
        };
  const perRoute = StatefulSessionPerRouteType.codec.fromPartial({
    statefulSession: { sessionState, strict: false },
  } as never);
  return { [STATEFUL_SESSION_FILTER]: pack(StatefulSessionPerRouteType, perRoute) };
}

/** The stateful session filter's registry entry. */
export const statefulSession: HttpFilterDef = {
  name: STATEFUL_SESSION_FILTER,
  rank: 11,
  configType: StatefulSessionType.name,
  perRouteType: StatefulSessionPerRouteType.name,
  placement: "shared",
  hcmFilters: () => [
    { name: STATEFUL_SESSION_FILTER, typedConfig: packPartial(StatefulSessionType, {}) } as HttpFilter,
  ],
  perRouteConfig: (r) => (r.sessionPersistence ? sessionPerFilterConfig(r.sessionPersistence) : undefined),
  sampleConfig: () => packPartial(StatefulSessionType, {}),
};
