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
