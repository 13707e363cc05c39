/**
 * A rule's filters (or a backendRef's) → compiled filters. Checks the combinations the spec forbids:
 * RequestRedirect with URLRewrite, repeated filters other than RequestMirror, and filter types this
 * implementation cannot program.
 */
import type { HTTPRouteFilter } from "../../resources/gateway-api";
import { Reason } from "../conditions";
import { compileCors } from "./cors";
import { compileHeaderModifier } from "./header-modifier";
import { compileRequestMirror } from "./request-mirror";
import { compileRequestRedirect } from "./request-redirect";
import { compileExtensionRef, type RouteFilterParts } from "./route-filter";
import {
  isFilterError,
  type FilterContext,
  type FilterError,
  type RuleFilters,
  type UrlRewriteTemplate,
} from "./types";
import { compileUrlRewrite } from "./url-rewrite";

export { isFilterError, type FilterContext, type FilterError, type RuleFilters } from "./types";

/** Filter types that may appear more than once in one list. */
const REPEATABLE = new Set(["RequestMirror", "ExtensionRef"]);

/** Compiles one list of filters. */
export function compileFilters(filters: readonly HTTPRouteFilter[], ctx: FilterContext): RuleFilters | FilterError {
  const problem = checkCombination(filters, ctx);
  if (problem) return problem;
  const out: RuleFilters = { mirrors: [] };
  for (const f of filters) {
    const err = applyFilter(out, f, ctx);
    if (err) return err;
  }
  if (out.directResponse && out.mirrors.length > 0) {
    // Envoy Gateway's words.
    return { error: "RequestMirror filter cannot be used when the rule also configures a DirectResponse filter" };
  }
  return out;
}

function checkCombination(filters: readonly HTTPRouteFilter[], ctx: FilterContext): FilterError | undefined {
  const types = filters.map((f) => f.type);
  if (types.includes("RequestRedirect") && types.includes("URLRewrite")) {
    return {
      reason: Reason.IncompatibleFilters,
      error: `${ctx.where}: RequestRedirect and URLRewrite cannot be used together; keep one of them`,
    };
  }
  const repeated = types.find((t, i) => !REPEATABLE.has(t) && types.indexOf(t) !== i);
  if (repeated) return { error: `${ctx.where}: filter ${repeated} cannot be repeated` };
  return undefined;
}

/** Adds one filter to `out`; returns an error when it cannot be programmed. */
function applyFilter(out: RuleFilters, f: HTTPRouteFilter, ctx: FilterContext): FilterError | undefined {
  switch (f.type) {
    case "RequestHeaderModifier":
      return set(out, "requestHeaders", compileHeaderModifier(f.requestHeaderModifier, ctx, f.type));
    case "ResponseHeaderModifier":
      return set(out, "responseHeaders", compileHeaderModifier(f.responseHeaderModifier, ctx, f.type));
    case "RequestRedirect":
      return set(out, "redirect", compileRequestRedirect(f.requestRedirect, ctx));
    case "URLRewrite": {
      const rw = compileUrlRewrite(f.urlRewrite, ctx);
      return isFilterError(rw) ? rw : mergeUrlRewrite(out, rw);
    }
    case "CORS":
      return set(out, "cors", compileCors(f.cors, ctx));
    case "RequestMirror": {
      const m = compileRequestMirror(f.requestMirror, ctx);
      if (isFilterError(m)) return m;
      out.mirrors.push(m);
      return undefined;
    }
    case "ExtensionRef": {
      const parts = compileExtensionRef(f.extensionRef, ctx);
      return isFilterError(parts) ? parts : addParts(out, parts);
    }
    default:
      return {
        error: `${ctx.where}: filter type ${f.type} is not supported (supported: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef)`,
      };
  }
}

/**
 * Adds a URL rewrite to the rule's: Envoy Gateway refuses two that both change the path or both change the Host
 * (a URLRewrite and an HTTPRouteFilter, or two HTTPRouteFilters).
 */
function mergeUrlRewrite(out: RuleFilters, rw: UrlRewriteTemplate): FilterError | undefined {
  const had = out.urlRewrite;
  const hostOf = (r: UrlRewriteTemplate): boolean => r.hostname !== undefined || r.host !== undefined;
  if (had && ((had.path && rw.path) || (hostOf(had) && hostOf(rw)))) {
    return { error: "cannot configure multiple urlRewrite filters for a single HTTPRouteRule" };
  }
  out.urlRewrite = { ...had, ...rw };
  return undefined;
}

/** Adds what an HTTPRouteFilter brings (Envoy Gateway allows one of them with `matches` per rule). */
function addParts(out: RuleFilters, parts: RouteFilterParts): FilterError | undefined {
  if (parts.cookieMatches && out.cookieMatches) {
    return { error: "only one HTTPRouteFilter with matches is supported per HTTPRouteRule" };
  }
  if (parts.urlRewrite) {
    const err = mergeUrlRewrite(out, parts.urlRewrite);
    if (err) return err;
  }
  if (parts.directResponse) out.directResponse ??= parts.directResponse;
  if (parts.credential) out.credential = parts.credential;
  if (parts.cookieMatches) out.cookieMatches = parts.cookieMatches;
  if (parts.extensionRefs) (out.extensionRefs ??= []).push(...parts.extensionRefs);
  return undefined;
}

function set<K extends "requestHeaders" | "responseHeaders" | "redirect" | "cors">(
  out: RuleFilters,
  key: K,
  value: RuleFilters[K] | FilterError,
): FilterError | undefined {
  if (isFilterError(value)) return value;
  out[key] = value;
  return undefined;
}
