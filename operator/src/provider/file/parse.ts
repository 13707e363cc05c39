/**
 * Parses multi-document YAML files into Kubernetes-style objects, with errors that name file and line.
 * Parsing is bounded: nesting deeper than {@link PARSE_LIMITS}.maxDepth stops the parser before it builds
 * the deep structure (the `yaml` package would otherwise exhaust the stack or the heap), aliases may expand
 * at most {@link PARSE_LIMITS}.maxAliasCount times per document, and an undefined alias is an error at its
 * line. Names must be valid Kubernetes names (DNS-1123), as the API server would require.
 */
import { Composer, isAlias, isMap, isNode, isPair, isSeq, Lexer, LineCounter, Parser } from "yaml";
import type { CST, Document, Node as YamlNode } from "yaml";
import type { KubeObject } from "../../resources/meta";
import { parseSimpleYaml } from "./simple-yaml";

/** A problem in an input file, located precisely enough to fix. */
export interface InputError {
  /** File path as given. */
  readonly file: string;
  /** 1-based line (0 when the problem is the file as a whole). */
  readonly line: number;
  /** 1-based column (0 when the problem is the file as a whole). */
  readonly column: number;
  /** What is wrong. */
  readonly message: string;
}

/** Formats an input error as `file:line:column: message` (`file: message` for a whole-file problem). */
export function formatInputError(e: InputError): string {
  return e.line > 0 ? `${e.file}:${e.line}:${e.column}: ${e.message}` : `${e.file}: ${e.message}`;
}

/** Where an object was defined. */
export interface SourceLocation {
  /** File path as given. */
  readonly file: string;
  /** 1-based line of the document's first node. */
  readonly line: number;
}

/** Formats a location as `file:line`. */
export function formatLocation(l: SourceLocation): string {
  return `${l.file}:${l.line}`;
}

/** The objects in a file, or the errors that make it unusable. */
export type ParseResult = {
  readonly objects: KubeObject[];
  /** Where each of `objects` starts (same order). */
  readonly locations: SourceLocation[];
  readonly errors: InputError[];
};

/** Per-document parse budgets (documented in docs/development.md, "Standalone input limits"). */
export const PARSE_LIMITS = {
  /** Deepest nesting of collections in one document (a Gateway needs about 8). */
  maxDepth: 100,
  /** Alias expansions per document (the `yaml` package's maxAliasCount). */
  maxAliasCount: 100,
} as const;

/**
 * Parses one file's text. A file with any error contributes no objects (it is taken whole or not at all). Plain
 * block YAML is read by the fast reader (simple-yaml.ts); anything it does not handle, and every file with a
 * problem, by the `yaml` package, which also locates the errors.
 */
export function parseManifests(file: string, text: string): ParseResult {
  return parseSimple(file, text) ?? parseComplete(file, text);
}

/** The fast reader's objects, when it read the whole text and every document is a valid object. */
function parseSimple(file: string, text: string): ParseResult | undefined {
  const docs = parseSimpleYaml(text, PARSE_LIMITS.maxDepth);
  if (!docs) return undefined;
  const objects: KubeObject[] = [];
  const locations: SourceLocation[] = [];
  for (const d of docs) {
    if (d.value === null || d.value === undefined) continue;
    if (checkObject(d.value) || namesProblem(d.value as KubeObject)) return undefined;
    objects.push(d.value as KubeObject);
    locations.push({ file, line: d.line });
  }
  return { objects, locations, errors: [] };
}

/** Parses with the `yaml` package, bounded (see the file comment), with every error located. */
function parseComplete(file: string, text: string): ParseResult {
  const lines = new LineCounter();
  const errors: InputError[] = [];
  const objects: KubeObject[] = [];
  const locations: SourceLocation[] = [];
  const at = (offset: number, message: string): InputError => {
    const p = lines.linePos(offset);
    return { file, line: p.line, column: p.col, message };
  };
  const depth: { offset?: number } = {};
  const docs = Array.from(new Composer({ prettyErrors: false }).compose(boundedTokens(text, lines, depth)));
  if (depth.offset !== undefined) {
    errors.push(at(depth.offset, `nesting deeper than ${PARSE_LIMITS.maxDepth} levels; the file is not read further`));
  }
  for (const doc of docs) {
    const r = readDocument(doc);
    if ("errors" in r) errors.push(...r.errors.map((e) => at(e.offset, e.message)));
    else if (r.object) {
      objects.push(r.object);
      locations.push({ file, line: lines.linePos(r.offset).line });
    }
  }
  const failed = errors.length > 0;
  return { objects: failed ? [] : objects, locations: failed ? [] : locations, errors };
}

type Located = { readonly offset: number; readonly message: string };

/** One composed document as an object (none for an empty document), or its errors by offset. */
function readDocument(
  doc: Document.Parsed,
): { readonly object?: KubeObject; readonly offset: number } | { readonly errors: Located[] } {
  if (doc.errors.length > 0)
    return { errors: doc.errors.map((e) => ({ offset: e.pos[0], message: e.message.split("\n")[0] })) };
  const start = doc.contents?.range?.[0] ?? 0;
  const converted = toPlain(doc);
  if ("error" in converted) return { errors: [{ offset: converted.offset ?? start, message: converted.error }] };
  const value = converted.value;
  if (value === null || value === undefined) return { offset: start };
  const problem = checkObject(value) ?? checkNames(value as KubeObject, doc);
  if (problem) return { errors: [{ offset: problem.offset ?? start, message: problem.message }] };
  return { object: value as KubeObject, offset: start };
}

