/** HttpListenerIr → Envoy RouteConfiguration (virtual hosts and routes in precedence order). */
import { RouteConfiguration } from "../../../../proto/gen/envoy/config/route/v3/route";
import {
  RouteAction_ClusterNotFoundResponseCode,
  type HeaderMatcher,
  type QueryParameterMatcher,
  type Route,
  type RouteMatch,
} from "../../../../proto/gen/envoy/config/route/v3/route_components";
import {
  HeaderValueOption_HeaderAppendAction,
  type HeaderValueOption,
} from "../../../../proto/gen/envoy/config/core/v3/base";
import type { HeaderModIr, HttpListenerIr, RouteIr, RouteMatchIr, StringMatchIr } from "../../ir/xds-ir";

/**
 * Name of a cluster that never exists: a weighted share pointing at it is answered with 500, which is what
 * the Gateway API requires for the share of an invalid backendRef.
 */
export const INVALID_BACKEND_CLUSTER = "egts-invalid-backend-ref";

/** Builds the RouteConfiguration named after the listener. */
export function buildRouteConfiguration(listener: HttpListenerIr): RouteConfiguration {
  return RouteConfiguration.fromPartial({
    name: listener.name,
    ignorePortInHostMatching: true,
    virtualHosts: listener.virtualHosts.map((vh) => ({
      name: vh.name,
      domains: [...vh.domains],
      routes: vh.routes.map(buildRoute),
    })),
  });
}

function buildRoute(ir: RouteIr): Route {
  const route: Partial<Route> = { name: ir.name, match: buildMatch(ir.match) };
  if (ir.action.kind === "direct") {
    route.directResponse = {
      status: ir.action.status,
      ...(ir.action.body ? { body: { inlineString: ir.action.body } } : {}),
    } as Route["directResponse"];
  } else {
    const dests = ir.action.destinations;
    const invalid = dests.some((d) => d.cluster === undefined);
    const common = invalid
      ? { clusterNotFoundResponseCode: RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR }
      : {};
    route.route = (
      dests.length === 1
        ? { cluster: dests[0].cluster ?? INVALID_BACKEND_CLUSTER, ...common }
        : {
            weightedClusters: {
              clusters: dests.map((d) => ({ name: d.cluster ?? INVALID_BACKEND_CLUSTER, weight: d.weight })),
            },
            ...common,
          }
    ) as Route["route"];
  }
  if (ir.requestHeaders) {
    route.requestHeadersToAdd = headerOptions(ir.requestHeaders);
    route.requestHeadersToRemove = [...ir.requestHeaders.remove];
  }
  if (ir.responseHeaders) {
    route.responseHeadersToAdd = headerOptions(ir.responseHeaders);
    route.responseHeadersToRemove = [...ir.responseHeaders.remove];
  }
  return route as Route;
}

function buildMatch(m: RouteMatchIr): RouteMatch {
  const match: Partial<RouteMatch> = {};
  const p = m.path;
  if (p.type === "Exact") match.path = p.value;
  else if (p.type === "RegularExpression") match.safeRegex = { regex: p.value } as RouteMatch["safeRegex"];
  else {
    // Gateway API prefixes match whole path segments, and a trailing slash is ignored.
    const trimmed = p.value.replace(/\/+$/, "");
    if (trimmed === "") match.prefix = "/";
    else match.pathSeparatedPrefix = trimmed;
  }
  const headers: HeaderMatcher[] = m.headers.map(headerMatcher);
  if (m.method) headers.push(headerMatcher({ name: ":method", type: "Exact", value: m.method }));
  match.headers = headers;
  match.queryParameters = m.queryParams.map(
    (q): QueryParameterMatcher => ({ name: q.name, stringMatch: stringMatcher(q) }) as QueryParameterMatcher,
  );
  return match as RouteMatch;
}

function headerMatcher(h: StringMatchIr): HeaderMatcher {
  return { name: h.name, stringMatch: stringMatcher(h) } as HeaderMatcher;
}

function stringMatcher(s: StringMatchIr): NonNullable<HeaderMatcher["stringMatch"]> {
  return (s.type === "Exact" ? { exact: s.value } : { safeRegex: { regex: s.value } }) as NonNullable<
    HeaderMatcher["stringMatch"]
  >;
}

function headerOptions(mod: HeaderModIr): HeaderValueOption[] {
  return [
    ...mod.set.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
    })),
    ...mod.add.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
    })),
  ] as HeaderValueOption[];
}
