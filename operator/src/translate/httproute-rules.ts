/** HTTPRoute rules → IR routes (independent of the parents they attach to). */
import type {
  ClusterIr,
  CookieMatchIr,
  CredentialInjectionIr,
  GenericSecretIr,
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
import { failoverGroup, type ResolvedRef } from "./backend-fallback";
import { isProblem, type BackendIndex, type RouteKind } from "./backends";
import { CondType, Reason, type RefProblem } from "./conditions";
import { compileFilters, isFilterError, type FilterContext, type FilterError, type RuleFilters } from "./filters";
import type { ExtensionRefIndex } from "./filters/extension-refs";
import type {
  CredentialTemplate,
  DirectResponseTemplate,
  ExtensionRefTargets,
  PathTemplate,
  RedirectTemplate,
  UrlRewriteTemplate,
} from "./filters/types";
import { compileRetry } from "./rule-retry";
import { compileSessionPersistence } from "./rule-session";
import { compileTimeouts } from "./rule-timeouts";
import { matchRegexProblem } from "./regex";
import { matchValueProblem } from "./validate-values";

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
  /** Generic SDS secrets the rules' filters read (HTTPRouteFilter credentials). */
  readonly secrets: GenericSecretIr[];
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
  /** What backendRefs' ExtensionRef filters resolve against (HTTPRoute); absent: ExtensionRef is refused. */
  readonly filterRefs?: Pick<FilterContext, "namespace" | "extensions">;
}

/** Mutable accumulator while compiling. */
interface Acc extends BackendAcc {
  routes: CompiledRoute[];
  dropped: FilterError[];
  secrets: GenericSecretIr[];
}

/**
 * Turns the route's rules into IR routes. `extensions` resolves ExtensionRef filters (HTTPRouteFilter); without it
 * they are refused.
 */
export function compileRules(route: HTTPRoute, backends: BackendIndex, extensions?: ExtensionRefIndex): CompiledRules {
  const acc: Acc = { routes: [], clusters: [], dropped: [], secrets: [] };
  // The CRD defaults rules to one rule matching PathPrefix "/" (with no backends: 500).
  const rules: readonly HTTPRouteRule[] = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  const names = rules.map((r) => r.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) acc.unsupported = { error: `rule name "${dup}" is used twice; rule names must be unique` };
  rules.forEach((rule, ri) => compileRule(route, rule, ri, { backends, extensions }, acc));
  if (acc.dropped.length === rules.length) acc.unsupported ??= everyRuleDropped(acc.dropped);
  if (acc.unsupported) {
    // An invalid route serves none of its rules: every request it matches gets the 500 of an invalid rule.
    acc.routes = acc.routes.map((r) => ({ rule: r.rule, match: r.match, route: invalidRuleRoute(r.route) }));
    acc.clusters = [];
    acc.secrets = [];
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
  compiled: Pick<CompiledRules, "unsupported" | "dropped">,
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

/** What resolving a rule needs from the snapshot. */
interface RuleRefs {
  readonly backends: BackendIndex;
  readonly extensions?: ExtensionRefIndex;
}

function compileRule(route: HTTPRoute, rule: HTTPRouteRule, ri: number, refs: RuleRefs, acc: Acc): void {
  const { backends } = refs;
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
  const targets = refTargets(refs.extensions, backends);
  const compiled = compileRuleOptions(rule, where, { matches, namespace: ns, extensions: targets }, ruleKey);
  if (isFilterError(compiled)) {
    failRule(compiled, matches, (mi) => ({ rule: ri, match: mi, name: routeName(mi) }), acc);
    return;
  }
  const { filters } = compiled;
  const scope: BackendScope = {
    ns,
    backends,
    kind: "HTTPRoute",
    filterRefs: { namespace: ns, extensions: targets },
  };
  const direct = filters.directResponse;
  // A direct response answers every request of the rule: its backendRefs are not resolved (Envoy Gateway).
  const split = direct
    ? { dests: [] }
    : applyBackendExtras(destinations(rule.backendRefs ?? [], where, scope, acc), compiled.backendExtras);
  const mirrors = resolveMirrors(filters, scope, acc);
  const base = commonFields(filters);
  const forwarding = !filters.redirect && !direct && split.dests.some((d) => d.cluster !== undefined);
  for (const c of split.credentials ?? []) addSecret(acc, c);
  const forwardOnly = forwarding ? forwardOnlyFields(compiled, mirrors, split.routeCredential, acc) : {};
  const { action, responseHeaders } = answerOf(direct, () => actionFor(split.dests), base.responseHeaders);
  const extensionRefs = ruleExtensionRefs(filters, split.dests, acc.clusters);
  const rewrite = mergeRewrites(filters.urlRewrite, split.routeRewrite);
  withCookies(matches, filters.cookieMatches).forEach(({ m, cookies }, mi) => {
    const match = { ...compileMatch(m), ...(cookies.length > 0 ? { cookies } : {}) };
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
        ...(responseHeaders ? { responseHeaders } : {}),
        ...(forwarding && rewrite ? { urlRewrite: rewriteIr(rewrite, prefix) } : {}),
        ...forwardOnly,
        ...(extensionRefs.length > 0 ? { extensionRefs } : {}),
      },
    });
  });
}

