/**
 * A CEL expression → its parsed form (cel.expr.ParsedExpr, macros such as `has()` and `exists()` expanded into
 * selects and comprehensions), for Envoy's CEL matcher, which evaluates `cel_expr_parsed` but not the expression
 * string. Parsed with @bufbuild/cel (protobuf-es messages) and turned into the ts-proto message of the same proto.
 */
import { celPackage } from "../../optional-packages";
import type * as Syntax from "../../../../proto/gen/cel/expr/syntax";
import type { ParsedExpr } from "../../../../proto/gen/cel/expr/syntax";
import { protoModule } from "../../../../proto/lazy";

const syntax = protoModule<typeof Syntax>("cel/expr/syntax");

/**
 * A protobuf-es value as a ts-proto `fromPartial` object: `$typeName` dropped, oneofs (`{case, value}`) turned into
 * their field, 64-bit integers into numbers.
 */
function toPartial(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(toPartial);
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "$typeName") continue;
    const oneof = x as { case?: unknown; value?: unknown } | null;
    if (oneof !== null && typeof oneof === "object" && "case" in oneof && !Array.isArray(oneof)) {
      if (typeof oneof.case === "string") out[oneof.case] = toPartial(oneof.value);
    } else out[k] = toPartial(x);
  }
  return out;
}

/** The parsed expression (its syntax tree, without source positions); throws when `expr` is not valid CEL. */
export function parsedCel(expr: string): ParsedExpr {
  const parsed = celPackage().parse(expr);
  return syntax().ParsedExpr.fromPartial({ expr: toPartial(parsed.expr) } as never);
}
