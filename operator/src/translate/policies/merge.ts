/**
 * `mergeType`: a more specific policy merged onto the less specific one instead of replacing it (Envoy
 * Gateway allows it on route-level BackendTrafficPolicy and SecurityPolicy). The merges are ../merge-patch.ts.
 */
import { jsonMergePatch, strategicMergePatch, type MergeKeys } from "../merge-patch";

/** How a more specific policy's spec combines with the one it is merged onto. */
export type MergeType = "StrategicMerge" | "JSONMerge";

/**
 * The lists of Envoy Gateway's policy specs that declare a patch merge key, by spec path (its `patchMergeKey`
 * tags): under StrategicMerge their items merge by that key instead of the list being replaced.
 */
const POLICY_MERGE_KEYS: MergeKeys = { "extAuth.contextExtensions": "name" };

/** Merges `patch` onto `base` the way `type` says. */
export function mergeSpecs(type: MergeType, base: unknown, patch: unknown): unknown {
  return type === "JSONMerge" ? jsonMergePatch(base, patch) : strategicMergePatch(base, patch, POLICY_MERGE_KEYS);
}
