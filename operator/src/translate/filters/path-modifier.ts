/** The path change shared by RequestRedirect and URLRewrite. */
import type { HTTPPathModifier } from "../../resources/gateway-api";
import { describe, rewritePathProblem } from "../validate-values";
import type { FilterContext, FilterError, PathTemplate } from "./types";

/** Compiles a path modifier; ReplacePrefixMatch needs every match of the rule to be a PathPrefix match. */
export function compilePathModifier(
  p: HTTPPathModifier,
  ctx: FilterContext,
  filter: string,
): PathTemplate | FilterError {
  if (p.type === "ReplaceFullPath") {
    if (p.replaceFullPath === undefined) {
      return { error: `${ctx.where}: ${filter} path type ReplaceFullPath needs replaceFullPath` };
    }
    const bad = describe(
      `${ctx.where}: ${filter} path.replaceFullPath`,
      p.replaceFullPath,
      rewritePathProblem(p.replaceFullPath),
    );
    if (bad) return { error: bad };
    return { type: "ReplaceFullPath", value: p.replaceFullPath };
  }
  if (p.type === "ReplacePrefixMatch") {
    if (p.replacePrefixMatch === undefined) {
      return { error: `${ctx.where}: ${filter} path type ReplacePrefixMatch needs replacePrefixMatch` };
    }
    if (ctx.matches.some((m) => (m.path?.type ?? "PathPrefix") !== "PathPrefix")) {
      return {
        error: `${ctx.where}: ${filter} with path.replacePrefixMatch needs PathPrefix matches only; change the rule's matches to PathPrefix or use ReplaceFullPath`,
      };
    }
    const at = `${ctx.where}: ${filter} path.replacePrefixMatch`;
    const bad = describe(at, p.replacePrefixMatch, rewritePathProblem(p.replacePrefixMatch));
    if (bad) return { error: bad };
    return { type: "ReplacePrefixMatch", value: p.replacePrefixMatch };
  }
  return {
    error: `${ctx.where}: ${filter} path type ${p.type} is not supported (use ReplaceFullPath or ReplacePrefixMatch)`,
  };
}