/**
 * The extension-owned objects of a rule, for the extension server's Route hook: its ExtensionRef filters' and
 * then its extension backends' (as Envoy Gateway appends its custom backendRefs to the route's ExtensionRefs).
 */
export function ruleExtensionRefs(
  filters: RuleFilters,
  dests: readonly WeightedDestinationIr[],
  clusters: readonly ClusterIr[],
): string[] {
  const backends = dests.flatMap((d) => clusters.find((c) => c.name === d.cluster)?.extension?.resources ?? []);
  return [...(filters.extensionRefs ?? []), ...new Set(backends)];
}

/** What the rule's ExtensionRef filters may name: HTTPRouteFilters and the extension server's objects. */
export function refTargets(
  routeFilters: ExtensionRefIndex | undefined,
  backends: BackendIndex,
): ExtensionRefTargets | undefined {
  return routeFilters ? { routeFilters, owned: backends.extensions } : undefined;
}

/**
 * A rule's action and response headers: an HTTPRouteFilter's direct response (with its headers), else `otherwise`
 * (forwarding).
 */
export function answerOf(
  direct: DirectResponseTemplate | undefined,
  otherwise: () => RouteIr["action"],
  responseHeaders: HeaderModIr | undefined,
): { action: RouteIr["action"]; responseHeaders?: HeaderModIr } {
  if (!direct) return { action: otherwise(), ...(responseHeaders ? { responseHeaders } : {}) };
  const headers = withHeaders(responseHeaders, direct.headers);
  return {
    action: { kind: "direct", status: direct.status, ...(direct.body !== undefined ? { body: direct.body } : {}) },
    ...(headers ? { responseHeaders: headers } : {}),
  };
}

/**
 * A rule that cannot be served as written; its matches answer 500. An ExtensionRef naming nothing is an
 * unresolved reference (GEP-1364): the route stays Accepted with ResolvedRefs=False. Otherwise the spec's "Drop
 * Rule(s)": the rule is dropped and the route's valid rules are still served.
 */
function failRule(
  err: FilterError,
  matches: readonly HTTPRouteMatch[],
  at: (mi: number) => { rule: number; match: number; name: string },
  acc: Acc,
): void {
  if (err.unresolved) acc.refProblem ??= { reason: err.reason ?? Reason.UnsupportedValue, message: err.error };
  else acc.dropped.push(err);
  matches.forEach((m, mi) => {
    const { rule, match, name } = at(mi);
    acc.routes.push({ rule, match, route: invalidRuleRoute({ name, match: compileMatch(m) }) });
  });
}

/** Route fields that only apply when the rule forwards: mirrors, timeouts, retry, session, credential. */
function forwardOnlyFields(
  o: RuleOptions,
  mirrors: MirrorIr[],
  backendCredential: CredentialTemplate | undefined,
  acc: Acc,
): RouteExtras {
  const credential = routeCredential(o.filters.credential, backendCredential, acc);
  return {
    ...forwardFields(mirrors, o.timeouts, o.retry),
    ...(o.session ? { sessionPersistence: o.session } : {}),
    ...(credential ? { credentialInjection: credential } : {}),
  };
}

/**
 * The rule's matches with an HTTPRouteFilter's cookie conditions: each rule match ANDed with each alternative
 * (Envoy Gateway's cross product), or the rule matches alone.
 */
export function withCookies<M>(
  matches: readonly M[],
  cookieMatches: readonly (readonly CookieMatchIr[])[] | undefined,
): { m: M; cookies: readonly CookieMatchIr[] }[] {
  if (!cookieMatches?.length) return matches.map((m) => ({ m, cookies: [] }));
  return matches.flatMap((m) => cookieMatches.map((cookies) => ({ m, cookies })));
}

/** Response header changes with a direct response's headers added (its own win). */
function withHeaders(own: HeaderModIr | undefined, more: HeaderModIr): HeaderModIr | undefined {
  if (more.set.length === 0 && more.add.length === 0) return own;
  const names = new Set(more.set.map((h) => h.name.toLowerCase()));
  return {
    set: [...(own?.set ?? []).filter((h) => !names.has(h.name.toLowerCase())), ...more.set],
    add: [...(own?.add ?? []), ...more.add],
    remove: [...(own?.remove ?? [])],
  };
}

