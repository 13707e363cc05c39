/**
 * The callback and logout paths of SecurityPolicy OIDC. Envoy's oauth2 filter acts on its redirect path (the
 * provider's callback) and logout path only on routes it is turned on for, and each policy has its own filter
 * instance (its own cookies). A request for those paths that a virtual host routes elsewhere (a route without the
 * policy, or under another policy: `/oauth2/callback` matched by a `/` route of another policy) would never finish
 * the login or the logout. So, per virtual host, for each such path a single policy there uses, when the route a
 * plain GET of the path picks does not carry that policy's filter, an exact-path route carrying it (a copy of the
 * policy's first route there) is put first; the filter answers those requests itself, nothing reaches the backend.
 * A path two policies of one virtual host both use cannot be told apart and is left as routed; so is a redirect
 * URL naming a host the virtual host does not serve (another virtual host's, or another listener's).
 */
import type { OidcIr } from "../../ir/security-ir";
import type { RouteIr } from "../../ir/xds-ir";

/** Redirect URLs whose host is the request's own (Envoy Gateway's default is one). */
const SAME_HOST = /^(%REQ\(x-forwarded-proto\)%|https?):\/\/%REQ\(:authority\)%\//;

/** The routes of one virtual host (serving `domains`) with the OIDC callback and logout routes they need put first. */
export function withOidcPathRoutes(routes: readonly RouteIr[], domains: readonly string[]): readonly RouteIr[] {
  const wanted = new Map<string, { oidc: Set<string>; carrier: RouteIr; what: string }>();
  for (const r of routes) {
    const o = r.security?.oidc;
    if (!o) continue;
    for (const [path, what] of pathsOf(o, domains)) {
      const w = wanted.get(path) ?? { oidc: new Set<string>(), carrier: r, what };
      w.oidc.add(o.name);
      wanted.set(path, w);
    }
  }
  const added: RouteIr[] = [];
  for (const [path, w] of wanted) {
    if (w.oidc.size !== 1) continue;
    const picked = routes.find((r) => plainGetMatches(r, path));
    if (picked?.security?.oidc?.name === w.carrier.security?.oidc?.name) continue;
    added.push({
      ...w.carrier,
      name: `${w.carrier.name}/oidc-${w.what}`,
      match: { path: { type: "Exact", value: path }, headers: [], queryParams: [] },
    });
  }
  return added.length === 0 ? routes : [...added, ...routes];
}

/** The paths the filter of `o` answers on a virtual host serving `domains`. */
function pathsOf(o: OidcIr, domains: readonly string[]): [string, string][] {
  const callback = SAME_HOST.test(o.redirectUri) || servesRedirectHost(o.redirectUri, domains);
  return [...(callback ? [[o.redirectPath, "callback"] as [string, string]] : []), [o.logoutPath, "logout"]];
}

/** Whether the host of a literal redirect URL is one of `domains` (exactly, or under a `*.` wildcard). */
function servesRedirectHost(url: string, domains: readonly string[]): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return domains.some((d) => d === host || d === "*" || (d.startsWith("*.") && host.endsWith(d.slice(1))));
}

/**
 * Whether a GET of `path` without headers or query parameters would match `r` (a regular expression is taken to
 * match: the route may pick it, so it is not trusted to carry the filter unless it is the policy's).
 */
function plainGetMatches(r: RouteIr, path: string): boolean {
  const m = r.match;
  if (m.headers.length > 0 || m.queryParams.length > 0 || (m.method !== undefined && m.method !== "GET")) return false;
  const v = m.path.value;
  switch (m.path.type) {
    case "Exact":
      return path === v;
    case "PathPrefix":
      return v === "/" || path === v || path.startsWith(v.endsWith("/") ? v : `${v}/`);
    case "RegularExpression":
      return true;
  }
}
