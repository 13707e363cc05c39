/** CORS → a CORS policy (Envoy's cors filter answers preflights and adds the response headers). */
import type { CorsIr } from "../../ir/xds-ir";
import type { HTTPCORSFilter } from "../../resources/gateway-api";
import { describe, headerNameProblem, textProblem } from "../validate-values";
import type { FilterContext, FilterError } from "./types";

/** The spec's default Access-Control-Max-Age. */
const DEFAULT_MAX_AGE = 5;

/** Compiles a CORS filter. */
export function compileCors(f: HTTPCORSFilter | undefined, ctx: FilterContext): CorsIr | FilterError {
  const c = f ?? {};
  for (const [field, list] of [
    ["allowOrigins", c.allowOrigins],
    ["allowMethods", c.allowMethods],
    ["allowHeaders", c.allowHeaders],
  ] as const) {
    if ((list ?? []).includes("*") && (list ?? []).length > 1) {
      return { error: `${ctx.where}: CORS ${field} cannot contain "*" alongside other values` };
    }
  }
  const bad = corsValuesProblem(c, ctx.where);
  if (bad) return { error: bad };
  const credentials = c.allowCredentials === true;
  const expose = [...(c.exposeHeaders ?? [])];
  return {
    // The spec: with credentials, `*` must never be sent back. Envoy never sends it for origins, methods
    // or headers: for `*` it echoes the request's Origin, Access-Control-Request-Method and
    // Access-Control-Request-Headers (which the spec allows without credentials too).
    allowOrigins: (c.allowOrigins ?? []).map(originMatcher),
    allowMethods: [...(c.allowMethods ?? [])],
    allowHeaders: [...(c.allowHeaders ?? [])],
    // Expose headers cannot be echoed from the request: with credentials a `*` is left out.
    exposeHeaders: credentials ? expose.filter((h) => h !== "*") : expose,
    maxAgeSeconds: c.maxAge ?? DEFAULT_MAX_AGE,
    allowCredentials: credentials,
  };
}

/**
 * An origin without `*` matches exactly. `*` alone matches any origin; elsewhere it is a greedy match
 * to the left that may span several DNS labels (`https://*.example.com` matches `https://a.b.example.com`).
 */
export function originMatcher(origin: string): CorsIr["allowOrigins"][number] {
  if (origin === "*") return { type: "RegularExpression", value: ".*" };
  if (!origin.includes("*")) return { type: "Exact", value: origin };
  const pattern = origin
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return { type: "RegularExpression", value: `^${pattern}$` };
}

/** The first CORS value that is not a header name, method token or clean origin, named by its field path. */
function corsValuesProblem(c: HTTPCORSFilter, where: string): string | undefined {
  for (const field of ["allowHeaders", "exposeHeaders", "allowMethods"] as const) {
    for (const [i, v] of (c[field] ?? []).entries()) {
      const bad = v === "*" ? undefined : describe(`${where}: CORS ${field}[${i}]`, v, headerNameProblem(v));
      if (bad) return bad;
    }
  }
  for (const [i, v] of (c.allowOrigins ?? []).entries()) {
    const bad = describe(
      `${where}: CORS allowOrigins[${i}]`,
      v,
      textProblem(v) ?? (/\s/.test(v) ? "contains whitespace" : undefined),
    );
    if (bad) return bad;
  }
  return undefined;
}
