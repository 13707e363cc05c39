/** The shared binary search: the same index a linear scan gives, on sorted lists with repeats, empty and edge keys. */
import * as assert from "node:assert/strict";
import { partitionPoint } from "../../operator/src/ir/partition-point";

describe("partitionPoint", () => {
  it("gives the first index whose element is not before the key, as a linear scan does", () => {
    let seed = 5;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 300; round++) {
      const list = Array.from({ length: rnd(20) }, () => rnd(10)).sort((a, b) => a - b);
      for (let key = -1; key <= 10; key++) {
        const linear = list.findIndex((x) => x >= key);
        const expected = linear === -1 ? list.length : linear;
        assert.equal(
          partitionPoint(list.length, (i) => list[i] < key),
          expected,
          `${key} in [${list.join(",")}]`,
        );
      }
    }
  });
});
