/**
 * Walking a YAML configuration document node by node, so that every problem names the file, line and column
 * of the value at fault (config/envoy-gateway-config.ts and its sections use it). Problems are collected, not
 * thrown, so one run reports all of them.
 */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";
import { parseDuration } from "../translate/duration";

/** Collects problems and notes (accepted settings that change nothing, with the reason) while walking. */
export class ConfigWalk {
  /** Problems: the configuration cannot be used. */
  readonly errors: string[] = [];
  /** Settings accepted because they change nothing in egts, each with file:line and the reason. */
  readonly notes: string[] = [];

  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line:column` of `node` (the file alone when the node has no position). */
  at(node: unknown): string {
    const range = (node as Node | null | undefined)?.range;
    if (!range) return this.file;
    const { line, col } = this.lines.linePos(range[0]);
    return `${this.file}:${line}:${col}`;
  }

  /** Records a problem at `node`. */
  error(node: unknown, message: string): void {
    this.errors.push(`${this.at(node)}: ${message}`);
  }

  /** Records a setting that is accepted although egts does not act on it, and why that is harmless. */
  note(node: unknown, message: string): void {
    this.notes.push(`${this.at(node)}: ${message}`);
  }

  /** The pairs of a mapping (an explicit null is an empty mapping), or an error when `node` is not one. */
  pairs(node: unknown, path: string): Pair[] {
    if (isMap(node)) return node.items as Pair[];
    if (isScalar(node) && node.value === null) return [];
    if (isAlias(node)) this.error(node, `${path}: YAML aliases are not accepted in the EnvoyGateway configuration`);
    else this.error(node, `${path} must be a mapping`);
    return [];
  }

  /**
   * Walks the fields of a mapping: `handlers[key]` reads each known field; any other key is an error that
   * lists the known ones.
   */
  fields(node: unknown, path: string, handlers: Readonly<Record<string, (value: unknown, key: Pair) => void>>): void {
    for (const pair of this.pairs(node, path)) {
      const key = keyName(pair);
      const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
      if (isAlias(pair.value)) {
        this.error(pair.value, `${join(path, key)}: YAML aliases are not accepted in the EnvoyGateway configuration`);
      } else if (handler) {
        handler(pair.value, pair);
      } else {
        const known = Object.keys(handlers).join(", ");
        this.error(pair.key, `unknown field ${join(path, key)} (${path || "EnvoyGateway"} fields: ${known})`);
      }
    }
  }

  /** A string value, or an error. */
  string(node: unknown, path: string): string | undefined {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    this.error(node, `${path} must be a string (got ${describe(node)})`);
    return undefined;
  }

  /** A non-empty string value, or an error. */
  nonEmpty(node: unknown, path: string): string | undefined {
    const s = this.string(node, path);
    if (s === "") this.error(node, `${path} must not be empty`);
    return s === "" ? undefined : s;
  }

  /** A boolean value, or an error. */
  bool(node: unknown, path: string): boolean | undefined {
    if (isScalar(node) && typeof node.value === "boolean") return node.value;
    this.error(node, `${path} must be true or false (got ${describe(node)})`);
    return undefined;
  }

  /** A whole number in [min, max], or an error. */
  int(node: unknown, path: string, min: number, max: number): number | undefined {
    if (isScalar(node) && typeof node.value === "number" && Number.isInteger(node.value)) {
      if (node.value >= min && node.value <= max) return node.value;
    }
    this.error(node, `${path} must be a whole number from ${min} to ${max} (got ${describe(node)})`);
    return undefined;
  }

  /** One of `allowed`, or an error listing them. */
  oneOf<T extends string>(node: unknown, path: string, allowed: readonly T[]): T | undefined {
    const s = this.string(node, path);
    if (s === undefined) return undefined;
    if ((allowed as readonly string[]).includes(s)) return s as T;
    this.error(node, `${path} must be one of ${allowed.join(", ")} (got ${s})`);
    return undefined;
  }

  /** A Gateway API duration (`15s`, `1m30s`, `500ms`) in milliseconds, or an error. */
  duration(node: unknown, path: string): number | undefined {
    const s = this.string(node, path);
    if (s === undefined) return undefined;
    const ms = parseDuration(s);
    if (ms === undefined) {
      this.error(
        node,
        `${path}: ${JSON.stringify(s)} is not a duration (1 to 4 parts of <number><h|m|s|ms>, e.g. 15s)`,
      );
    }
    return ms;
  }

  /** A list of strings, or an error. */
  strings(node: unknown, path: string): string[] {
    return this.list(node, path).flatMap((item, i) => this.string(item, `${path}[${i}]`) ?? []);
  }

  /** The items of a list, or an error when `node` is not one. */
  list(node: unknown, path: string): unknown[] {
    if (isSeq(node)) return node.items;
    this.error(node, `${path} must be a list (got ${describe(node)})`);
    return [];
  }
}

/** The name of a mapping key. */
export function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** `path.key`, or `key` at the top. */
export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** A short description of a value for messages. */
function describe(node: unknown): string {
  if (isScalar(node)) return JSON.stringify(node.value) ?? String(node.value);
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  return "nothing";
}
