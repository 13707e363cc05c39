/** A Gateway's clusters sorted by name, kept while the same cluster objects come in the same order (sorted-clusters.ts). */
import assert from "node:assert/strict";
import type { ClusterIr } from "../../operator/src/ir/xds-ir";
import { sortedClusters } from "../../operator/src/translate/sorted-clusters";

const cluster = (name: string): ClusterIr => ({ name, endpoints: [] }) as unknown as ClusterIr;
const byName = (cs: readonly ClusterIr[]): Map<string, ClusterIr> => new Map(cs.map((c) => [c.name, c]));

describe("sorted clusters", () => {
  it("sorts by name, and gives the same list while the map holds the same objects in the same order", () => {
    const [b, a, c] = [cluster("b"), cluster("a"), cluster("c")];
    const first = sortedClusters("gw-sorted-1", byName([b, a, c]));
    assert.deepEqual(
      first.map((x) => x.name),
      ["a", "b", "c"],
    );
    assert.equal(sortedClusters("gw-sorted-1", byName([b, a, c])), first);
  });

  it("sorts again when an object, the order or the set changed", () => {
    const [b, a, c] = [cluster("b"), cluster("a"), cluster("c")];
    const first = sortedClusters("gw-sorted-2", byName([b, a]));
    const copy = cluster("a");
    const replaced = sortedClusters("gw-sorted-2", byName([b, copy]));
    assert.notEqual(replaced, first);
    assert.equal(replaced[0], copy, "the new object, not the kept one");
    const added = sortedClusters("gw-sorted-2", byName([c, b, copy]));
    assert.deepEqual(
      added.map((x) => x.name),
      ["a", "b", "c"],
    );
    assert.deepEqual(sortedClusters("gw-sorted-2", undefined), []);
  });

  it("keeps each Gateway's list apart", () => {
    const a = cluster("a");
    const one = sortedClusters("gw-sorted-3", byName([a]));
    const other = sortedClusters("gw-sorted-4", byName([cluster("z")]));
    assert.equal(sortedClusters("gw-sorted-3", byName([a])), one);
    assert.equal(other[0].name, "z");
  });
});
