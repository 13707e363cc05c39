/** HTTPRoute: attach to parent listeners, resolve backends, and turn rules into IR routes. */
import type { RouteIr } from "../ir/xds-ir";
import type { HTTPRoute, ParentReference } from "../resources/gateway-api";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import type { BackendIndex } from "./backends";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { compileRules, partiallyInvalid, redirectFor, type CompiledRoute, type CompiledRules } from "./httproute-rules";
import type { GatewayState, ListenerState } from "./gateway";
import { intersectHostnames } from "./hostnames";
import { allowedListeners, routeStatus, useClusters, type ParentContext } from "./parent-refs";

/** Context shared by all routes of one translation. */
export interface RouteContext extends ParentContext {
  /** Backends. */
  readonly backends: BackendIndex;
}

/** Attaches one HTTPRoute to its parents; returns its status (or undefined when no parent is ours). */
export function processHTTPRoute(route: HTTPRoute, ctx: RouteContext): StatusUpdate | undefined {
  const compiled = compileRules(route, ctx.backends);
  return routeStatus(
    route,
    ctx,
    compiled.refProblem,
    (ref, gw) =>
      compiled.unsupported
        ? condition(
            CondType.Accepted,
            false,
            compiled.unsupported.reason ?? Reason.UnsupportedValue,
            compiled.unsupported.error,
          )
        : attach(route, ref, gw, compiled, ctx),
    partiallyInvalid(compiled),
  );
}

/** Attaches the compiled rules to the matching listeners of one parent Gateway. */
function attach(
  route: HTTPRoute,
  ref: ParentReference,
  gw: GatewayState,
  compiled: CompiledRules,
  ctx: RouteContext,
): Condition {
  const allowed = allowedListeners("HTTPRoute", namespaceOf(route.metadata), ref, gw, ctx.namespaces);
  if (!Array.isArray(allowed)) return allowed;
  let attached = 0;
  for (const l of allowed) {
    const hosts = intersectHostnames(l.listener.hostname, route.spec.hostnames ?? []);
    if (hosts.length === 0) continue;
    attached++;
    l.attached.add(`HTTPRoute/${keyOf(route.metadata)}`);
    for (const h of hosts) {
      for (const r of compiled.routes) {
        l.entries.push({
          hostname: h,
          route: routeFor(r, l),
          tie: {
            created: route.metadata.creationTimestamp ?? "",
            key: keyOf(route.metadata),
            rule: r.rule,
            match: r.match,
          },
        });
      }
    }
  }
  if (attached === 0) {
    return condition(
      CondType.Accepted,
      false,
      Reason.NoMatchingListenerHostname,
      `none of the route's hostnames (${(route.spec.hostnames ?? []).join(", ")}) match a listener hostname of Gateway ${gw.key} (${allowed.map((l) => l.listener.hostname ?? "*").join(", ")})`,
    );
  }
  useClusters(ctx, gw.key, compiled.clusters);
  return condition(CondType.Accepted, true, Reason.Accepted, "Route is accepted");
}

/** The IR route as served on one listener (a redirect's default port is the listener's). */
function routeFor(r: CompiledRoute, l: ListenerState): RouteIr {
  return r.redirect ? redirectFor(r.route, r.redirect, l.listener) : r.route;
}
