/**
 * GRPCRoute: gRPC service/method and header matches become IR routes on HTTP and HTTPS listeners. Attaching
 * (parentRefs, allowedRoutes, hostnames), backends (ReferenceGrants, weights, per-backendRef header filters)
 * and the RequestHeaderModifier, ResponseHeaderModifier, RequestMirror and ExtensionRef (HTTPRouteFilter: URL
 * rewrite, credential injection, cookie matches, direct response; extension server objects) filters work as for
 * HTTPRoute;
 * what differs: a gRPC method is the request path `/<service>/<method>`, backends are reached over HTTP/2
 * cleartext, an invalid backend is answered with 503 (gRPC UNAVAILABLE), and rules are ordered by
 * GRPCRouteRule precedence.
 */
import type { GenericSecretIr, RouteIr, RouteMatchIr, StringMatchIr, WeightedDestinationIr } from "../ir/xds-ir";
import type {
  GRPCHeaderMatch,
  GRPCMethodMatch,
  GRPCRoute,
  GRPCRouteMatch,
  GRPCRouteRule,
} from "../resources/gateway-api";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import type { BackendIndex } from "./backends";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { compileFilters, isFilterError, type FilterError, type RuleFilters } from "./filters";
import type { ExtensionRefIndex } from "./filters/extension-refs";
import type { GatewayState } from "./gateway";
import { detachGrpcHttpConflicts, rejectConflictedParents } from "./grpc-http-conflicts";
import { useSecrets, type RouteContext } from "./httproute";
import {
  commonFields,
  destinations,
  forwardFields,
  invalidRuleRoute,
  answerOf,
  partiallyInvalid,
  refTargets,
  resolveMirrors,
  rewriteIr,
  routeCredential,
  ruleExtensionRefs,
  withCookies,
  type BackendAcc,
  type BackendScope,
} from "./httproute-rules";
import {
  allowedListeners,
  attachByHostname,
  noMatchingListenerHostname,
  routeStatus,
  useClusters,
} from "./parent-refs";
import { guarded } from "./isolation";
import { re2Problem } from "./regex";
import { stableEntries } from "./route-entry";
import { describe, headerNameProblem } from "./validate-values";

/** Filters a GRPCRoute rule or backendRef may use (the GRPCRouteFilter types). */
const GRPC_FILTERS = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"];

/** Filters a GRPCRoute backendRef may use here. */
const BACKEND_FILTERS = ["RequestHeaderModifier", "ResponseHeaderModifier"];

/** Exact service names: the CRD's pattern (dot-separated identifiers, optionally with a leading dot). */
const SERVICE_NAME = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;

/** Exact method names: the CRD's pattern. */
const METHOD_NAME = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** One IR route of a rule, with its GRPCRouteRule precedence key. */
interface CompiledGrpcRoute {
  readonly route: RouteIr;
  readonly rule: number;
  readonly match: number;
  readonly rank: readonly number[];
}

/** What translating the route's rules produced (the same for every parent). */
interface CompiledGrpcRules extends BackendAcc {
  routes: CompiledGrpcRoute[];
  /** Invalid rules, dropped (the others are served): one error each, in rule order. */
  dropped: FilterError[];
  /** Generic SDS secrets the rules' filters read (HTTPRouteFilter credentials). */
  secrets: GenericSecretIr[];
}

/** Clusters a GRPCRoute attached to a Gateway wants, registered once conflicts with HTTPRoutes are settled. */
interface PendingClusters {
  readonly gatewayKey: string;
  readonly id: string;
  readonly clusters: CompiledGrpcRules["clusters"];
  readonly secrets: CompiledGrpcRules["secrets"];
}

/**
 * Attaches every GRPCRoute (sorted by `namespace/name`) and returns their statuses (`grpc`) with the HTTPRoutes'
 * (`http`). Runs after the HTTPRoutes attached: a GRPCRoute and an HTTPRoute sharing a hostname on a listener are
 * settled here (the older keeps it), which may reject an HTTPRoute; its status is then replaced in a copy of
 * `httpStatuses` (never changed: without GRPCRoutes, `http` is that list itself).
 */
