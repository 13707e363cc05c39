/**
 * HTTPRouteFilter cookie matches → route header matchers. Envoy Gateway v1.9 writes `RouteMatch.cookies`
 * (Envoy's CookieMatcher, Envoy ≥ 1.37); Envoy 1.36 has no such field, so each cookie condition becomes an RE2
 * match on the `cookie` request header: `name=value` as a whole cookie, first or after a `;` (cookie pairs) or a
 * `,` (Envoy joins repeated `cookie` headers with `,` before matching).
 *
 * Differences from CookieMatcher: a RegularExpression value is matched against the rest of the header from the
 * cookie's value on, up to a `;`, `,` or the end, so a pattern that itself matches `;` or `,` can run into the
 * next cookie; a cookie named twice matches when any of its values does.
 */
import type { HeaderMatcher } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { CookieMatchIr } from "../../ir/xds-ir";
import { escapeRegex } from "./route-filters";

/** The header matcher standing for one cookie condition. */
export function cookieHeaderMatcher(c: CookieMatchIr): HeaderMatcher {
  const value = c.type === "Exact" ? escapeRegex(c.value) : `(?:${c.value})`;
  // Envoy's safe_regex matches the whole header value.
  const regex = `^(?:.*[;,]\\s*)?${escapeRegex(c.name)}=${value}\\s*(?:[;,].*)?$`;
  return { name: "cookie", stringMatch: { safeRegex: { regex } } } as HeaderMatcher;
}
