/** HTTPRoute rules → IR routes (independent of the parents they attach to). */
import type {
  ClusterIr,
  HeaderModIr,
  MirrorIr,
  PathModifierIr,
  RedirectIr,
  RetryIr,
  RouteIr,
  RouteMatchIr,
  SessionPersistenceIr,
  TimeoutsIr,
  UrlRewriteIr,
  WeightedDestinationIr,
} from "../ir/xds-ir";
import type { BackendRef, HTTPRoute, HTTPRouteMatch, HTTPRouteRule, Listener } from "../resources/gateway-api";
import { namespaceOf } from "../resources/meta";
import { isProblem, type BackendIndex, type RouteKind } from "./backends";
import { CondType, Reason, type RefProblem } from "./conditions";
import { compileFilters, isFilterError, type FilterError, type RuleFilters } from "./filters";
import type { PathTemplate, RedirectTemplate } from "./filters/types";
import { compileRetry } from "./rule-retry";
import { compileSessionPersistence } from "./rule-session";
import { compileTimeouts } from "./rule-timeouts";
import { matchRegexProblem } from "./regex";
import { matchValueProblem } from "./validate-values";

/** A URLRewrite before the matched prefix is known. */
type UrlRewriteTemplate = NonNullable<RuleFilters["urlRewrite"]>;

/** One IR route of a rule, with what is settled only when it is attached to a listener. */
export interface CompiledRoute {
  /** The IR route (for a redirect, with the port still to settle). */
  readonly route: RouteIr;
  /** Rule index. */
  readonly rule: number;
  /** Match index. */
  readonly match: number;
  /** The redirect, whose default port is the listener's. */
  readonly redirect?: RedirectTemplate;
}

/** What translating the route's rules produced (the same for every parent). */
export interface CompiledRules {
  /** One IR route per (rule, match). */
  readonly routes: CompiledRoute[];
  /** Clusters the rules use (backends and mirrors). */
  readonly clusters: ClusterIr[];
  /** First unresolved reference, if any. */
  readonly refProblem?: RefProblem;
  /** A problem that makes the whole route unacceptable; also set when every rule was dropped. */
  readonly unsupported?: FilterError;
  /**
   * Invalid rules, not served as written (the others are): one error each, in rule order. Their matches
   * stay in the routes, answered with 500, so their requests never fall through to another route.
   */
  readonly dropped: readonly FilterError[];
}

/** What resolving a rule's backends accumulates: the clusters used and the first problems. */
export interface BackendAcc {
  clusters: ClusterIr[];
  refProblem?: RefProblem;
  unsupported?: FilterError;
}

/** Where backendRefs are resolved from: the route's namespace and kind (the `from` of ReferenceGrants). */
export interface BackendScope {
  /** The route's namespace. */
  readonly ns: string;
  /** Backends. */
  readonly backends: BackendIndex;
  /** The route's kind. */
  readonly kind: RouteKind;
}

/** Mutable accumulator while compiling. */
interface Acc extends BackendAcc {
  routes: CompiledRoute[];
  dropped: FilterError[];
}

/** Turns the route's rules into IR routes. */
export function compileRules(route: HTTPRoute, backends: BackendIndex): CompiledRules {
  const acc: Acc = { routes: [], clusters: [], dropped: [] };
  // The CRD defaults rules to one rule matching PathPrefix "/" (with no backends: 500).
  const rules: readonly HTTPRouteRule[] = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  const names = rules.map((r) => r.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) acc.unsupported = { error: `rule name "${dup}" is used twice; rule names must be unique` };
  rules.forEach((rule, ri) => compileRule(route, rule, ri, backends, acc));
  if (acc.dropped.length === rules.length) acc.unsupported ??= everyRuleDropped(acc.dropped);
  if (acc.unsupported) {
    // An invalid route serves none of its rules: every request it matches gets the 500 of an invalid rule.
    acc.routes = acc.routes.map((r) => ({ rule: r.rule, match: r.match, route: invalidRuleRoute(r.route) }));
    acc.clusters = [];
  }
  return acc;
}

