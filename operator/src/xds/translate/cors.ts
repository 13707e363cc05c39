/** CorsIr → the per-route config of Envoy's cors filter. */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../proto/any";
import type { CorsIr } from "../../ir/xds-ir";
import { CorsPolicyType } from "../types";
import { CORS_FILTER } from "./http-filters";

/** The Route's typed_per_filter_config entry for a CORS policy. */
export function corsPerFilterConfig(c: CorsIr): Record<string, Any> {
  const policy = CorsPolicyType.codec.fromPartial({
    allowOriginStringMatch: c.allowOrigins.map((o) =>
      o.type === "Exact" ? { exact: o.value } : { safeRegex: { regex: o.value } },
    ),
    allowMethods: c.allowMethods.join(","),
    allowHeaders: c.allowHeaders.join(","),
    exposeHeaders: c.exposeHeaders.join(","),
    maxAge: String(c.maxAgeSeconds),
    allowCredentials: c.allowCredentials,
    // A preflight from an origin that is not allowed is answered by Envoy (without CORS headers),
    // not passed to the backend.
    forwardNotMatchingPreflights: false,
  } as never);
  return { [CORS_FILTER]: pack(CorsPolicyType, policy) };
}