export function processGRPCRoutes(
  routes: readonly GRPCRoute[],
  ctx: RouteContext,
  httpStatuses: readonly StatusUpdate[],
): { readonly grpc: StatusUpdate[]; readonly http: readonly StatusUpdate[] } {
  const pending: PendingClusters[] = [];
  const statuses: StatusUpdate[] = [];
  for (const route of [...routes].sort((a, b) => cmp(keyOf(a.metadata), keyOf(b.metadata)))) {
    const s = guarded(ctx, route, () => processGRPCRoute(route, ctx, pending));
    if (s) statuses.push(s);
  }
  if (statuses.length === 0) return { grpc: statuses, http: httpStatuses };
  const rejections = detachGrpcHttpConflicts(ctx.gateways.values());
  const http = [...httpStatuses];
  rejectConflictedParents(http, rejections, ctx);
  rejectConflictedParents(statuses, rejections, ctx);
  // A rejected GRPCRoute must not turn a backend it shares with an HTTPRoute into an h2c cluster.
  for (const p of pending) {
    if (ctx.gateways.get(p.gatewayKey)?.listeners.some((l) => l.attached.has(p.id))) {
      useClusters(ctx, p.gatewayKey, p.clusters);
      useSecrets(ctx, p.gatewayKey, p.secrets);
    }
  }
  return { grpc: statuses, http };
}

function processGRPCRoute(route: GRPCRoute, ctx: RouteContext, pending: PendingClusters[]): StatusUpdate | undefined {
  const compile = () => compileGrpcRules(route, ctx.backends, ctx.extensions);
  const compiled = ctx.reuseCompile ? ctx.reuseCompile(route, compile) : compile();
  return routeStatus(
    route,
    ctx,
    compiled.refProblem,
    (ref, gw) => {
      const allowed = allowedListeners("GRPCRoute", namespaceOf(route.metadata), ref, gw, ctx.namespaces);
      if (compiled.unsupported) {
        // Not accepted, not counted, but its matches answer 500 (compileGrpcRules made them so).
        if (Array.isArray(allowed)) attachEntries(route, compiled, allowed, false);
        const { reason, error } = compiled.unsupported;
        return condition(CondType.Accepted, false, reason ?? Reason.UnsupportedValue, error);
      }
      return Array.isArray(allowed) ? attach(route, compiled, allowed, gw, pending) : allowed;
    },
    partiallyInvalid(compiled),
  );
}

/** Adds the compiled routes to every allowed listener whose hostname intersects the route's. */
function attach(
  route: GRPCRoute,
  compiled: CompiledGrpcRules,
  allowed: GatewayState["listeners"],
  gw: GatewayState,
  pending: PendingClusters[],
): Condition {
  const hostnames = route.spec.hostnames ?? [];
  const attached = attachEntries(route, compiled, allowed, true);
  if (attached === 0) return noMatchingListenerHostname(hostnames, gw, allowed);
  const id = `GRPCRoute/${keyOf(route.metadata)}`;
  pending.push({ gatewayKey: gw.key, id, clusters: compiled.clusters, secrets: compiled.secrets });
  return condition(CondType.Accepted, true, Reason.Accepted, "Route is accepted");
}

/** Adds the route's entries to the listeners (`counted`: in attachedRoutes); returns how many took it. */
function attachEntries(
  route: GRPCRoute,
  compiled: CompiledGrpcRules,
  allowed: GatewayState["listeners"],
  counted: boolean,
): number {
  const key = keyOf(route.metadata);
  const created = route.metadata.creationTimestamp ?? "";
  const hostnames = route.spec.hostnames ?? [];
  return attachByHostname(
    allowed,
    hostnames,
    `GRPCRoute/${key}`,
    // The same compiled rules give the same entry objects (ADR 0018); they do not depend on the listener.
    (hostname, origin) =>
      stableEntries(compiled, { hostname, origin, created, key, listener: "" }, () =>
        compiled.routes.map((r) => ({
          hostname,
          origin,
          route: r.route,
          tie: { created, key, rule: r.rule, match: r.match },
          grpc: r.rank,
        })),
      ),
    { counted },
  );
}

/**
 * Turns the route's rules into IR routes; backends become h2c clusters. An invalid rule is dropped and the
 * others are served (PartiallyInvalid, as for HTTPRoute); with no valid rule the route is not accepted.
 */
