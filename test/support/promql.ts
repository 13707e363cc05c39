/**
 * The metric names a PromQL expression selects, without a full parser (none is a dependency): strings, label
 * matchers (`{...}`) and range or subquery brackets (`[...]`) are removed, then every identifier that is not a
 * function or aggregation (followed by `(`, `by` or `without`), a keyword (`by`, `and`, `offset`, ...), a label in a grouping list
 * (`by (...)`, `on (...)`, `group_left (...)`) or part of a number or duration is a metric name. Grafana
 * variables (`$x`, `${x}`) only occur in strings and brackets, which are gone before identifiers are read.
 */

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "start", "end"]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/** Tokens: a number or duration (starts with a digit), an identifier, or one other character. */
const TOKEN = /\d[\w.]*|[a-zA-Z_:][\w:]*|\S/g;

/** The metric names selected by `expr`, sorted and unique. Throws on a `__name__` matcher (not supported). */
export function metricNames(expr: string): string[] {
  if (expr.includes("__name__")) throw new Error(`__name__ matchers are not supported: ${expr}`);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const tokens = stripped.match(TOKEN) ?? [];
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!/^[a-zA-Z_:]/.test(t) || KEYWORDS.has(t)) continue;
    if (GROUPING.has(t)) {
      // Skip the label list that follows (group_left may have none).
      if (tokens[i + 1] === "(") i = closing(tokens, i + 1);
      continue;
    }
    // A function or aggregation: `rate(`, `sum(`, `sum by (...) (`.
    if (tokens[i + 1] === "(" || tokens[i + 1] === "by" || tokens[i + 1] === "without") continue;
    names.add(t);
  }
  return [...names].sort();
}

/** The index of the `)` that closes the `(` at `open`. */
function closing(tokens: readonly string[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === "(") depth++;
    else if (tokens[i] === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses in ${tokens.join(" ")}`);
}

/**
 * The label names an expression relies on: those of its label matchers (`{name=~"..."}`) and of its grouping
 * lists (`by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_left (...)`), sorted and unique.
 */
export function labelNames(expr: string): string[] {
  const names = new Set<string>();
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  for (const block of noStrings.match(/\{[^}]*\}/g) ?? [])
    for (const [, name] of block.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) names.add(name);
  const tokens =
    noStrings
      .replace(/\{[^}]*\}/g, " ")
      .replace(/\[[^\]]*\]/g, " ")
      .match(TOKEN) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    if (!GROUPING.has(tokens[i]) || tokens[i + 1] !== "(") continue;
    const end = closing(tokens, i + 1);
    for (const t of tokens.slice(i + 2, end)) if (/^[a-zA-Z_]/.test(t)) names.add(t);
    i = end;
  }
  return [...names].sort();
}
