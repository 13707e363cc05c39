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
  TimeoutsIr,
  UrlRewriteIr,
  WeightedDestinationIr,
} from "../ir/xds-ir";
import type { BackendRef, HTTPRoute, HTTPRouteMatch, HTTPRouteRule, Listener } from "../resources/gateway-api";
import { namespaceOf } from "../resources/meta";
import { isProblem, type BackendIndex } from "./backends";
import type { RefProblem } from "./conditions";
import { compileFilters, isFilterError, type FilterError, type RuleFilters } from "./filters";
import type { PathTemplate, RedirectTemplate } from "./filters/types";
import { compileRetry } from "./rule-retry";
import { compileTimeouts } from "./rule-timeouts";

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
  /** First unsupported or invalid feature, if any (the route is not accepted). */
  readonly unsupported?: FilterError;
}

/** Mutable accumulator while compiling. */
interface Acc {
  routes: CompiledRoute[];
  clusters: ClusterIr[];
  refProblem?: RefProblem;
  unsupported?: FilterError;
}

/** Turns the route's rules into IR routes. */
export function compileRules(route: HTTPRoute, backends: BackendIndex): CompiledRules {
  const acc: Acc = { routes: [], clusters: [] };
  // The CRD defaults rules to one rule matching PathPrefix "/" (with no backends: 500).
  const rules: readonly HTTPRouteRule[] = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  const names = rules.map((r) => r.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) acc.unsupported = { error: `rule name "${dup}" is used twice; rule names must be unique` };
  rules.forEach((rule, ri) => compileRule(route, rule, ri, backends, acc));
  return acc;
}

function compileRule(route: HTTPRoute, rule: HTTPRouteRule, ri: number, backends: BackendIndex, acc: Acc): void {
  const ns = namespaceOf(route.metadata);
  const where = rule.name !== undefined ? `rule "${rule.name}"` : `rule ${ri}`;
  const matches: readonly HTTPRouteMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  const compiled = compileRuleOptions(rule, where, matches);
  if (isFilterError(compiled)) {
    acc.unsupported ??= compiled;
    return;
  }
  const { filters, timeouts, retry } = compiled;
  const dests = destinations(rule.backendRefs ?? [], ns, where, backends, acc);
  const mirrors = resolveMirrors(filters, ns, backends, acc);
  const base = commonFields(filters);
  const forwarding = !filters.redirect && dests.some((d) => d.cluster !== undefined);
  const forwardOnly = forwarding ? forwardFields(mirrors, timeouts, retry) : {};
  const action = actionFor(dests); // shared by the rule's matches
  matches.forEach((m, mi) => {
    const match = compileMatch(m);
    const prefix = match.path.value;
    const rewrite = filters.urlRewrite;
    acc.routes.push({
      rule: ri,
      match: mi,
      ...(filters.redirect ? { redirect: filters.redirect } : {}),
      route: {
        name: `httproute/${ns}/${route.metadata.name}/rule/${rule.name ?? ri}/match/${mi}`,
        match,
        action: filters.redirect ? redirectAction(filters.redirect, prefix) : action,
        ...base,
        ...(forwarding && rewrite ? { urlRewrite: rewriteIr(rewrite, prefix) } : {}),
        ...forwardOnly,
      },
    });
  });
}

/** The rule's filters, timeouts and retry, or the first problem with them. */
function compileRuleOptions(
  rule: HTTPRouteRule,
  where: string,
  matches: readonly HTTPRouteMatch[],
): { filters: RuleFilters; timeouts?: TimeoutsIr; retry?: RetryIr } | FilterError {
  const filters = compileFilters(rule.filters ?? [], { where, matches });
  if (isFilterError(filters)) return filters;
  const problem = ruleProblem(rule, filters, where);
  if (problem) return problem;
  const timeouts = compileTimeouts(rule.timeouts, where);
  if (typeof timeouts === "string") return { error: timeouts };
  const retry = compileRetry(rule.retry, where);
  if (typeof retry === "string") return { error: retry };
  return { filters, timeouts, retry };
}

type RouteExtras = Omit<RouteIr, "name" | "match" | "action">;

/** Fields every route of the rule carries, whatever its action. */
function commonFields(filters: RuleFilters): RouteExtras {
  return {
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
    ...(filters.cors ? { cors: filters.cors } : {}),
  };
}

/** Fields that only mean something when the route forwards to a backend. */
function forwardFields(mirrors: MirrorIr[], timeouts: TimeoutsIr | undefined, retry: RetryIr | undefined): RouteExtras {
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
  if (rule.sessionPersistence !== undefined) {
    return {
      error: `${where}: sessionPersistence is in Gateway API's experimental channel only and is not supported; remove it`,
    };
  }
  return undefined;
}

/** Resolves the backendRefs into weighted destinations, compiling their own filters. */
function destinations(
  refs: readonly BackendRef[],
  ns: string,
  where: string,
  backends: BackendIndex,
  acc: Acc,
): WeightedDestinationIr[] {
  const dests: WeightedDestinationIr[] = [];
  refs.forEach((ref, bi) => {
    const weight = ref.weight ?? 1;
    const mods = backendFilters(ref, `${where} backendRef ${bi}`);
    if (isFilterError(mods)) {
      acc.unsupported ??= mods;
      return;
    }
    const r = backends.resolve(ref, ns);
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

/** A backendRef's filters: header modifiers only. */
function backendFilters(
  ref: BackendRef,
  where: string,
): { requestHeaders?: HeaderModIr; responseHeaders?: HeaderModIr } | FilterError {
  if (!ref.filters || ref.filters.length === 0) return {};
  const other = ref.filters.find((f) => f.type !== "RequestHeaderModifier" && f.type !== "ResponseHeaderModifier");
  if (other) {
    return {
      error: `${where}: filter ${other.type} is not supported on a backendRef (supported there: RequestHeaderModifier, ResponseHeaderModifier); move it to the rule`,
    };
  }
  const compiled = compileFilters(ref.filters, { where, matches: [] });
  if (isFilterError(compiled)) return compiled;
  return {
    ...(compiled.requestHeaders ? { requestHeaders: compiled.requestHeaders } : {}),
    ...(compiled.responseHeaders ? { responseHeaders: compiled.responseHeaders } : {}),
  };
}

/**
 * Mirrors whose backend resolves. The spec: an unresolvable mirror backend is dropped (not configured)
 * and reported on ResolvedRefs.
 */
function resolveMirrors(filters: RuleFilters, ns: string, backends: BackendIndex, acc: Acc): MirrorIr[] {
  const out: MirrorIr[] = [];
  for (const m of filters.mirrors) {
    const r = backends.resolve(m.backendRef, ns);
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
