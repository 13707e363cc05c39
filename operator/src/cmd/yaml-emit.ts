/**
 * A fast YAML writer for plain data (what `JSON.parse` returns) that prints exactly what the `yaml` package's
 * `stringify(data, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false })` prints: block mappings
 * indented by two, sequences at their key's indentation, `{}` / `[]` when empty, strings plain unless the core
 * schema would read them as something else or they hold an indicator (then quoted, by the `yaml` package itself).
 * Multi-line strings, strings starting with a document marker and anything that is not plain data make it give up (undefined); the caller then uses the
 * `yaml` package for the whole document. About ten times faster on a config dump (docs/adr/0010-*.md).
 */
import type * as Yaml from "yaml";

let yamlPackage: typeof Yaml | undefined;

/**
 * The `yaml` package, loaded on first use: most output (`egts version`, status tables) has no string to quote, and
 * loading the package is a third of a small command's start-up CPU (ADR 0019).
 */
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load (the writer is synchronous)
  return (yamlPackage ??= require("yaml") as typeof Yaml);
}

/** Thrown inside the writer when the data is outside what it prints; caught by {@link emitYaml}. */
class Unsupported extends Error {}

/** The YAML text of `data` (ending with a newline), or undefined when the `yaml` package must print it. */
export function emitYaml(data: unknown): string | undefined {
  try {
    const out: string[] = [];
    if (isEmptyCollection(data) || !isCollection(data)) out.push(scalarText(data));
    else if (Array.isArray(data)) seq(data, "", out);
    else map(data as Record<string, unknown>, "", out);
    return `${out.join("")}\n`;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

function isCollection(v: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new Unsupported();
  return true;
}

function isEmptyCollection(v: unknown): boolean {
  return isCollection(v) && (Array.isArray(v) ? v.length === 0 : Object.keys(v as object).length === 0);
}

/** Pairs of a non-empty mapping, each on its own line at `indent` (the first one continues the current line). */
function map(m: Record<string, unknown>, indent: string, out: string[]): void {
  let first = true;
  for (const k in m) {
    const v = m[k];
    if (v === undefined) throw new Unsupported();
    if (!first) out.push("\n", indent);
    first = false;
    out.push(stringText(k), ":");
    value(v, indent, out);
  }
}

/** A mapping's value after `key:`. */
function value(v: unknown, indent: string, out: string[]): void {
  if (!isCollection(v) || isEmptyCollection(v)) {
    out.push(" ", scalarText(v));
  } else if (Array.isArray(v)) {
    out.push("\n", indent);
    seq(v, indent, out);
  } else {
    const inner = `${indent}  `;
    out.push("\n", inner);
    map(v as Record<string, unknown>, inner, out);
  }
}

/** Items of a non-empty sequence at `indent` (the first one continues the current line). */
function seq(s: readonly unknown[], indent: string, out: string[]): void {
  const inner = `${indent}  `;
  for (let i = 0; i < s.length; i++) {
    if (i > 0) out.push("\n", indent);
    out.push("- ");
    const v = s[i];
    if (v === undefined) throw new Unsupported();
    if (!isCollection(v) || isEmptyCollection(v)) out.push(scalarText(v));
    else if (Array.isArray(v)) seq(v, inner, out);
    else map(v as Record<string, unknown>, inner, out);
  }
}

/** A scalar (or an empty collection) as the `yaml` package prints it. */
function scalarText(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return stringText(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (Object.is(v, -0)) return "-0";
      if (!Number.isFinite(v)) return Number.isNaN(v) ? ".nan" : v < 0 ? "-.inf" : ".inf";
      return JSON.stringify(v);
    case "object":
      return Array.isArray(v) ? "[]" : "{}";
    default:
      throw new Unsupported();
  }
}

/** Strings printed plain: no indicator first, no `: ` / ` #`, no space or `:` last, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what makes a string not plain
const PLAIN = /^[^\s,[\]{}#&*!|>'"%@`?:\x00-\x1f\x7f-\x9f\ud800-\udfff-][^\x00-\x1f\x7f-\x9f\ud800-\udfff]*$/;
const NOT_PLAIN = /: |:$| #| $/;
/** Document markers: the `yaml` package prints such strings depending on where they are. */
const MARKER = /^(?:---|\.\.\.)/;
/** The core schema's non-string scalars: such strings are quoted. */
const CORE =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;

/** A string (a key or a value): plain when it can be, else quoted as the `yaml` package quotes it. */
function stringText(s: string): string {
  if (s.includes("\n") || MARKER.test(s)) throw new Unsupported();
  if (PLAIN.test(s) && !NOT_PLAIN.test(s) && !CORE.test(s)) return s;
  return yaml().stringify(s, { lineWidth: 0 }).slice(0, -1);
}
