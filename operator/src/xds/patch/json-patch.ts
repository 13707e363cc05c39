/**
 * One EnvoyPatchPolicy operation on a JSON document, as Envoy Gateway applies it: `jsonPath` (RFC 9535, a leading
 * `$` added when missing, a bare `$` refused) selects locations, each turned into a JSON Pointer with `path`
 * appended; otherwise `path` is the pointer. RFC 6902 through json-p3, with Envoy Gateway's
 * EnsurePathExistsOnAdd: an `add` first creates the missing parents of its pointer (objects, or arrays under a
 * numeric or `-` token). Messages follow Envoy Gateway's wording.
 */
import type { JSONValue, OpObject } from "json-p3";
import { jsonP3Package } from "../../optional-packages";
import type { JsonPatchIr } from "../../ir/patch-ir";

/** The first problem of an operation's fields (Envoy Gateway's JSONPatchOperation.Validate), or undefined. */
export function operationProblem(p: JsonPatchIr): string | undefined {
  if (p.path === undefined && p.jsonPath === undefined) return "a patch operation must specify a path or jsonPath";
  switch (p.op) {
    case "add":
    case "replace":
    case "test":
      if (!p.hasValue) return `the ${p.op} operation requires a value`;
      if (p.from !== undefined) return `the ${p.op} operation doesn't support a from attribute`;
      return undefined;
    case "remove":
      return p.from !== undefined || p.hasValue
        ? "value and from can't be specified with the remove operation"
        : undefined;
    case "move":
    case "copy":
      if (p.from === undefined) return `the ${p.op} operation requires a valid from attribute`;
      if (p.hasValue) return `the ${p.op} operation doesn't support a value attribute`;
      return undefined;
    default:
      return "unsupported JSONPatch operation";
  }
}

/**
 * Applies one operation to `doc` (which it may modify) and returns the result, or the problems (one per failed
 * location; the locations that succeeded stay applied, as in Envoy Gateway).
 */
export function applyOperation(doc: JSONValue, p: JsonPatchIr): { doc: JSONValue; errors: string[] } {
  const pointers = p.jsonPath !== undefined ? pointersOf(doc, p.jsonPath, p.path ?? "") : [p.path ?? ""];
  if (typeof pointers === "string") return { doc, errors: [pointers] };
  const errors: string[] = [];
  for (const pointer of pointers) {
    try {
      if (p.op === "add") ensureParents(doc, pointer);
      doc = new (jsonP3Package().JSONPatch)([opObject(p, pointer)]).apply(doc);
    } catch (err) {
      errors.push(`unable to apply patch: op=${p.op} path=${pointer} err: ${(err as Error).message}`);
    }
  }
  return { doc, errors };
}

function opObject(p: JsonPatchIr, path: string): OpObject {
  switch (p.op) {
    case "add":
    case "replace":
    case "test":
      return { op: p.op, path, value: p.value as JSONValue };
    case "remove":
      return { op: p.op, path };
    default:
      return { op: p.op, path, from: p.from ?? "" };
  }
}

/** The JSON Pointers a jsonPath selects, each with `path` appended; or the problem as Envoy Gateway words it. */
function pointersOf(doc: JSONValue, jsonPath: string, path: string): string[] | string {
  const query = jsonPath.startsWith("$") ? jsonPath : `$${/^[.[]/.test(jsonPath) ? "" : "."}${jsonPath}`;
  if (query.trim() === "$") {
    return `unable to convert jsonPath: '${jsonPath}' into jsonPointers, err: Using only Root ('$') in json path expression is not allowed!`;
  }
  let found: string[];
  try {
    found = jsonP3Package()
      .jsonpath.query(query, doc)
      .nodes.map((n) => n.toPointer().toString());
  } catch (err) {
    return `unable to convert jsonPath: '${jsonPath}' into jsonPointers, err: ${(err as Error).message}`;
  }
  if (found.length === 0) {
    return (
      `no jsonPointers were found while evaluating the jsonPath: '${jsonPath}'. Ensure the elements you are ` +
      "trying to select with the jsonPath exist in the document. If you need to add a non-existing property, use " +
      "the 'path' attribute"
    );
  }
  return found.map((ptr) => join(ptr, path));
}

/** `pointer` + `path`, one slash between them (Envoy Gateway's concat). */
function join(pointer: string, path: string): string {
  if (path === "") return pointer;
  return `${pointer.replace(/\/$/, "")}/${path.replace(/^\//, "")}`;
}

/** Creates the missing containers above `pointer`'s last token: `{}`, or `[]` before a numeric or `-` token. */
function ensureParents(doc: JSONValue, pointer: string): void {
  const tokens = new (jsonP3Package().JSONPointer)(pointer).tokens;
  let node: JSONValue = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (node === null || typeof node !== "object") return; // json-p3 reports the bad location
    const token = tokens[i] ?? "";
    const next = tokens[i + 1] ?? "";
    const container = node as Record<string, JSONValue> | JSONValue[];
    const child = Array.isArray(container) ? container[Number(token)] : container[token];
    if (child === undefined) {
      // In an array only the next index (an append) may be created; json-p3 reports anything else.
      if (Array.isArray(container) && !(token === "-" || Number(token) === container.length)) return;
      const fresh: JSONValue = /^(\d+|-)$/.test(next) ? [] : {};
      if (Array.isArray(container)) container.push(fresh);
      else container[token] = fresh;
      node = fresh;
    } else node = child;
  }
}
