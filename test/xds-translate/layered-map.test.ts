/**
 * LayeredMap (ADR 0040): versions of a map made by edits over a shared base read like the plain map they stand for,
 * older versions stay as they were, and the xDS cache given layered versions reports the same diffs and resources as
 * a cache given plain copies of the same content.
 */
import * as assert from "node:assert/strict";
import { LayeredMap } from "../../operator/src/ir/layered-map";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import type { Any } from "../../proto/gen/google/protobuf/any";

/** A small deterministic PRNG (mulberry32), so a failure repeats. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A map's entries sorted by key (the order of a layered map is not the plain map's). */
function sorted<V>(m: ReadonlyMap<string, V>): [string, V][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Asserts `m` reads as `want` through every ReadonlyMap member. */
function assertReadsAs<V>(m: ReadonlyMap<string, V>, want: ReadonlyMap<string, V>, what: string): void {
  assert.equal(m.size, want.size, `${what}: size`);
  assert.deepEqual(sorted(m), sorted(want), `${what}: entries`);
  assert.deepEqual([...m.keys()].sort(), [...want.keys()].sort(), `${what}: keys`);
  assert.deepEqual([...m.values()].map(String).sort(), [...want.values()].map(String).sort(), `${what}: values`);
  const seen: string[] = [];
  m.forEach((v, k, self) => {
    assert.equal(self, m);
    assert.equal(v, want.get(k), `${what}: forEach ${k}`);
    seen.push(k);
  });
  assert.equal(new Set(seen).size, want.size, `${what}: forEach visits each name once`);
  for (const k of want.keys()) {
    assert.equal(m.has(k), true, `${what}: has ${k}`);
    assert.equal(m.get(k), want.get(k), `${what}: get ${k}`);
  }
  for (const k of ["nope", "n-999999"]) {
    assert.equal(m.has(k), false, `${what}: has ${k}`);
    assert.equal(m.get(k), undefined, `${what}: get ${k}`);
  }
}

/** Random edits to a map of `n-<i>` names: sets (new and existing names) and deletes (present and absent names). */
function randomEdits(
  rand: () => number,
  current: ReadonlyMap<string, string>,
  step: number,
): Map<string, string | undefined> {
  const edits = new Map<string, string | undefined>();
  const count = 1 + Math.floor(rand() * 6);
  for (let k = 0; k < count; k++) {
    const name = `n-${Math.floor(rand() * 400)}`;
    const r = rand();
    if (r < 0.4) edits.set(name, undefined);
    else if (r < 0.5 && current.has(name))
      edits.set(name, current.get(name)); // set to what it is
    else edits.set(name, `v${step}-${k}`);
  }
  return edits;
}

describe("LayeredMap (ADR 0040)", () => {
  it("every version reads as the plain map it stands for; older versions stay as they were; the layer is bounded", () => {
    const rand = prng(18);
    const start = new Map(Array.from({ length: 300 }, (_, i) => [`n-${i}`, `v-${i}`] as [string, string]));
    let want = new Map(start);
    let m = LayeredMap.flat(new Map(start));
    const versions: { m: LayeredMap<string, string>; want: Map<string, string> }[] = [];
    let flattened = 0;
    for (let step = 0; step < 400; step++) {
      const edits = randomEdits(rand, want, step);
      const next = new Map(want);
      for (const [k, v] of edits) {
        if (v === undefined) next.delete(k);
        else next.set(k, v);
      }
      let madeFlat = false;
      const edited = m.edited(edits, () => ((madeFlat = true), new Map(next)));
      if (madeFlat) flattened++;
      assertReadsAs(edited, next, `step ${step}`);
      if (!madeFlat) {
        // Not flattened: a name outside what the two versions edited reads the same in both.
        const names = edited.namesChangedFrom(m)!;
        assert.ok(names, `step ${step}: same base`);
        for (const k of new Set([...want.keys(), ...next.keys()])) {
          if (!names.has(k)) assert.equal(edited.get(k), m.get(k), `step ${step}: ${k} outside the changed names`);
        }
      } else assert.equal(edited.namesChangedFrom(m), undefined, `step ${step}: a flat version has a new base`);
      versions.push({ m: edited, want: next });
      m = edited;
      want = next;
    }
    assert.ok(flattened >= 3, `the layer was made flat again ${flattened} times over 400 steps`);
    for (const [i, v] of versions.entries()) if (i % 37 === 0) assertReadsAs(v.m, v.want, `version ${i} afterwards`);
    assert.equal(
      m.edited(new Map(), () => assert.fail("no edits: nothing made")),
      m,
      "no edits: the same version",
    );
  });

  it("answers the changed names only for versions over the same base", () => {
    const a = LayeredMap.flat(new Map([["x", 1]]));
    const b = a.edited(new Map([["y", 2]]), () => assert.fail("small: layered"));
    const c = b.edited(new Map([["x", undefined]]), () => assert.fail("small: layered"));
    assert.deepEqual([...c.namesChangedFrom(b)!].sort(), ["x", "y"]);
    assert.deepEqual([...c.namesChangedFrom(a)!].sort(), ["x", "y"]);
    assert.equal(c.namesChangedFrom(LayeredMap.flat(new Map([["x", 1]]))), undefined, "another base");
    assert.equal(c.namesChangedFrom(new Map([["x", 1]])), undefined, "a plain map");
  });
});

describe("XdsCache given layered maps (ADR 0040)", () => {
  const T = "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration";
  const any = (s: string): Any => ({ typeUrl: T, value: Buffer.from(s) });

  it("reports the same diffs and versions as a cache given plain copies", () => {
    const rand = prng(40);
    const layeredCache = new XdsCache();
    const plainCache = new XdsCache();
    let content = new Map(Array.from({ length: 200 }, (_, i) => [`n-${i}`, `c-${i}`] as [string, string]));
    const anys = new Map<string, Any>();
    const anyOf = (name: string, c: string): Any => {
      // The same content keeps its Any object mostly; sometimes a new object with the same bytes (no upsert).
      const known = anys.get(name);
      if (known && Buffer.from(known.value).toString() === c && rand() < 0.7) return known;
      const made = any(c);
      anys.set(name, made);
      return made;
    };
    const plainOf = (c: ReadonlyMap<string, string>): Map<string, Any> =>
      new Map([...c].map(([n, v]) => [n, anyOf(n, v)] as [string, Any]));
    let layered = LayeredMap.flat(plainOf(content));
    for (let step = 0; step < 300; step++) {
      const other = new Map([["lonely", any(`x${step % 3}`)]]);
      const a = layeredCache.setNode(
        "n",
        new Map<string, ReadonlyMap<string, Any>>([
          [T, layered],
          ["other", other],
        ]),
      );
      const b = plainCache.setNode(
        "n",
        new Map<string, ReadonlyMap<string, Any>>([
          [T, new Map(layered)],
          ["other", other],
        ]),
      );
      assert.equal(a.empty, b.empty, `step ${step}: empty`);
      for (const t of [T, "other"]) {
        const da = a.types.get(t);
        const db = b.types.get(t);
        assert.deepEqual(
          da && [[...da.upserted].sort(), [...da.removed].sort()],
          db && [[...db.upserted].sort(), [...db.removed].sort()],
          `step ${step}: ${t} diff`,
        );
      }
      const ra = layeredCache.getNode("n")!.resources.get(T) ?? new Map();
      const rb = plainCache.getNode("n")!.resources.get(T) ?? new Map();
      assert.deepEqual(
        sorted(ra).map(([n, r]) => [n, r.version]),
        sorted(rb).map(([n, r]) => [n, r.version]),
        `step ${step}: cached versions`,
      );
      // Next version: edits of the content, sometimes all gone, sometimes the same map again.
      const r = rand();
      if (r < 0.05) continue; // the very same map: skipped
      const edits = new Map<string, Any | undefined>();
      const next = new Map(content);
      const edit = (n: string, v: string | undefined): void => {
        edits.set(n, v === undefined ? undefined : anyOf(n, v));
        if (v === undefined) next.delete(n);
        else next.set(n, v);
      };
      if (r < 0.08) for (const n of content.keys()) edit(n, undefined);
      else for (const [n, v] of randomEdits(rand, content, step)) edit(n, v);
      const nextContent = next;
      layered = layered.edited(edits, () => {
        const flat = new Map<string, Any>();
        for (const [n] of nextContent) flat.set(n, edits.get(n) ?? layered.get(n)!);
        return flat;
      });
      content = next;
    }
  });
});