/**
 * The route of an invalid rule's match: the spec forbids skipping a filter that cannot be applied
 * ("requests that would have been processed by that filter MUST receive a HTTP error response"), so the
 * match stays and is answered with 500 instead of falling through to a less specific route.
 */
export function invalidRuleRoute(route: Pick<RouteIr, "name" | "match">): RouteIr {
  return { name: route.name, match: route.match, action: { kind: "direct", status: 500 } };
}

/** With no valid rule left the route is not accepted, for the first rule's reason. */
function everyRuleDropped(dropped: readonly FilterError[]): FilterError {
  if (dropped.length === 1) return dropped[0];
  return { reason: dropped[0].reason, error: `every rule is invalid: ${dropped.map((d) => d.error).join("; ")}` };
}

/**
 * The spec's PartiallyInvalid condition (approach "Drop Rule(s)"): set only when some rules were dropped
 * and others are served; its message starts with "Dropped Rule" and names the rules and the fix.
 */
export function partiallyInvalid(
  compiled: CompiledRules,
): { type: string; reason: string; message: string } | undefined {
  if (compiled.unsupported || compiled.dropped.length === 0) return undefined;
  const many = compiled.dropped.length > 1;
  return {
    type: CondType.PartiallyInvalid,
    reason: Reason.UnsupportedValue,
    message:
      `Dropped Rule${many ? "s" : ""}: ${compiled.dropped.map((d) => d.error).join("; ")}. ` +
      `Fix or remove ${many ? "these rules" : "this rule"}; requests ${many ? "they match" : "it matches"} get 500, ` +
      "the route's other rules are served",
  };
}

function compileRule(route: HTTPRoute, rule: HTTPRouteRule, ri: number, backends: BackendIndex, acc: Acc): void {
  const ns = namespaceOf(route.metadata);
  const where = rule.name !== undefined ? `rule "${rule.name}"` : `rule ${ri}`;
  const matches: readonly HTTPRouteMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  const ruleKey = `${ns}/${route.metadata.name}/${rule.name ?? ri}`;
  const routeName = (mi: number): string => `httproute/${ns}/${route.metadata.name}/rule/${ri}/match/${mi}`;
  const badMatch = matchProblem(matches, where);
  if (badMatch) {
    acc.dropped.push(badMatch); // no Envoy match can be built: the rule is left out whole
    return;
  }
  const compiled = compileRuleOptions(rule, where, matches, ruleKey);
  if (isFilterError(compiled)) {
    // The spec's "Drop Rule(s)": the route's valid rules are still served; this rule's requests get 500.
    acc.dropped.push(compiled);
    matches.forEach((m, mi) => {
      acc.routes.push({
        rule: ri,
        match: mi,
        route: invalidRuleRoute({ name: routeName(mi), match: compileMatch(m) }),
      });
    });
    return;
  }
  const { filters, timeouts, retry, session } = compiled;
  const scope: BackendScope = { ns, backends, kind: "HTTPRoute" };
  const split = backendRewrites(destinations(rule.backendRefs ?? [], where, scope, acc), compiled.backendRewrites);
  const dests = split.dests;
  const mirrors = resolveMirrors(filters, scope, acc);
  const base = commonFields(filters);
  const forwarding = !filters.redirect && dests.some((d) => d.cluster !== undefined);
  const forwardOnly = forwarding
    ? { ...forwardFields(mirrors, timeouts, retry), ...(session ? { sessionPersistence: session } : {}) }
    : {};
  const action = actionFor(dests); // shared by the rule's matches
  const rewrite = mergeRewrites(filters.urlRewrite, split.routeRewrite);
  matches.forEach((m, mi) => {
    const match = compileMatch(m);
    const prefix = match.path.value;
    acc.routes.push({
      rule: ri,
      match: mi,
      ...(filters.redirect ? { redirect: filters.redirect } : {}),
      route: {
        name: routeName(mi),
        match,
        action: filters.redirect ? redirectAction(filters.redirect, prefix) : action,
        ...base,
        ...(forwarding && rewrite ? { urlRewrite: rewriteIr(rewrite, prefix) } : {}),
        ...forwardOnly,
      },
    });
  });
}

