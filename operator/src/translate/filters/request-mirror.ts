/** RequestMirror → a mirror request (its backend is resolved by the route). */
import type { HTTPRequestMirrorFilter } from "../../resources/gateway-api";
import type { FilterContext, FilterError, MirrorRequest } from "./types";

const MILLION = 1_000_000;

/** Compiles a RequestMirror filter: percent or fraction become millionths (100% when neither is set). */
export function compileRequestMirror(
  f: HTTPRequestMirrorFilter | undefined,
  ctx: FilterContext,
): MirrorRequest | FilterError {
  if (!f?.backendRef) return { error: `${ctx.where}: RequestMirror needs requestMirror.backendRef` };
  if (f.percent !== undefined && f.fraction !== undefined) {
    return { error: `${ctx.where}: RequestMirror may set percent or fraction, not both` };
  }
  let perMillion = MILLION;
  if (f.percent !== undefined) {
    if (f.percent < 0 || f.percent > 100) return { error: `${ctx.where}: RequestMirror percent must be 0-100` };
    perMillion = f.percent * 10_000;
  } else if (f.fraction !== undefined) {
    const den = f.fraction.denominator ?? 100;
    const num = f.fraction.numerator;
    if (!(den >= 1) || !(num >= 0) || num > den) {
      return {
        error: `${ctx.where}: RequestMirror fraction must have 0 <= numerator <= denominator, denominator >= 1`,
      };
    }
    perMillion = Math.round((num * MILLION) / den);
  }
  return { backendRef: f.backendRef, perMillion };
}
