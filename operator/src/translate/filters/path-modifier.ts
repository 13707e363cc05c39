/** The path change shared by RequestRedirect and URLRewrite. */
import type { HTTPPathModifier } from "../../resources/gateway-api";
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
    return { type: "ReplacePrefixMatch", value: p.replacePrefixMatch };
  }
  return {
    error: `${ctx.where}: ${filter} path type ${p.type} is not supported (use ReplaceFullPath or ReplacePrefixMatch)`,
  };
}