/**
 * The parser's tokens, stopping (and setting `depth.offset`) once collections nest deeper than the budget.
 * The parser keeps its own stack of open collections, so the check costs nothing and nothing deep is built.
 */
function* boundedTokens(text: string, lines: LineCounter, depth: { offset?: number }): Generator<CST.Token> {
  lines.addNewLine(0);
  const parser = new Parser(lines.addNewLine);
  for (const lexeme of new Lexer().lex(text, false)) {
    yield* parser.next(lexeme);
    // stack[0] is the document itself.
    if (parser.stack.length - 1 > PARSE_LIMITS.maxDepth) {
      depth.offset = parser.offset;
      return;
    }
  }
  yield* parser.end();
}

type Converted = { readonly value: unknown } | { readonly error: string; readonly offset?: number };

/** The document as plain data, or why not: an undefined alias, or aliases expanding beyond the budget. */
function toPlain(doc: Document.Parsed): Converted {
  const aliases = aliasNodes(doc.contents);
  for (const a of aliases) {
    if (a.resolve(doc) === undefined)
      return { error: `undefined alias ${quote("*" + a.source)}`, offset: a.range?.[0] };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: PARSE_LIMITS.maxAliasCount }) };
  } catch (err) {
    const excessive = /alias count/i.test((err as Error).message);
    return {
      error: excessive
        ? `aliases expand more than ${PARSE_LIMITS.maxAliasCount} times (an alias bomb?)`
        : `cannot read the document: ${(err as Error).message.split("\n")[0]}`,
      offset: aliases[0]?.range?.[0],
    };
  }
}

type AliasNode = Extract<YamlNode, { source: string }>;

/** Every alias node in a (depth-bounded) tree, in document order. */
function aliasNodes(root: unknown): AliasNode[] {
  const out: AliasNode[] = [];
  const visit = (n: unknown): void => {
    if (isAlias(n)) out.push(n);
    else if (isMap(n) || isSeq(n)) for (const item of n.items) visit(item);
    else if (isPair(n)) {
      visit(n.key);
      visit(n.value);
    }
  };
  visit(root);
  return out;
}

/** RFC 1123 subdomain: what Kubernetes requires of most object names. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1123 label: what Kubernetes requires of namespace names. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Problem = { readonly message: string; readonly offset?: number };

function checkObject(v: unknown): Problem | undefined {
  if (typeof v !== "object" || Array.isArray(v))
    return { message: "a document must be a mapping with apiVersion, kind and metadata" };
  const o = v as Record<string, unknown>;
  if (o.kind === "List" && Array.isArray(o.items))
    return { message: "List documents are not supported; write one object per document" };
  if (typeof o.apiVersion !== "string") return { message: "missing apiVersion" };
  if (typeof o.kind !== "string") return { message: "missing kind" };
  const md = o.metadata as Record<string, unknown> | undefined;
  if (!md || typeof md.name !== "string" || md.name === "") return { message: `${o.kind}: missing metadata.name` };
  return undefined;
}

/** Kubernetes' rules for names: metadata.name an RFC 1123 subdomain, metadata.namespace an RFC 1123 label. */
function checkNames(o: KubeObject, doc: Document.Parsed): Problem | undefined {
  const problem = namesProblem(o);
  if (!problem) return undefined;
  const node: unknown = doc.getIn(["metadata", problem.field], true);
  return { message: problem.message, offset: isNode(node) ? node.range?.[0] : undefined };
}

/** What is wrong with an object's name or namespace, and which of the two. */
function namesProblem(o: KubeObject): { readonly message: string; readonly field: "name" | "namespace" } | undefined {
  const md = o.metadata as { name: string; namespace?: unknown };
  if (md.name.length > 253 || !DNS_1123_SUBDOMAIN.test(md.name))
    return {
      message:
        `${o.kind} metadata.name ${quote(md.name)} is not a valid name: at most 253 characters, lower-case ` +
        "letters, digits, '-' and '.', starting and ending with a letter or digit (RFC 1123 subdomain)",
      field: "name",
    };
  const ns = md.namespace;
  if (ns !== undefined && (typeof ns !== "string" || ns.length > 63 || !DNS_1123_LABEL.test(ns)))
    return {
      message:
        `${o.kind} metadata.namespace ${quote(String(ns))} is not a valid namespace: at most 63 characters, ` +
        "lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)",
      field: "namespace",
    };
  return undefined;
}

/**
 * A value quoted for a message: control characters escaped (so it cannot forge log lines or terminal
 * sequences) and at most 100 characters shown.
 */
export function quote(s: string): string {
  const shown = s.length > 100 ? s.slice(0, 100) : s;
  const escaped = JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return s.length > shown.length ? `${escaped}…(+${s.length - shown.length})` : escaped;
}