/** The route's credential injection (a backendRef's, when it is the only destination, wins); its secret is served. */
export function routeCredential(
  rule: CredentialTemplate | undefined,
  backend: CredentialTemplate | undefined,
  acc: Pick<Acc, "secrets">,
): CredentialInjectionIr | undefined {
  const c = backend ?? rule;
  if (!c) return undefined;
  addSecret(acc, c);
  return c.ir;
}

function addSecret(acc: Pick<Acc, "secrets">, c: CredentialTemplate): void {
  if (!acc.secrets.some((s) => s.name === c.secret.name)) acc.secrets.push(c.secret);
}

/** A rule's settings, checked before anything is resolved (an invalid rule is dropped whole). */
interface RuleOptions {
  filters: RuleFilters;
  timeouts?: TimeoutsIr;
  retry?: RetryIr;
  session?: SessionPersistenceIr;
  /** URL rewrite and credential of each backendRef that gets traffic (weight > 0), in order. */
  backendExtras: BackendExtra[];
}

/** What a backendRef's filters change beyond headers: its URL rewrite and injected credential. */
interface BackendExtra {
  readonly urlRewrite?: UrlRewriteTemplate;
  readonly credential?: CredentialTemplate;
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
  scope: Omit<FilterContext, "where">,
  ruleKey: string,
): RuleOptions | FilterError {
  const filters = compileFilters(rule.filters ?? [], { where, ...scope });
  if (isFilterError(filters)) return filters;
  const problem = ruleProblem(rule, filters, where);
  if (problem) return problem;
  const timeouts = compileTimeouts(rule.timeouts, where);
  if (typeof timeouts === "string") return { error: timeouts };
  const retry = compileRetry(rule.retry, where);
  if (typeof retry === "string") return { error: retry };
  const session = compileSessionPersistence(rule.sessionPersistence, where, ruleKey);
  if (typeof session === "string") return { error: session };
  const backendExtras = checkBackendFilters(rule.backendRefs ?? [], where, scope);
  if (isFilterError(backendExtras)) return backendExtras;
  return { filters, timeouts, retry, session, backendExtras };
}

/**
 * Checks every backendRef's filters (so a bad one drops the rule before anything is resolved) and
 * returns the URL rewrite and credential of each backendRef that gets traffic. Envoy can rewrite the Host
 * (to a literal) and turn a filter on per weighted backend, but not change the path, so a path change, or a
 * Host taken from a header, the backend or the path, on a backendRef needs it to be the only one with traffic.
 */
function checkBackendFilters(
  refs: readonly BackendRef[],
  where: string,
  scope: Omit<FilterContext, "where">,
): BackendExtra[] | FilterError {
  const extras: BackendExtra[] = [];
  for (const [bi, ref] of refs.entries()) {
    const mods = backendFilters(ref, { ...scope, where: `${where} backendRef ${bi}` }, "HTTPRoute");
    if (isFilterError(mods)) return mods;
    if ((ref.weight ?? 1) > 0) extras.push({ urlRewrite: mods.urlRewrite, credential: mods.credential });
  }
  if (extras.length > 1 && extras.some((e) => e.urlRewrite?.path || e.urlRewrite?.host)) {
    return {
      error: `${where}: a path change (or a Host rewrite other than a hostname) on a backendRef needs that backendRef to be the rule's only one with traffic (Envoy cannot change them per weighted backend); move it to the rule's filters`,
    };
  }
  return extras;
}

/** The destinations with their backendRefs' extras applied, and what moves to the route. */
interface AppliedExtras {
  readonly dests: WeightedDestinationIr[];
  /** The only destination's URL rewrite, applied by the route. */
  readonly routeRewrite?: UrlRewriteTemplate;
  /** The only destination's credential, injected by the route. */
  readonly routeCredential?: CredentialTemplate;
  /** Credentials injected per destination (several destinations), whose secrets are served. */
  readonly credentials?: readonly CredentialTemplate[];
}

/**
 * Applies the backendRefs' URL rewrites and credentials: with one destination they become the route's; with
 * several, each destination gets its Host rewrite and credential (paths were checked by checkBackendFilters).
 */
