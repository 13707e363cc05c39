/** RequestHeaderModifier / ResponseHeaderModifier → header changes. */
import type { HeaderModIr } from "../../ir/xds-ir";
import type { HTTPHeaderFilter } from "../../resources/gateway-api";
import {
  describe,
  formatStringProblem,
  headerNameProblem,
  modifiableHeaderProblem,
  textProblem,
} from "../validate-values";
import type { FilterContext, FilterError } from "./types";

/**
 * Compiles a header modifier. The spec allows one action per header name (case-insensitive); a config
 * naming a header twice is rejected rather than guessed at.
 */
export function compileHeaderModifier(
  f: HTTPHeaderFilter | undefined,
  ctx: FilterContext,
  type: string,
): HeaderModIr | FilterError {
  const set = [...(f?.set ?? [])];
  const add = [...(f?.add ?? [])];
  const remove = [...(f?.remove ?? [])];
  const seen = new Set<string>();
  for (const name of [...set.map((h) => h.name), ...add.map((h) => h.name), ...remove]) {
    const key = name.toLowerCase();
    if (seen.has(key)) {
      return { error: `${ctx.where}: ${type} names header "${name}" more than once; use one action per header` };
    }
    seen.add(key);
  }
  const bad = headerValuesProblem(f, `${ctx.where}: ${type}`);
  if (bad) return { error: bad };
  return { set, add, remove };
}

/**
 * The first header name or value Envoy would refuse, named by its field path. Values are Envoy format strings,
 * as in Envoy Gateway (its HTTP request headers task: "Header values support Envoy format strings"), so they are
 * checked, not escaped.
 */
function headerValuesProblem(f: HTTPHeaderFilter | undefined, at: string): string | undefined {
  const named: [string, string][] = [];
  for (const list of ["set", "add"] as const) {
    for (const [i, h] of (f?.[list] ?? []).entries()) {
      named.push([`${list}[${i}].name`, h.name]);
      const bad = describe(`${at}.${list}[${i}].value`, h.value, textProblem(h.value) ?? formatStringProblem(h.value));
      if (bad) return bad;
    }
  }
  for (const [i, name] of (f?.remove ?? []).entries()) named.push([`remove[${i}]`, name]);
  for (const [field, name] of named) {
    const bad = describe(`${at}.${field}`, name, headerNameProblem(name) ?? modifiableHeaderProblem(name));
    if (bad) return bad;
  }
  return undefined;
}
