/**
 * A rule's filters (or a backendRef's) → compiled filters. Checks the combinations the spec forbids:
 * RequestRedirect with URLRewrite, repeated filters other than RequestMirror, and filter types this
 * implementation cannot program.
 */
import type { HTTPRouteFilter } from "../../resources/gateway-api";
import { Reason } from "../conditions";
import { compileCors } from "./cors";
import { compileExtensionRef } from "./extension-ref";
import { compileHeaderModifier } from "./header-modifier";
import { compileRequestMirror } from "./request-mirror";
import { compileRequestRedirect } from "./request-redirect";
import { isFilterError, type FilterContext, type FilterError, type RuleFilters } from "./types";
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
    case "URLRewrite":
      return set(out, "urlRewrite", compileUrlRewrite(f.urlRewrite, ctx));
    case "CORS":
      return set(out, "cors", compileCors(f.cors, ctx));
    case "RequestMirror": {
      const m = compileRequestMirror(f.requestMirror, ctx);
      if (isFilterError(m)) return m;
      out.mirrors.push(m);
      return undefined;
    }
    case "ExtensionRef": {
      const ref = f.extensionRef;
      const owned = ref ? compileExtensionRef(ref, ctx, ctx.extensions) : undefined;
      if (typeof owned === "string") {
        (out.extensionRefs ??= []).push(owned);
        return undefined;
      }
      if (owned) return owned;
      const what = ref ? `${ref.group}/${ref.kind} ${ref.name}` : "(no extensionRef)";
      return {
        error: `${ctx.where}: ExtensionRef filter ${what} is not supported; no extension filter kinds are implemented`,
      };
    }
    default:
      return {
        error: `${ctx.where}: filter type ${f.type} is not supported (supported: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS)`,
      };
  }
}

function set<K extends "requestHeaders" | "responseHeaders" | "redirect" | "urlRewrite" | "cors">(
  out: RuleFilters,
  key: K,
  value: RuleFilters[K] | FilterError,
): FilterError | undefined {
  if (isFilterError(value)) return value;
  out[key] = value;
  return undefined;
}
