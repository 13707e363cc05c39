/** Regular expressions in route matches: Envoy compiles them with RE2 and rejects the whole resource on error. */
import type { HTTPRouteMatch } from "../resources/gateway-api";

/**
 * Why `pattern` cannot be compiled by RE2, if so: RE2 has no lookaround and no backreferences, and the
 * pattern must parse (checked with JavaScript's parser once RE2-only flag groups and `(?P<name>` are rewritten).
 */
export function re2Problem(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return "uses lookaround, which RE2 does not support";
  if (/\\[1-9]/.test(pattern)) return "uses a backreference, which RE2 does not support";
  const js = pattern
    .replace(/\(\?[imsU]+\)/g, "")
    .replace(/\(\?[imsU]*-?[imsU]*:/g, "(?:")
    .replace(/\(\?P</g, "(?<");
  try {
    new RegExp(js);
    return undefined;
  } catch (e) {
    return `does not parse (${(e as Error).message})`;
  }
}

/** The first RegularExpression path, header or query match of `matches` that RE2 cannot compile, described. */
export function matchRegexProblem(matches: readonly HTTPRouteMatch[], where: string): string | undefined {
  for (const [mi, m] of matches.entries()) {
    const patterns: [string, string][] = [];
    if (m.path?.type === "RegularExpression") patterns.push(["path", m.path.value ?? ""]);
    for (const h of m.headers ?? []) if (h.type === "RegularExpression") patterns.push([`header ${h.name}`, h.value]);
    for (const q of m.queryParams ?? []) {
      if (q.type === "RegularExpression") patterns.push([`query parameter ${q.name}`, q.value]);
    }
    for (const [what, p] of patterns) {
      const bad = re2Problem(p);
      if (bad) return `${where} match ${mi}: the ${what} regular expression "${p}" ${bad}; fix it (RE2 syntax)`;
    }
  }
  return undefined;
}
