/** One comparison of two nodes' Envoy resources for the reuse tests (build memo, layout memo). */
import * as assert from "node:assert/strict";
import type { NodeResources } from "../../operator/src/xds/translate/resources";

/** Asserts two resource sets are the same types, names (in order) and bytes. */
export function assertSameResources(actual: NodeResources, expected: NodeResources, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: resource types`);
  for (const [type, byName] of expected) {
    const got = actual.get(type)!;
    assert.deepEqual([...got.keys()], [...byName.keys()], `${what}: ${type} names`);
    for (const [name, any] of byName) {
      const mine = got.get(name)!;
      assert.equal(mine.typeUrl, any.typeUrl, `${what}: ${type} ${name} type`);
      assert.equal(Buffer.compare(mine.value, any.value), 0, `${what}: ${type} ${name} bytes differ`);
    }
  }
}
