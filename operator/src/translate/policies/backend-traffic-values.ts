/**
 * Value checks shared by BackendTrafficPolicy's field translations: each returns the usable value, or pushes
 * "<field path>: <why>" to `invalid` and returns undefined. The file provider has no API server to enforce the
 * CRD schema, so ranges Envoy would refuse are checked here.
 */
import { parseDuration } from "../duration";

/** Largest value of Envoy's uint32 fields. */
export const UINT32_MAX = 0xffff_ffff;

/** A whole number from `min` to `max` (default: Envoy's uint32 range), else undefined and reported. */
export function wholeOf(
  field: string,
  value: unknown,
  invalid: string[],
  min = 0,
  max = UINT32_MAX,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  invalid.push(`${field}: ${JSON.stringify(value)} must be a whole number from ${min} to ${max}`);
  return undefined;
}

/** A Gateway API duration of at least `minMs` milliseconds, in milliseconds; else undefined and reported. */
export function durationOf(field: string, value: unknown, invalid: string[], minMs = 1): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === "string" ? parseDuration(value) : undefined;
  if (ms !== undefined && ms >= minMs) return ms;
  const least = minMs === 0 ? "0s" : `${minMs}ms`;
  invalid.push(`${field}: ${JSON.stringify(value)} must be a duration of ${least} or more (e.g. 1s, 500ms)`);
  return undefined;
}

/** `o` without its undefined entries (so that equal settings compare and hash equal). */
export function defined<T extends object>(o: T): T {
  // A loop over the own keys (the order Object.entries gives), without an array per entry: this runs several times
  // for every policy translated.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
