/** One comparison of two nodes' Envoy resources for the reuse tests (build memo, layout memo). */
import * as assert from "node:assert/strict";
import type { LaidOutResources } from "../../operator/src/xds/translate/resources";
import { TypeUrl } from "../../operator/src/xds/types";

/**
 * Asserts two resource sets are the same types, names (in order) and bytes. Scopes are compared as a set of names: a
 * warm layout's scope map is the last one with the changed scopes taken out and put in (ADR 0040), so names a pass
 * added come last, where a cold layout has them in host order; nothing reads a meaning into that order.
 */
export function assertSameResources(actual: LaidOutResources, expected: LaidOutResources, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: resource types`);
  for (const [type, byName] of expected) {
    const got = actual.get(type)!;
    const names = (m: ReadonlyMap<string, unknown>): string[] =>
      type === TypeUrl.ScopedRoute ? [...m.keys()].sort() : [...m.keys()];
    assert.deepEqual(names(got), names(byName), `${what}: ${type} names`);
    for (const [name, any] of byName) {
      const mine = got.get(name)!;
      assert.equal(mine.typeUrl, any.typeUrl, `${what}: ${type} ${name} type`);
      assert.equal(Buffer.compare(mine.value, any.value), 0, `${what}: ${type} ${name} bytes differ`);
    }
  }
}