function compileGrpcRules(
  route: GRPCRoute,
  backends: BackendIndex,
  extensions: ExtensionRefIndex | undefined,
): CompiledGrpcRules {
  const acc: CompiledGrpcRules = { routes: [], clusters: [], dropped: [], secrets: [] };
  // No rules: the route still matches every gRPC request (with no backends: UNAVAILABLE).
  const rules: readonly GRPCRouteRule[] = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  const names = rules.map((r) => r.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) acc.unsupported = { error: `rule name "${dup}" is used twice; rule names must be unique` };
  const ns = namespaceOf(route.metadata);
  const scope: BackendScope = {
    ns,
    backends,
    kind: "GRPCRoute",
    filterRefs: { namespace: ns, extensions: refTargets(extensions, backends) },
  };
  rules.forEach((rule, ri) => compileRule(route, rule, ri, scope, acc));
  if (acc.dropped.length === rules.length) {
    acc.unsupported ??=
      acc.dropped.length === 1
        ? acc.dropped[0]
        : {
            reason: acc.dropped[0].reason,
            error: `every rule is invalid: ${acc.dropped.map((d) => d.error).join("; ")}`,
          };
  }
  if (acc.unsupported) {
    // An invalid route serves none of its rules: every request it matches gets the 500 of an invalid rule.
    return { ...acc, routes: acc.routes.map((r) => ({ ...r, route: invalidRuleRoute(r.route) })), clusters: [] };
  }
  return { ...acc, clusters: acc.clusters.map((c) => (c.protocol === "h2c" ? c : { ...c, protocol: "h2c" })) };
}

function compileRule(
  route: GRPCRoute,
  rule: GRPCRouteRule,
  ri: number,
  scope: BackendScope,
  acc: CompiledGrpcRules,
): void {
  const where = rule.name !== undefined ? `rule "${rule.name}"` : `rule ${ri}`;
  const matches: readonly GRPCRouteMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  const compiledMatches = matches.map((m, mi) => compileMatch(m, `${where} match ${mi}`));
  const problem = ruleProblem(rule, where) ?? compiledMatches.find(isFilterError);
  const filters =
    problem ??
    grpcExtensionProblem(compileFilters(rule.filters ?? [], { where, matches: [], ...scope.filterRefs }), where);
  const name = (mi: number): string => `grpcroute/${scope.ns}/${route.metadata.name}/rule/${ri}/match/${mi}`;
  if (isFilterError(filters)) {
    failRule(filters, compiledMatches, (mi) => ({ rule: ri, match: mi, name: name(mi) }), acc);
    return;
  }
  const direct = filters.directResponse;
  const dests = direct ? [] : destinations(rule.backendRefs ?? [], where, scope, acc);
  const mirrors = resolveMirrors(filters, scope, acc);
  const forwarding = dests.some((d) => d.cluster !== undefined);
  const { action, responseHeaders } = answerOf(direct, () => grpcForward(dests), commonFields(filters).responseHeaders);
  const extensionRefs = ruleExtensionRefs(filters, dests, acc.clusters);
  const extras = {
    ...commonFields(filters),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(forwarding ? forwardingExtras(filters, dests, mirrors, acc) : {}),
    ...(extensionRefs.length > 0 ? { extensionRefs } : {}),
  };
  // An HTTPRouteFilter's cookie matches: each gRPC match ANDed with each alternative (Envoy Gateway's cross product).
  const valid = compiledMatches.filter((m): m is CompiledMatch => !isFilterError(m));
  withCookies(valid, filters.cookieMatches).forEach(({ m, cookies }, mi) => {
    const rewrite =
      forwarding && filters.urlRewrite ? { urlRewrite: rewriteIr(filters.urlRewrite, m.match.path.value) } : {};
    acc.routes.push({
      rule: ri,
      match: mi,
      rank: m.rank,
      route: {
        name: name(mi),
        match: cookies.length > 0 ? { ...m.match, cookies } : m.match,
        action,
        ...extras,
        ...rewrite,
      },
    });
  });
}

