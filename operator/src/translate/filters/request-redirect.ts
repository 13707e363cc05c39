/** RequestRedirect → a redirect template (the port is settled per listener). */
import type { HTTPRequestRedirectFilter } from "../../resources/gateway-api";
import { describe, hostnameProblem } from "../validate-values";
import { compilePathModifier } from "./path-modifier";
import { isFilterError, type FilterContext, type FilterError, type RedirectTemplate } from "./types";

const STATUS_CODES = [301, 302, 303, 307, 308] as const;

/** Compiles a RequestRedirect filter. */
export function compileRequestRedirect(
  f: HTTPRequestRedirectFilter | undefined,
  ctx: FilterContext,
): RedirectTemplate | FilterError {
  const r = f ?? {};
  const code = r.statusCode ?? 302;
  const statusCode = STATUS_CODES.find((c) => c === code);
  if (statusCode === undefined) {
    return {
      error: `${ctx.where}: RequestRedirect statusCode ${code} is not supported (use 301, 302, 303, 307 or 308)`,
    };
  }
  if (r.scheme !== undefined && r.scheme !== "http" && r.scheme !== "https") {
    return { error: `${ctx.where}: RequestRedirect scheme "${r.scheme}" is not supported (use http or https)` };
  }
  if (r.hostname !== undefined) {
    const bad = describe(`${ctx.where}: RequestRedirect hostname`, r.hostname, hostnameProblem(r.hostname));
    if (bad) return { error: bad };
  }
  const path = r.path ? compilePathModifier(r.path, ctx, "RequestRedirect") : undefined;
  if (isFilterError(path)) return path;
  return {
    statusCode,
    ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
    ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    ...(path ? { path } : {}),
  };
}