/** A rule's settings, checked before anything is resolved (an invalid rule is dropped whole). */
interface RuleOptions {
  filters: RuleFilters;
  timeouts?: TimeoutsIr;
  retry?: RetryIr;
  session?: SessionPersistenceIr;
  /** URLRewrite of each backendRef that gets traffic (weight > 0), in order; undefined where none. */
  backendRewrites: (UrlRewriteTemplate | undefined)[];
}

/** A match Envoy cannot be given (a regex RE2 rejects, a value Envoy refuses), if any. */
function matchProblem(matches: readonly HTTPRouteMatch[], where: string): FilterError | undefined {
  const bad = matchRegexProblem(matches, where) ?? matchValueProblem(matches, where);
  return bad ? { error: bad, reason: Reason.UnsupportedValue } : undefined;
}

/** The rule's filters, timeouts, retry and session persistence, or the first problem with them. */
function compileRuleOptions(
  rule: HTTPRouteRule,
  where: string,
  matches: readonly HTTPRouteMatch[],
  ruleKey: string,
): RuleOptions | FilterError {
  const filters = compileFilters(rule.filters ?? [], { where, matches });
  if (isFilterError(filters)) return filters;
  const problem = ruleProblem(rule, filters, where);
  if (problem) return problem;
  const timeouts = compileTimeouts(rule.timeouts, where);
  if (typeof timeouts === "string") return { error: timeouts };
  const retry = compileRetry(rule.retry, where);
  if (typeof retry === "string") return { error: retry };
  const session = compileSessionPersistence(rule.sessionPersistence, where, ruleKey);
  if (typeof session === "string") return { error: session };
  const backendRewrites = checkBackendFilters(rule.backendRefs ?? [], where, matches);
  if (isFilterError(backendRewrites)) return backendRewrites;
  return { filters, timeouts, retry, session, backendRewrites };
}

/**
 * Checks every backendRef's filters (so a bad one drops the rule before anything is resolved) and
 * returns the URLRewrite of each backendRef that gets traffic. Envoy can rewrite the Host per weighted
 * backend but not the path, so a path change on a backendRef needs it to be the only one with traffic.
 */
function checkBackendFilters(
  refs: readonly BackendRef[],
  where: string,
  matches: readonly HTTPRouteMatch[],
): (UrlRewriteTemplate | undefined)[] | FilterError {
  const rewrites: (UrlRewriteTemplate | undefined)[] = [];
  for (const [bi, ref] of refs.entries()) {
    const mods = backendFilters(ref, `${where} backendRef ${bi}`, "HTTPRoute", matches);
    if (isFilterError(mods)) return mods;
    if ((ref.weight ?? 1) > 0) rewrites.push(mods.urlRewrite);
  }
  if (rewrites.length > 1 && rewrites.some((r) => r?.path)) {
    return {
      error: `${where}: a URLRewrite path change on a backendRef needs that backendRef to be the rule's only one with traffic (Envoy cannot change the path per weighted backend); move the path change to the rule's filters`,
    };
  }
  return rewrites;
}

/**
 * Applies the backendRefs' URLRewrites: with one destination it becomes the route's rewrite; with
 * several, each destination gets its Host rewrite (paths were checked by checkBackendFilters).
 */
function backendRewrites(
  dests: WeightedDestinationIr[],
  rewrites: readonly (UrlRewriteTemplate | undefined)[],
): { dests: WeightedDestinationIr[]; routeRewrite?: UrlRewriteTemplate } {
  if (dests.length === 1) return { dests, ...(rewrites[0] ? { routeRewrite: rewrites[0] } : {}) };
  return {
    dests: dests.map((d, i) => {
      const host = rewrites[i]?.hostname;
      return host !== undefined && d.cluster !== undefined ? { ...d, hostRewrite: host } : d;
    }),
  };
}