/** Route fields of a rule that forwards: mirrors, the 503 share of invalid backends, the injected credential. */
function forwardingExtras(
  filters: RuleFilters,
  dests: WeightedDestinationIr[],
  mirrors: ReturnType<typeof resolveMirrors>,
  acc: CompiledGrpcRules,
): Partial<RouteIr> {
  const credential = routeCredential(filters.credential, undefined, acc);
  return {
    ...forwardFields(mirrors, undefined, undefined),
    ...(dests.some(invalid) ? { invalidBackendStatus: 503 as const } : {}),
    ...(credential ? { credentialInjection: credential } : {}),
  };
}

/**
 * A rule that cannot be served as written. The spec's "Drop Rule(s)": the route's valid rules are still served;
 * this rule's requests get 500 (when its matches can be built: a bad match leaves the rule out whole). An
 * ExtensionRef naming nothing is an unresolved reference instead (GEP-1364): ResolvedRefs=False, the route stays
 * Accepted, 500 all the same.
 */
function failRule(
  err: FilterError,
  matches: readonly (CompiledMatch | FilterError)[],
  at: (mi: number) => { rule: number; match: number; name: string },
  acc: CompiledGrpcRules,
): void {
  if (err.unresolved) acc.refProblem ??= { reason: err.reason ?? Reason.UnsupportedValue, message: err.error };
  else acc.dropped.push(err);
  if (matches.some(isFilterError)) return;
  (matches as CompiledMatch[]).forEach((m, mi) => {
    const { rule, match, name } = at(mi);
    acc.routes.push({ rule, match, rank: m.rank, route: invalidRuleRoute({ name, match: m.match }) });
  });
}

/** Forwarding to the destinations, or UNAVAILABLE when none is valid (the spec). */
function grpcForward(dests: WeightedDestinationIr[]): RouteIr["action"] {
  return dests.some((d) => d.cluster !== undefined)
    ? { kind: "forward", destinations: dests }
    : { kind: "direct", status: 503 };
}

/**
 * What an HTTPRouteFilter may bring to a GRPCRoute rule: everything it brings to an HTTPRoute rule (URL rewrite,
 * credential injection, cookie matches, extension server objects, as Envoy Gateway's GRPCRoute filters do), but a
 * direct response only with a non-2xx status (Envoy Gateway's rule and message).
 */
function grpcExtensionProblem(f: RuleFilters | FilterError, where: string): RuleFilters | FilterError {
  if (isFilterError(f)) return f;
  if (f.directResponse && f.directResponse.status >= 200 && f.directResponse.status < 300) {
    return {
      error:
        `${where}: ` +
        "DirectResponse with a 2xx status code is not supported for GRPCRoute: a 2xx status maps to the gRPC OK status, but a direct response cannot carry a gRPC response message, so the client would receive an invalid response. Use a non-2xx status code to deny or block the request instead",
    };
  }
  return f;
}

function invalid(d: WeightedDestinationIr): boolean {
  return d.cluster === undefined;
}

/**
 * Filter types GRPCRoute does not have, backendRef filters other than header modifiers (checked here so a
 * bad one drops the rule), and experimental fields.
 */
function ruleProblem(rule: GRPCRouteRule, where: string): FilterError | undefined {
  const other = (rule.filters ?? []).find((f) => !GRPC_FILTERS.includes(f.type));
  if (other) {
    return {
      error: `${where}: filter type ${other.type} is not a GRPCRoute filter (GRPCRoute has ${GRPC_FILTERS.join(", ")})`,
    };
  }
  for (const [bi, ref] of (rule.backendRefs ?? []).entries()) {
    const at = `${where} backendRef ${bi}`;
    const bad = (ref.filters ?? []).find((f) => !BACKEND_FILTERS.includes(f.type));
    if (bad) {
      return {
        error: `${at}: filter ${bad.type} is not supported on a backendRef (supported there: ${BACKEND_FILTERS.join(", ")}); move it to the rule`,
      };
    }
    const compiled = compileFilters(ref.filters ?? [], { where: at, matches: [] });
    if (isFilterError(compiled)) return compiled;
  }
  if (rule.sessionPersistence !== undefined) {
    return {
      error: `${where}: sessionPersistence is in Gateway API's experimental channel only and is not supported; remove it`,
    };
  }
  return undefined;
}

/** A match as an IR match plus its precedence key, or why it cannot be programmed. */
interface CompiledMatch {
  readonly match: RouteMatchIr;
  readonly rank: readonly number[];
}

