/**
 * A fast reader for the plain block YAML that Kubernetes manifests are almost always written in (and that
 * `kubectl get -o yaml`, `helm template` and the `yaml` package print): block mappings and sequences, one-line
 * plain, single- and double-quoted scalars, `|` literal scalars, empty `[]` / `{}`, comments and `---` between
 * documents. Anything else (anchors, aliases, tags, flow collections, folded or multi-line scalars, tabs, a CR,
 * duplicate keys, floats, …) makes it give up and return `undefined`, and the caller parses the text with the
 * complete `yaml` parser instead, which also reports the errors: so this reader never decides what a document
 * means differently from that parser, it only gets there about ten times faster (docs/adr/0010-*.md).
 * Scalars resolve as in YAML 1.2's core schema (the `yaml` package's default): `~`/`null` → null,
 * `true`/`false` (three spellings each) → booleans, decimal integers → numbers.
 */

/** One document of the input: its plain value (undefined for an empty document) and its first content line. */
export interface SimpleDocument {
  readonly value: unknown;
  /** 1-based line of the document's first node. */
  readonly line: number;
}

/** Thrown inside the reader when the input is outside the subset; caught by {@link parseSimpleYaml}. */
class Unsupported extends Error {}

/** A plain key (at most 1,000 characters: the `yaml` package refuses implicit keys over 1,024). */
const KEY = /^([A-Za-z0-9_][A-Za-z0-9_./-]{0,999}):(?: |$)/;
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
/** What the core schema would read as a float, an octal or a hex integer: left to the complete parser. */
const OTHER_NUMBER = /^(?:[-+]?(?:\.[0-9]|[0-9])|\.(?:nan|NaN|NAN)|0[ox])/;
/** Plain scalars may not start with these (or are read otherwise: quotes, block scalars, flow collections). */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
/** Tabs, CRs, a BOM and the other control characters (YAML refuses most; tabs and CRs need care this reader skips). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSUPPORTED_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f\ufeff]/;
/** JSON's escapes, a subset of YAML's double-quoted ones. */
const JSON_ESCAPES = /\\(?:[^"\\/bfnrtu]|$)/;

/** The documents of `text`, or undefined when it is outside the subset this reader handles. */
export function parseSimpleYaml(text: string, maxDepth: number): SimpleDocument[] | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new Reader(text.split("\n"), maxDepth).documents();
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

class Reader {
  /** Indentation of each line (-1: blank or comment only). */
  private readonly indents: number[];
  /** Each line's text after its indentation (a compact `- key: v` item is re-read from the key on). */
  private readonly texts: string[];
  private i = 0;

  constructor(
    lines: string[],
    private readonly maxDepth: number,
  ) {
    this.texts = lines;
    this.indents = lines.map((l) => {
      let n = 0;
      while (l.charCodeAt(n) === 32) n++;
      return n === l.length || l.charCodeAt(n) === 35 /* # */ ? -1 : n;
    });
    for (let k = 0; k < lines.length; k++) if (this.indents[k]! > 0) this.texts[k] = lines[k]!.slice(this.indents[k]);
  }

  documents(): SimpleDocument[] {
    const docs: SimpleDocument[] = [];
    const n = this.texts.length;
    while (this.i < n) {
      this.skipBlank();
      if (this.i >= n) break;
      const t = this.texts[this.i]!;
      if (this.indents[this.i] === 0 && isMarker(t)) {
        this.i++;
        continue;
      }
      if (this.indents[this.i] !== 0 || t.startsWith("%") || t.startsWith("...")) throw new Unsupported();
      const line = this.i + 1;
      const value = this.node(0, 0);
      this.skipBlank();
      if (this.i < n && !(this.indents[this.i] === 0 && isMarker(this.texts[this.i]!))) throw new Unsupported();
      docs.push({ value, line });
    }
    return docs;
  }

  private skipBlank(): void {
    while (this.i < this.texts.length && this.indents[this.i] === -1) this.i++;
  }

  /** The block node starting at the next content line, which must be indented at least `min`. */
  private node(min: number, depth: number): unknown {
    this.skipBlank();
    if (this.i >= this.texts.length) return null;
    const ind = this.indents[this.i]!;
    if (ind < min || (ind === 0 && isMarker(this.texts[this.i]!))) return null;
    if (depth > this.maxDepth) throw new Unsupported();
    const t = this.texts[this.i]!;
    if (t === "-" || t.startsWith("- ")) return this.sequence(ind, depth);
    if (KEY.test(t)) return this.mapping(ind, depth);
    throw new Unsupported();
  }

  private mapping(ind: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipBlank();
      if (this.i >= this.texts.length || this.indents[this.i]! < ind) return out;
      const t = this.texts[this.i]!;
      if (this.indents[this.i]! > ind || (ind === 0 && isMarker(t))) {
        if (ind === 0 && isMarker(t)) return out;
        throw new Unsupported();
      }
      const m = KEY.exec(t);
      if (!m) throw new Unsupported();
      const key = m[1]!;
      // Keys the core schema reads as another type (`007: x` is the key "7"), `__proto__` and duplicates.
      if (key === "__proto__" || Object.prototype.hasOwnProperty.call(out, key) || !isStringKey(key))
        throw new Unsupported();
      const rest = t.slice(m[0].length);
      out[key] = this.value(rest, ind, depth, true);
    }
  }

  private sequence(ind: number, depth: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      if (this.i >= this.texts.length || this.indents[this.i]! < ind) return out;
      const t = this.texts[this.i]!;
      if (this.indents[this.i]! > ind) throw new Unsupported();
      if (t !== "-" && !t.startsWith("- ")) return out;
      let k = 1;
      while (t.charCodeAt(k) === 32) k++;
      const rest = t.slice(k);
      if (KEY.test(rest)) {
        // A compact mapping (`- key: v`): read it as a mapping indented where its first key is.
        this.indents[this.i] = ind + k;
        this.texts[this.i] = rest;
        out.push(this.mapping(ind + k, depth + 1));
      } else {
        out.push(this.value(rest, ind, depth, false));
      }
    }
  }

  /**
   * The value after `key:` or `- ` on the current line (`rest`, possibly empty) of a node indented `ind`; moves
   * past it. An empty rest is a nested block (or null); a mapping's value may be a sequence at its own indent.
   */
  private value(rest: string, ind: number, depth: number, inMapping: boolean): unknown {
    this.i++;
    const v = stripComment(rest.trimStart());
    if (v === "") {
      this.skipBlank();
      if (this.i < this.texts.length && inMapping && this.indents[this.i] === ind) {
        const t = this.texts[this.i]!;
        if (t === "-" || t.startsWith("- ")) return this.sequence(ind, depth + 1);
        return null;
      }
      return this.node(ind + 1, depth + 1);
    }
    if (v === "|" || v === "|-") return this.literal(ind, v === "|-");
    return scalar(v);
  }

  /** A `|` (clip) or `|-` (strip) literal block scalar whose content is indented more than `ind`. */
  private literal(ind: number, strip: boolean): string {
    const lines: string[] = [];
    let contentIndent = -1;
    for (; this.i < this.texts.length; this.i++) {
      const raw = this.raw(this.i);
      if (this.indents[this.i] === -1 && /^ *$/.test(raw)) {
        // A blank line; one with more spaces than the content's indentation holds content: left to the yaml package.
        if (raw.length > (contentIndent >= 0 ? contentIndent : ind + 1)) throw new Unsupported();
        lines.push("");
        continue;
      }
      let n = 0;
      while (raw.charCodeAt(n) === 32) n++;
      if (n <= ind) break;
      if (contentIndent < 0) contentIndent = n;
      if (n < contentIndent) throw new Unsupported();
      lines.push(raw.slice(contentIndent));
    }
    // Trailing empty lines belong to no scalar; give them back (they are blank or comments).
    while (lines.length > 0 && lines[lines.length - 1] === "") {
      lines.pop();
      this.i--;
    }
    if (lines.length === 0) return "";
    const body = lines.join("\n");
    return strip ? body : `${body}\n`;
  }

  /** Line `k` as it was in the input. */
  private raw(k: number): string {
    const ind = this.indents[k]!;
    return ind > 0 ? " ".repeat(ind) + this.texts[k]! : this.texts[k]!;
  }
}

