/** Label selector matching (metav1.LabelSelector semantics). */
import type { LabelSelector } from "./gateway-api";
import type { LabelSelector as PolicyLabelSelector } from "./policy-common";

/** True when `labels` satisfy every matchLabels entry and every matchExpression. */
export function selectorMatches(
  selector: LabelSelector | PolicyLabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every((e) => {
      const has = Object.prototype.hasOwnProperty.call(labels, e.key);
      const values = e.values ?? [];
      switch (e.operator) {
        case "In":
          return has && values.includes(labels[e.key]);
        case "NotIn":
          return !has || !values.includes(labels[e.key]);
        case "Exists":
          return has;
        case "DoesNotExist":
          return !has;
        default:
          return false; // an unknown operator selects nothing
      }
    })
  );
}

const OPERATORS: readonly string[] = ["In", "NotIn", "Exists", "DoesNotExist"];

/**
 * Why a label selector is not a valid metav1.LabelSelector (at `path`): an unknown operator, a key missing, values
 * given to Exists/DoesNotExist or missing for In/NotIn. Empty when it is valid.
 */
export function labelSelectorProblems(selector: PolicyLabelSelector, path: string): string[] {
  const out: string[] = [];
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (typeof e.key !== "string" || e.key === "") out.push(`${at}.key must be set`);
    if (!OPERATORS.includes(e.operator)) {
      out.push(`${at}.operator (${String(e.operator)}) must be one of ${OPERATORS.join(", ")}`);
      return;
    }
    const needsValues = e.operator === "In" || e.operator === "NotIn";
    if (needsValues !== (e.values ?? []).length > 0)
      out.push(`${at}: operator ${e.operator} ${needsValues ? "needs" : "takes no"} values`);
  });
  return out;
}
