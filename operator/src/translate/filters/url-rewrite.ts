/** URLRewrite → host and path rewrite template. */
import type { HTTPURLRewriteFilter } from "../../resources/gateway-api";
import { describe, hostnameProblem } from "../validate-values";
import { compilePathModifier } from "./path-modifier";
import { isFilterError, type FilterContext, type FilterError, type RuleFilters } from "./types";

/** Compiles a URLRewrite filter. */
export function compileUrlRewrite(
  f: HTTPURLRewriteFilter | undefined,
  ctx: FilterContext,
): NonNullable<RuleFilters["urlRewrite"]> | FilterError {
  if (f?.hostname !== undefined) {
    const bad = describe(`${ctx.where}: URLRewrite hostname`, f.hostname, hostnameProblem(f.hostname));
    if (bad) return { error: bad };
  }
  const path = f?.path ? compilePathModifier(f.path, ctx, "URLRewrite") : undefined;
  if (isFilterError(path)) return path;
  return { ...(f?.hostname !== undefined ? { hostname: f.hostname } : {}), ...(path ? { path } : {}) };
}
