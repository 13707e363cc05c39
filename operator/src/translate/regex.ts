/**
 * Regular expressions in route matches: Envoy compiles them with RE2 and rejects the whole resource when
 * one does not parse or its RE2 program is larger than `re2.max_program_size.error_level` (100 unless the
 * operator raises it in Envoy's runtime). Syntax is checked with re2js, a JavaScript port of RE2's parser.
 * RE2's program size cannot be computed exactly without RE2's C++ compiler: re2js compiles a similar
 * program whose size was measured at 0.74–1.09 times RE2's (test/translate/regex-size.test.ts compares
 * both on a corpus against real Envoy), so a pattern is refused only when re2js's size is above
 * {@link MAX_ESTIMATED_PROGRAM_SIZE}, where every measured pattern is over Envoy's limit. Patterns in
 * between are caught when Envoy NACKs them (pipeline/nack-bisect.ts quarantines the route).
 */
import { re2jsPackage } from "../optional-packages";
import type { HTTPRouteMatch } from "../resources/gateway-api";
import { checking, quote } from "./validate-values";

/** Envoy's default `re2.max_program_size.error_level`. */
export const ENVOY_MAX_PROGRAM_SIZE = 100;

/** re2js program size above which RE2's is certainly over {@link ENVOY_MAX_PROGRAM_SIZE} (100 / 0.7). */
export const MAX_ESTIMATED_PROGRAM_SIZE = 143;

/**
 * Why `pattern` cannot be compiled by Envoy's RE2, if so: RE2 has no lookaround and no backreferences,
 * the pattern must parse with RE2's syntax, and its program must be small enough.
 */
export function re2Problem(pattern: string): string | undefined {
  if (!checking("regex")) return undefined;
  if (typeof pattern !== "string") return `is not a string (${typeof pattern})`;
  if (checked.has(pattern)) return checked.get(pattern);
  const problem = compileProblem(pattern);
  if (checked.size >= MAX_REMEMBERED) checked.clear();
  checked.set(pattern, problem);
  return problem;
}

/**
 * Verdicts of patterns already checked: compiling with re2js costs about 70 µs a pattern and translation
 * runs on every change, so the verdicts (a pure function of the pattern) are remembered, up to a bound.
 */
const checked = new Map<string, string | undefined>();
const MAX_REMEMBERED = 10_000;

function compileProblem(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return "uses lookaround, which RE2 does not support";
  if (/\\[1-9]/.test(pattern)) return "uses a backreference, which RE2 does not support";
  let size: number;
  try {
    size = re2jsPackage().RE2JS.compile(pattern).programSize();
  } catch (e) {
    return `does not parse as RE2 (${(e as Error).message})`;
  }
  if (size > MAX_ESTIMATED_PROGRAM_SIZE) {
    return `is too complex for Envoy: its RE2 program has about ${size} instructions, over Envoy's limit of ${ENVOY_MAX_PROGRAM_SIZE} (re2.max_program_size.error_level); simplify it or split it over several matches`;
  }
  return undefined;
}

/** The first RegularExpression path, header or query match of `matches` that RE2 cannot compile, described. */
export function matchRegexProblem(matches: readonly HTTPRouteMatch[], where: string): string | undefined {
  for (const [mi, m] of matches.entries()) {
    const patterns: [string, string][] = [];
    if (m.path?.type === "RegularExpression") patterns.push(["path.value", m.path.value ?? ""]);
    for (const [hi, h] of (m.headers ?? []).entries()) {
      if (h.type === "RegularExpression") patterns.push([`headers[${hi}].value (${h.name})`, h.value]);
    }
    for (const [qi, q] of (m.queryParams ?? []).entries()) {
      if (q.type === "RegularExpression") patterns.push([`queryParams[${qi}].value (${q.name})`, q.value]);
    }
    for (const [what, p] of patterns) {
      const bad = re2Problem(p);
      if (bad)
        return `${where}: matches[${mi}].${what}: the regular expression ${quote(p)} ${bad}; fix it (RE2 syntax)`;
    }
  }
  return undefined;
}
