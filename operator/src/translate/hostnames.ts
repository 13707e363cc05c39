/** Hostname matching between listeners and routes, following the Gateway API's wildcard rules. */

/** True when `pattern` (exact or `*.suffix`, or undefined for any) matches the concrete or wildcard `host`. */
export function hostnameMatches(pattern: string | undefined, host: string): boolean {
  if (pattern === undefined || pattern === "*") return true;
  if (!pattern.startsWith("*.")) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  if (host.startsWith("*.")) return host.endsWith(suffix) && host.length >= pattern.length;
  return host.endsWith(suffix) && host.length > suffix.length;
}

/**
 * The hostnames a route serves on a listener: the intersection of the listener's hostname and the
 * route's hostnames. `["*"]` means any host; `[]` means no overlap (the route does not attach).
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  return [...intersectHostnameOrigins(listener, route).keys()];
}

/**
 * The intersection of the listener's and the route's hostnames (as intersectHostnames), each with the route
 * hostname it comes from, the most specific one when several give it (`*` when the route has none). Routes
 * yielding the same intersected hostname are ranked by that original hostname first
 * (GatewayRouteHostnameIntersectionPrecedence): on listener `abc.example.com`, a route for `abc.example.com`
 * comes before one for `*.example.com`, whatever their ages.
 */
export function intersectHostnameOrigins(listener: string | undefined, route: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (route.length === 0) return out.set(listener ?? "*", "*");
  for (const r of route) {
    const host =
      listener === undefined || hostnameMatches(listener, r) ? r : hostnameMatches(r, listener) ? listener : "";
    const seen = out.get(host);
    if (host !== "" && (seen === undefined || compareHostSpecificity(r, seen) < 0)) out.set(host, r);
  }
  return out;
}

/** Orders hostnames most specific first: exact names, then wildcards by length, then `*`. */
export function compareHostSpecificity(a: string, b: string): number {
  return hostRank(b) - hostRank(a) || (a < b ? -1 : a > b ? 1 : 0);
}

function hostRank(h: string | undefined): number {
  if (h === undefined || h === "*") return 0;
  if (h.startsWith("*.")) return 1000 + h.length;
  return 100000 + h.length;
}

/** Rank of a listener hostname for "most specific listener wins". */
export function listenerRank(h: string | undefined): number {
  return hostRank(h);
}
