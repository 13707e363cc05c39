/** SessionPersistenceIr → the per-route config of Envoy's stateful session filter. */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../proto/any";
import type { SessionPersistenceIr } from "../../ir/xds-ir";
import { CookieSessionStateType, HeaderSessionStateType, StatefulSessionPerRouteType } from "../types";
import { STATEFUL_SESSION_FILTER } from "./http-filters";

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
