/** CEL expressions checked before they reach Envoy (SecurityPolicy authorization rules, access log `matches`). */
import { celPackage } from "../optional-packages";

/**
 * Why a CEL expression cannot be used: Envoy Gateway's message when it does not parse (syntax only, as Envoy
 * Gateway checks it); egts's when it uses a comprehension (the all/exists/exists_one/map/filter macros), which Envoy
 * 1.36's CEL runtime refuses ("Comprehension support is disabled": the whole resource would be rejected). `has()`
 * is not a comprehension and works. `field` names where the expression is, e.g. `spec.authorization.rules[0].cel`.
 */
export function celProblem(expr: string, field: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = celPackage().parse(expr);
  } catch {
    return `invalid CEL expression: ${expr}`;
  }
  return hasComprehension(parsed)
    ? `${field}: the all, exists, exists_one, map and filter macros (comprehensions) are not supported by Envoy 1.36's CEL runtime: ${expr}`
    : undefined;
}

/** Whether a parsed CEL tree (protobuf-es message) holds a comprehension. */
function hasComprehension(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  if ((node as { case?: unknown }).case === "comprehensionExpr") return true;
  return Object.values(node).some(hasComprehension);
}