function applyBackendExtras(dests: WeightedDestinationIr[], extras: readonly BackendExtra[]): AppliedExtras {
  if (dests.length === 1) {
    const e = extras[0];
    return {
      dests,
      ...(e?.urlRewrite ? { routeRewrite: e.urlRewrite } : {}),
      ...(e?.credential ? { routeCredential: e.credential } : {}),
    };
  }
  const credentials: CredentialTemplate[] = [];
  const out = dests.map((d, i) => {
    if (d.cluster === undefined) return d;
    const host = extras[i]?.urlRewrite?.hostname;
    const c = extras[i]?.credential;
    if (c) credentials.push(c);
    return {
      ...d,
      ...(host !== undefined ? { hostRewrite: host } : {}),
      ...(c ? { credentialInjection: c.ir } : {}),
    };
  });
  return { dests: out, ...(credentials.length > 0 ? { credentials } : {}) };
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
  /** In backendRef order: an invalid backendRef's share (500), or a resolved one. */
  const slots: (WeightedDestinationIr | ResolvedRef)[] = [];
  refs.forEach((ref, bi) => {
    const weight = ref.weight ?? 1;
    const filtered = backendFilters(
      ref,
      { where: `${where} backendRef ${bi}`, matches: [], ...scope.filterRefs },
      scope.kind,
    );
    if (isFilterError(filtered)) {
      acc.unsupported ??= filtered;
      return;
    }
    const { urlRewrite: _applied, credential: _injected, ...mods } = filtered; // see applyBackendExtras
    const r = scope.backends.resolve(ref, scope.ns, scope.kind);
    if (isProblem(r)) {
      acc.refProblem ??= r;
      if (weight > 0) slots.push({ weight });
      return;
    }
    const dynamic = r.discovery === "dynamic" ? { dynamic: true } : {};
    if (weight > 0) slots.push({ cluster: r, dest: { cluster: r.name, weight, ...mods, ...dynamic } });
  });
  const resolved = slots.filter((s): s is ResolvedRef => "dest" in s);
  const group = failoverGroup(resolved);
  if (group && "problem" in group) {
    acc.refProblem ??= { reason: Reason.UnsupportedValue, message: `${where}: ${group.problem}` };
    return slots.map((s) => ("dest" in s ? { weight: s.dest.weight } : s));
  }
  // A failover group's one destination takes the place of its first backendRef.
  const kept = group ? slots.filter((s) => !("dest" in s) || s === resolved[0]) : slots;
  return kept.map((s) => {
    if (!("dest" in s)) return s;
    const r = group ?? s;
    acc.clusters.push(r.cluster);
    return r.dest;
  });
}

/** What a backendRef's filters compile to. */
interface BackendMods {
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  urlRewrite?: UrlRewriteTemplate;
  credential?: CredentialTemplate;
}

/**
 * A backendRef's filters: header modifiers, and (HTTPRoute) URLRewrite and ExtensionRef (an HTTPRouteFilter's URL
 * rewrite and credential injection; a direct response or matches belong to the rule).
 */
function backendFilters(ref: BackendRef, ctx: FilterContext, kind: RouteKind): BackendMods | FilterError {
  const where = ctx.where;
  if (!ref.filters || ref.filters.length === 0) return {};
  const allowed = [
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    ...(kind === "HTTPRoute" ? ["URLRewrite", "ExtensionRef"] : []),
  ];
  const other = ref.filters.find((f) => !allowed.includes(f.type));
  if (other) {
    return {
      error: `${where}: filter ${other.type} is not supported on a backendRef (supported there: ${allowed.join(", ")}); move it to the rule`,
    };
  }
  const compiled = compileFilters(ref.filters, ctx);
  if (isFilterError(compiled)) return compiled;
  if (compiled.directResponse || compiled.cookieMatches) {
    return {
      error: `${where}: an HTTPRouteFilter with directResponse or matches is not supported on a backendRef; reference it from the rule's filters`,
    };
  }
  if (compiled.extensionRefs) {
    return {
      error: `${where}: an ExtensionRef to a kind of the extension server is not supported on a backendRef by egts yet; reference it from the rule's filters`,
    };
  }
  return {
    ...(compiled.requestHeaders ? { requestHeaders: compiled.requestHeaders } : {}),
    ...(compiled.responseHeaders ? { responseHeaders: compiled.responseHeaders } : {}),
    ...(compiled.urlRewrite ? { urlRewrite: compiled.urlRewrite } : {}),
    ...(compiled.credential ? { credential: compiled.credential } : {}),
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

/** A URL rewrite as the IR has it; `prefix` is the match's path prefix (ReplacePrefixMatch replaces it). */
export function rewriteIr(rw: UrlRewriteTemplate, prefix: string): UrlRewriteIr {
  return {
    ...(rw.hostname !== undefined ? { hostname: rw.hostname } : {}),
    ...(rw.host ? { host: rw.host } : {}),
    ...(rw.path ? { path: pathIr(rw.path, prefix) } : {}),
    ...(rw.appendXForwardedHost === false ? { appendXForwardedHost: false } : {}),
  };
}

function pathIr(p: PathTemplate, prefix: string): PathModifierIr {
  return p.type === "ReplacePrefixMatch" ? { type: "ReplacePrefixMatch", prefix, value: p.value } : p;
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
