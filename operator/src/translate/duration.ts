/** Gateway API durations (GEP-2257): 1 to 4 `<number><unit>` parts, units h, m, s, ms; e.g. `1h30m`, `500ms`. */

const FORMAT = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const PART = /([0-9]{1,5})(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a Gateway API duration, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!FORMAT.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return ms;
}
