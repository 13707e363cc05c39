/** Pieces of Envoy messages the SecurityPolicy filters share: string matchers and fractional percents from the security IR. */
import { FractionalPercent_DenominatorType } from "../../../../proto/gen/envoy/type/v3/percent";
import type { PercentIr, SecurityStringMatchIr } from "../../ir/security-ir";

/** A security IR string match → Envoy's StringMatcher (as a fromPartial object). */
export function stringMatcherOf(m: SecurityStringMatchIr): object {
  const ignoreCase = m.ignoreCase === true ? { ignoreCase: true } : {};
  switch (m.type) {
    case "Exact":
      return { exact: m.value, ...ignoreCase };
    case "Prefix":
      return { prefix: m.value, ...ignoreCase };
    case "Suffix":
      return { suffix: m.value, ...ignoreCase };
    case "Contains":
      return { contains: m.value, ...ignoreCase };
    case "RegularExpression":
      return { safeRegex: { regex: m.value } };
  }
}

/** A security IR percent → Envoy's FractionalPercent (as a fromPartial object). */
export function fractionalPercentOf(p: PercentIr): object {
  return { numerator: p.numerator, denominator: FractionalPercent_DenominatorType[p.denominator] };
}