/**
 * A gRPC request's path is `/<service>/<method>`. Exact service and method: that exact path; service
 * only: the prefix `/<service>/`; method only: any service (a regex); RegularExpression: one regex over
 * the path, each part as written (a missing part matches any name).
 *
 * The precedence key follows GRPCRouteRule: characters of the service, then of the method, then header
 * matches. A RegularExpression part (implementation-specific) ranks below any Exact one of the same part
 * and above none: key = [exact service chars, regex service, exact method chars, regex method, headers].
 */
function compileMatch(m: GRPCRouteMatch, where: string): CompiledMatch | FilterError {
  const headers = compileHeaders(m.headers ?? [], where);
  if (isFilterError(headers)) return headers;
  if (!m.method) {
    const path = { type: "PathPrefix", value: "/" } as const;
    return { match: { path, headers, queryParams: [] }, rank: [0, 0, 0, 0, headers.length] };
  }
  const path = methodPath(m.method, where);
  if (isFilterError(path)) return path;
  const service = m.method.service ?? "";
  const method = m.method.method ?? "";
  const rank =
    (m.method.type ?? "Exact") === "Exact"
      ? [service.length, 0, method.length, 0, headers.length]
      : [0, service ? 1 : 0, 0, method ? 1 : 0, headers.length];
  return { match: { path, headers, queryParams: [] }, rank };
}

function methodPath(mm: GRPCMethodMatch, where: string): RouteMatchIr["path"] | FilterError {
  const type = mm.type ?? "Exact";
  const service = mm.service ?? "";
  const method = mm.method ?? "";
  if (type !== "Exact" && type !== "RegularExpression") {
    return unsupported(`${where}: method match type ${type} is not supported; use Exact or RegularExpression`);
  }
  if (service === "" && method === "") {
    return unsupported(`${where}: a method match needs a service, a method or both`);
  }
  return type === "Exact" ? exactPath(service, method, where) : regexPath(service, method, where);
}

function exactPath(service: string, method: string, where: string): RouteMatchIr["path"] | FilterError {
  if (service !== "" && !SERVICE_NAME.test(service)) {
    return unsupported(`${where}: service "${service}" is not a valid gRPC service name (dot-separated identifiers)`);
  }
  if (method !== "" && !METHOD_NAME.test(method)) {
    return unsupported(`${where}: method "${method}" is not a valid gRPC method name (letters, digits and _)`);
  }
  if (service === "") return { type: "RegularExpression", value: `/[^/]+/${method}` };
  if (method === "") return { type: "PathPrefix", value: `/${service}/` };
  return { type: "Exact", value: `/${service}/${method}` };
}

/** Each part as a group of the path regex; a missing part matches any name. */
function regexPath(service: string, method: string, where: string): RouteMatchIr["path"] | FilterError {
  for (const p of [service, method]) {
    const bad = p === "" ? undefined : re2Problem(p);
    if (bad) return unsupported(`${where}: method match pattern "${p}" ${bad}`);
  }
  const part = (p: string): string => (p === "" ? "[^/]+" : `(?:${p})`);
  const value = `/${part(service)}/${part(method)}`;
  const bad = re2Problem(value);
  if (bad) return unsupported(`${where}: the method match's path pattern "${value}" ${bad}`);
  return { type: "RegularExpression", value };
}

/** Header matches: only the first of names equal ignoring case counts (the spec). */
function compileHeaders(headers: readonly GRPCHeaderMatch[], where: string): StringMatchIr[] | FilterError {
  const seen = new Set<string>();
  const out: StringMatchIr[] = [];
  for (const h of headers) {
    const key = h.name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const type = h.type ?? "Exact";
    if (type !== "Exact" && type !== "RegularExpression") {
      return unsupported(`${where}: header match type ${type} is not supported; use Exact or RegularExpression`);
    }
    const badName = describe(`${where}: header match name`, h.name, headerNameProblem(h.name));
    if (badName) return unsupported(badName);
    const bad = type === "RegularExpression" ? re2Problem(h.value) : undefined;
    if (bad) return unsupported(`${where}: header ${h.name} pattern "${h.value}" ${bad}`);
    out.push({ name: h.name, type, value: h.value });
  }
  return out;
}

function unsupported(error: string): FilterError {
  return { error, reason: Reason.UnsupportedValue };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
