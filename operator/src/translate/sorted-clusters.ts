/**
 * A Gateway's clusters sorted by name, as its IR lists them, kept from pass to pass: while the Gateway's cluster map
 * holds the same cluster objects in the same order (the HTTPRoute stage folds one object per backend, route-table.ts),
 * the pass gets the last sorted list itself, without sorting again, and the xDS build then sees the same list.
 */
import type { ClusterIr } from "../ir/xds-ir";
import { sameReferences, StateByName } from "../ir/list-window";

/** The last pass's clusters of each Gateway, in map order, and sorted by name. */
const lastByGateway = new StateByName<{ inMapOrder: readonly ClusterIr[]; sorted: readonly ClusterIr[] }>(() => ({
  inMapOrder: [],
  sorted: [],
}));

/** The clusters of Gateway `gateway` (`byName`, in any order) sorted by name. The list is never changed. */
export function sortedClusters(
  gateway: string,
  byName: ReadonlyMap<string, ClusterIr> | undefined,
): readonly ClusterIr[] {
  const inMapOrder = [...(byName?.values() ?? [])];
  const last = lastByGateway.get(gateway);
  if (sameReferences(last.inMapOrder, inMapOrder)) return last.sorted;
  last.inMapOrder = inMapOrder;
  last.sorted = [...inMapOrder].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return last.sorted;
}