/** The rule's URLRewrite with a backendRef's on top (the backendRef's fields win). */
function mergeRewrites(
  rule: UrlRewriteTemplate | undefined,
  backend: UrlRewriteTemplate | undefined,
): UrlRewriteTemplate | undefined {
  if (!rule || !backend) return rule ?? backend;
  return { ...rule, ...backend };
}

/** Route fields other than name, match and action. */
export type RouteExtras = Omit<RouteIr, "name" | "match" | "action">;

/** Fields every route of the rule carries, whatever its action. */
export function commonFields(filters: RuleFilters): RouteExtras {
  return {
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
    ...(filters.cors ? { cors: filters.cors } : {}),
  };
}

/** Fields that only mean something when the route forwards to a backend. */
export function forwardFields(
  mirrors: MirrorIr[],
  timeouts: TimeoutsIr | undefined,
  retry: RetryIr | undefined,
): RouteExtras {
  return {
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(timeouts ? { timeouts } : {}),
    ...(retry ? { retry } : {}),
  };
}

/** Rule-level combinations the spec forbids, and features we do not implement. */
function ruleProblem(rule: HTTPRouteRule, filters: RuleFilters, where: string): FilterError | undefined {
  if (filters.redirect && (rule.backendRefs ?? []).length > 0) {
    return { error: `${where}: RequestRedirect cannot be used together with backendRefs; remove the backendRefs` };
  }
  return undefined;
}

/** Resolves the backendRefs into weighted destinations, compiling their own filters. */
export function destinations(
  refs: readonly BackendRef[],
  where: string,
  scope: BackendScope,
  acc: BackendAcc,
): WeightedDestinationIr[] {
  const dests: WeightedDestinationIr[] = [];
  refs.forEach((ref, bi) => {
    const weight = ref.weight ?? 1;
    const filtered = backendFilters(ref, `${where} backendRef ${bi}`, scope.kind, []);
    if (isFilterError(filtered)) {
      acc.unsupported ??= filtered;
      return;
    }
    const { urlRewrite: _applied, ...mods } = filtered; // URLRewrite: see backendRewrites
    const r = scope.backends.resolve(ref, scope.ns, scope.kind);
    if (isProblem(r)) {
      acc.refProblem ??= r;
      if (weight > 0) dests.push({ weight });
      return;
    }
    if (weight > 0) {
      acc.clusters.push(r);
      dests.push({ cluster: r.name, weight, ...mods });
    }
  });
  return dests;
}

/** A backendRef's filters: header modifiers, and (HTTPRoute) URLRewrite. */
function backendFilters(
  ref: BackendRef,
  where: string,
  kind: RouteKind,
  matches: readonly HTTPRouteMatch[],
): { requestHeaders?: HeaderModIr; responseHeaders?: HeaderModIr; urlRewrite?: UrlRewriteTemplate } | FilterError {
  if (!ref.filters || ref.filters.length === 0) return {};
  const allowed = ["RequestHeaderModifier", "ResponseHeaderModifier", ...(kind === "HTTPRoute" ? ["URLRewrite"] : [])];
  const other = ref.filters.find((f) => !allowed.includes(f.type));
  if (other) {
    return {
      error: `${where}: filter ${other.type} is not supported on a backendRef (supported there: ${allowed.join(", ")}); move it to the rule`,
    };
  }
  const compiled = compileFilters(ref.filters, { where, matches });
  if (isFilterError(compiled)) return compiled;
  return {
    ...(compiled.requestHeaders ? { requestHeaders: compiled.requestHeaders } : {}),
    ...(compiled.responseHeaders ? { responseHeaders: compiled.responseHeaders } : {}),
    ...(compiled.urlRewrite ? { urlRewrite: compiled.urlRewrite } : {}),
  };
}

/**
 * Mirrors whose backend resolves. The spec: an unresolvable mirror backend is dropped (not configured)
 * and reported on ResolvedRefs.
 */
