/** Parses multi-document YAML files into Kubernetes-style objects, with errors that name file and line. */
import { LineCounter, parseAllDocuments } from "yaml";
import type { KubeObject } from "../../resources/meta";

/** A problem in an input file, located precisely enough to fix. */
export interface InputError {
  /** File path as given. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** What is wrong. */
  readonly message: string;
}

/** Formats an input error as `file:line:column: message`. */
export function formatInputError(e: InputError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** The objects in a file, or the errors that make it unusable. */
export type ParseResult = { readonly objects: KubeObject[]; readonly errors: InputError[] };

/** Parses one file's text. A file with any error contributes no objects (it is taken whole or not at all). */
export function parseManifests(file: string, text: string): ParseResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const errors: InputError[] = [];
  const objects: KubeObject[] = [];
  const at = (offset: number, message: string): InputError => {
    const p = lines.linePos(offset);
    return { file, line: p.line, column: p.col, message };
  };
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) errors.push(at(e.pos[0], e.message.split("\n")[0]));
    if (doc.errors.length > 0) continue;
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const start = doc.contents?.range?.[0] ?? 0;
    const problem = checkObject(value);
    if (problem) errors.push(at(start, problem));
    else objects.push(value as KubeObject);
  }
  return { objects: errors.length > 0 ? [] : objects, errors };
}

function checkObject(v: unknown): string | undefined {
  if (typeof v !== "object" || Array.isArray(v))
    return "a document must be a mapping with apiVersion, kind and metadata";
  const o = v as Record<string, unknown>;
  if (o.kind === "List" && Array.isArray(o.items))
    return "List documents are not supported; write one object per document";
  if (typeof o.apiVersion !== "string") return "missing apiVersion";
  if (typeof o.kind !== "string") return "missing kind";
  const md = o.metadata as Record<string, unknown> | undefined;
  if (!md || typeof md.name !== "string" || md.name === "") return `${o.kind}: missing metadata.name`;
  return undefined;
}
