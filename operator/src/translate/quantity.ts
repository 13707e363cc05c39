/**
 * Kubernetes resource quantities (`64Ki`, `1Mi`, `1500`, `1.5k`) as whole numbers, for policy fields typed
 * `resource.Quantity` (sizes in bytes). Only the forms that denote a whole number are accepted, as Envoy Gateway's
 * `Quantity.AsInt64` does.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
};

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/** The quantity as a whole number, or undefined when it is not one (malformed, fractional, negative, too big). */
export function quantityValue(q: number | string): number | undefined {
  if (typeof q === "number") return Number.isSafeInteger(q) && q >= 0 ? q : undefined;
  const m = QUANTITY.exec(String(q).trim());
  if (!m) return undefined;
  const n = Number(m[1]) * SUFFIX[m[2] ?? ""];
  return Number.isSafeInteger(n) ? n : undefined;
}