export function resolveMirrors(filters: RuleFilters, scope: BackendScope, acc: BackendAcc): MirrorIr[] {
  const out: MirrorIr[] = [];
  for (const m of filters.mirrors) {
    const r = scope.backends.resolve(m.backendRef, scope.ns, scope.kind);
    if (isProblem(r)) {
      acc.refProblem ??= { reason: r.reason, message: `RequestMirror ${r.message}` };
      continue;
    }
    acc.clusters.push(r);
    if (m.perMillion > 0) out.push({ cluster: r.name, perMillion: m.perMillion });
  }
  return out;
}

/**
 * The spec: with no backendRefs, or when every weight is 0, or every backend is invalid, requests get 500;
 * an invalid backend among valid ones gets its share of requests answered with 500.
 */
function actionFor(dests: WeightedDestinationIr[]): RouteIr["action"] {
  if (dests.length === 0 || dests.every((d) => d.cluster === undefined)) return { kind: "direct", status: 500 };
  return { kind: "forward", destinations: dests };
}

/** The redirect with its path settled for one match; the port is settled per listener (`redirectFor`). */
function redirectAction(t: RedirectTemplate, prefix: string): RouteIr["action"] {
  return {
    kind: "redirect",
    redirect: {
      statusCode: t.statusCode,
      ...(t.scheme !== undefined ? { scheme: t.scheme } : {}),
      ...(t.hostname !== undefined ? { hostname: t.hostname } : {}),
      ...(t.port !== undefined ? { port: t.port } : {}),
      ...(t.path ? { path: pathIr(t.path, prefix) } : {}),
    },
  };
}

const WELL_KNOWN_PORT = { http: 80, https: 443 } as const;

/**
 * The spec's Location port: the filter's port; else the scheme's well-known port when the filter sets a
 * scheme; else the listener's port. It is left out when it is the default port of the Location's scheme
 * (Envoy then writes the Host without port: the HCM strips ports from Host, see http-filters.ts).
 */
export function redirectFor(route: RouteIr, t: RedirectTemplate, listener: Listener): RouteIr {
  if (route.action.kind !== "redirect") return route;
  const scheme = t.scheme ?? (listener.protocol === "HTTPS" ? "https" : "http");
  const port = t.port ?? (t.scheme !== undefined ? WELL_KNOWN_PORT[t.scheme] : listener.port);
  const { port: _unset, ...rest } = route.action.redirect;
  const redirect: RedirectIr = { ...rest, ...(port !== WELL_KNOWN_PORT[scheme] ? { port } : {}) };
  return { ...route, action: { kind: "redirect", redirect } };
}

function rewriteIr(rw: NonNullable<RuleFilters["urlRewrite"]>, prefix: string): UrlRewriteIr {
  return {
    ...(rw.hostname !== undefined ? { hostname: rw.hostname } : {}),
    ...(rw.path ? { path: pathIr(rw.path, prefix) } : {}),
  };
}

function pathIr(p: PathTemplate, prefix: string): PathModifierIr {
  return p.type === "ReplaceFullPath" ? p : { type: "ReplacePrefixMatch", prefix, value: p.value };
}

function compileMatch(m: HTTPRouteMatch): RouteMatchIr {
  const path = { type: m.path?.type ?? "PathPrefix", value: m.path?.value ?? "/" } as const;
  return {
    path,
    headers: firstPerName(m.headers ?? [], true).map((h) => ({
      name: h.name,
      type: h.type ?? "Exact",
      value: h.value,
    })),
    queryParams: firstPerName(m.queryParams ?? [], false).map((q) => ({
      name: q.name,
      type: q.type ?? "Exact",
      value: q.value,
    })),
    ...(m.method ? { method: m.method } : {}),
  };
}

/**
 * The spec: when a match names the same header (case-insensitive) or query parameter (case-sensitive)
 * twice, only the first entry counts.
 */
function firstPerName<T extends { readonly name: string }>(items: readonly T[], caseInsensitive: boolean): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = caseInsensitive ? i.name.toLowerCase() : i.name;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
