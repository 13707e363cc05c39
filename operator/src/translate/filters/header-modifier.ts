/** RequestHeaderModifier / ResponseHeaderModifier → header changes. */
import type { HeaderModIr } from "../../ir/xds-ir";
import type { HTTPHeaderFilter } from "../../resources/gateway-api";
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
  return { set, add, remove };
}
