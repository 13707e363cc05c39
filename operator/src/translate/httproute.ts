/** HTTPRoute: attach to parent listeners, resolve backends, and turn rules into IR routes. */
import type { GenericSecretIr, RouteIr } from "../ir/xds-ir";
import type { GRPCRoute, HTTPRoute, ParentReference } from "../resources/gateway-api";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import type { BackendIndex } from "./backends";
import type { ExtensionRefIndex } from "./filters/extension-refs";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { compileRules, partiallyInvalid, redirectFor, type CompiledRoute, type CompiledRules } from "./httproute-rules";
import type { GatewayState, ListenerState } from "./gateway";
import {
  allowedListeners,
  attachByHostname,
  noMatchingListenerHostname,
  routeStatus,
  useClusters,
  type AttachSink,
  type ParentContext,
} from "./parent-refs";
import { stableEntries, type RouteEntry } from "./route-entry";

/** Context shared by all routes of one translation. */
export interface RouteContext extends ParentContext {
  /** Backends. */
  readonly backends: BackendIndex;
  /** What ExtensionRef filters refer to (HTTPRouteFilters, their ConfigMaps and Secrets). */
  readonly extensions: ExtensionRefIndex;
  /** Generic SDS secrets the routes' filters read, per Gateway key (filled in). */
  readonly secretsByGateway: Map<string, Map<string, GenericSecretIr>>;
  /** Compiles a route's rules (a memo of compileRules, compile-memo.ts). @default compileRules */
  readonly compile?: (route: HTTPRoute) => CompiledRules;
  /**
   * Runs a GRPCRoute's compile, `compile()`, or reuses its last result for the same route object (compile-memo.ts).
   * @default runs it
   */
  readonly reuseCompile?: <C>(route: GRPCRoute, compile: () => C) => C;
  /** Where an HTTPRoute's attachments go (route-table.ts records them per route). @default the listeners */
  readonly sink?: AttachSink;
}

/** Attaches one HTTPRoute to its parents; returns its status (or undefined when no parent is ours). */
export function processHTTPRoute(route: HTTPRoute, ctx: RouteContext): StatusUpdate | undefined {
  const compiled = ctx.compile ? ctx.compile(route) : compileRules(route, ctx.backends, ctx.extensions);
  return routeStatus(
    route,
    ctx,
    compiled.refProblem,
    (ref, gw) => {
      // An invalid route is attached too, its matches answering 500 (compileRules made them so), so its
      // requests never reach another route's backend; it is Accepted=False and not counted on listeners.
      const attached = attach(route, ref, gw, compiled, ctx);
      const problem = compiled.unsupported;
      return problem
        ? condition(CondType.Accepted, false, problem.reason ?? Reason.UnsupportedValue, problem.error)
        : attached;
    },
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
  const key = keyOf(route.metadata);
  const created = route.metadata.creationTimestamp ?? "";
  const tie = (r: CompiledRoute): RouteEntry["tie"] => ({ created, key, rule: r.rule, match: r.match });
  const hostnames = route.spec.hostnames ?? [];
  // The same compiled rules attached the same way give the same entry objects (ADR 0018); every redirect's
  // IR route depends on the listener's protocol and port (routeFor), so they are part of the key then.
  const perListener = compiled.routes.some((r) => r.redirect);
  const attached = attachByHostname(
    allowed,
    hostnames,
    `HTTPRoute/${key}`,
    (hostname, origin, l) =>
      stableEntries(
        compiled,
        { hostname, origin, created, key, listener: perListener ? `${l.listener.protocol} ${l.listener.port}` : "" },
        () => compiled.routes.map((r) => ({ hostname, origin, route: routeFor(r, l), tie: tie(r) })),
      ),
    // attachedRoutes counts only Accepted routes
    { counted: compiled.unsupported === undefined, ...(ctx.sink ? { into: ctx.sink } : {}) },
  );
  if (attached === 0) return noMatchingListenerHostname(hostnames, gw, allowed);
  useClusters(ctx, gw.key, compiled.clusters);
  useSecrets(ctx, gw.key, compiled.secrets);
  return condition(CondType.Accepted, true, Reason.Accepted, "Route is accepted");
}

/** Records the generic secrets a Gateway's routes read. */
export function useSecrets(ctx: RouteContext, gatewayKey: string, secrets: readonly GenericSecretIr[]): void {
  if (secrets.length === 0) return;
  const map = ctx.secretsByGateway.get(gatewayKey) ?? new Map<string, GenericSecretIr>();
  for (const s of secrets) map.set(s.name, s);
  ctx.secretsByGateway.set(gatewayKey, map);
}

/**
 * A redirect's IR route per listener protocol and port, kept while its compiled route is (the same object from
 * pass to pass, so its virtual host can be reused: ADR 0013).
 */
const redirects = new WeakMap<CompiledRoute, Map<string, RouteIr>>();

/** The IR route as served on one listener (a redirect's default port is the listener's). */
function routeFor(r: CompiledRoute, l: ListenerState): RouteIr {
  if (!r.redirect) return r.route;
  const byListener = redirects.get(r) ?? new Map<string, RouteIr>();
  redirects.set(r, byListener);
  const key = `${l.listener.protocol} ${l.listener.port}`; // all redirectFor reads of the listener
  const known = byListener.get(key);
  if (known) return known;
  const route = redirectFor(r.route, r.redirect, l.listener);
  byListener.set(key, route);
  return route;
}