/** `---` alone (or before a comment) starts a document. */
function isMarker(t: string): boolean {
  if (!t.startsWith("---")) return false;
  const rest = t.slice(3);
  if (rest === "" || /^ +(#.*)?$/.test(rest)) return true;
  if (rest.startsWith(" ") || rest.startsWith("-")) throw new Unsupported();
  return false;
}

/** The value text without a trailing ` # comment` and trailing spaces (quoted scalars are read as a whole). */
function stripComment(v: string): string {
  if (v.startsWith("#")) return "";
  if (v.startsWith('"') || v.startsWith("'")) return v.trimEnd();
  const at = v.indexOf(" #");
  return (at >= 0 ? v.slice(0, at) : v).trimEnd();
}

/** A one-line scalar, resolved as the core schema does. */
function scalar(v: string): unknown {
  const c = v.charCodeAt(0);
  if (c === 34 /* " */) return doubleQuoted(v);
  if (c === 39 /* ' */) return singleQuoted(v);
  if (v === "[]") return [];
  if (v === "{}") return {};
  return plainScalar(v);
}

/** A one-line plain scalar. */
function plainScalar(v: string): unknown {
  const c = v.charCodeAt(0);
  if (INDICATOR.test(v) && !/^-[^\s-]/.test(v)) throw new Unsupported();
  if (v.includes(": ") || v.endsWith(":") || v.includes(" #")) throw new Unsupported();
  if (NULL.test(v)) return null;
  if (BOOL.test(v)) return c === 116 || c === 84;
  if (INT.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Unsupported();
    return n;
  }
  if (OTHER_NUMBER.test(v) && isCoreNumber(v)) throw new Unsupported();
  return v;
}

/** Whether the core schema reads a plain key as a string. */
function isStringKey(k: string): boolean {
  return !(NULL.test(k) || BOOL.test(k) || INT.test(k) || (OTHER_NUMBER.test(k) && isCoreNumber(k)));
}

/** Whether the core schema reads `v` as a float or a non-decimal integer. */
function isCoreNumber(v: string): boolean {
  return (
    /^0o[0-7]+$/.test(v) ||
    /^0x[0-9a-fA-F]+$/.test(v) ||
    /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(v) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(v) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(v)
  );
}

/** A one-line double-quoted scalar that uses only JSON's escapes, with nothing but a comment after it. */
function doubleQuoted(v: string): string {
  let k = 1;
  for (; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 92 /* \ */) k++;
    else if (c === 34) break;
  }
  if (k >= v.length) throw new Unsupported();
  const body = v.slice(1, k);
  if (JSON_ESCAPES.test(body)) throw new Unsupported();
  afterQuote(v.slice(k + 1));
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    throw new Unsupported();
  }
}

/** A one-line single-quoted scalar (`''` is a quote), with nothing but a comment after it. */
function singleQuoted(v: string): string {
  let k = 1;
  for (; k < v.length; k++) {
    if (v.charCodeAt(k) === 39) {
      if (v.charCodeAt(k + 1) === 39) k++;
      else break;
    }
  }
  if (k >= v.length) throw new Unsupported();
  afterQuote(v.slice(k + 1));
  return v.slice(1, k).replace(/''/g, "'");
}

function afterQuote(rest: string): void {
  if (rest !== "" && !/^ +(#.*)?$/.test(rest)) throw new Unsupported();
}
