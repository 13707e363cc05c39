import { strict as assert } from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";
import { Subject } from "rxjs";
import { exposedGc, heapSpace, IdleCollection } from "../../operator/src/cmd/idle-collection";

const MiB = 2 ** 20;

/**
 * Allocates ~`mib` MiB of objects that live through several scavenges (so they reach the old space); they are garbage
 * unless the caller keeps what it returns.
 */
async function oldGarbage(mib: number): Promise<unknown[]> {
  const keep: { i: number; s: string; a: number[] }[] = [];
  const target = process.memoryUsage().heapUsed + mib * MiB;
  while (process.memoryUsage().heapUsed < target) {
    for (let i = 0; i < 10_000; i++) keep.push({ i, s: `garbage ${i}`, a: [i, i + 1] });
    await sleep(0);
  }
  return keep;
}

const mib = (n: number): string => (n / MiB).toFixed(1);

describe("idle collection (egts controller)", function () {
  this.timeout(20_000);
  const open: IdleCollection[] = [];
  // Each test starts from a collected heap: an IdleCollection measures growth from the heap used when it is made.
  const gc = exposedGc();
  beforeEach(() => gc());
  afterEach(() => open.splice(0).forEach((c) => c.close()));

  it("collects once the passes went quiet, and the heap used drops by the burst's garbage", async () => {
    const passes = new Subject<void>();
    const idle = new IdleCollection(passes, { idleMs: 300, minGrowthBytes: 4 * MiB });
    open.push(idle);
    // Kept: the heap has grown when the quiet time ends even if V8 collected the garbage below on its own first.
    const kept = await oldGarbage(8);
    await oldGarbage(40);
    const before = process.memoryUsage().heapUsed;
    passes.next();
    await sleep(100);
    assert.equal(idle.collections, 0, "collected before the quiet time");
    // Due 300 ms after the pass; on a loaded machine the timer may fire late.
    for (let waited = 0; idle.collections === 0 && waited < 5_000; waited += 50) await sleep(50);
    assert.equal(idle.collections, 1);
    const after = process.memoryUsage().heapUsed;
    assert.ok(after < before - 20 * MiB, `heap used ${before / MiB} → ${after / MiB} MiB`);
    assert.ok(kept.length > 0);
  });

  it("collects a second time once settled, and V8 gives the young generation back", async function () {
    this.timeout(30_000);
    // An idle controller still allocates (lease renewals, ~100 KB/s): the same here, or V8 would shrink the young
    // generation in any full collection.
    const drip = setInterval(() => {
      const a: { i: number }[] = [];
      for (let i = 0; i < 300; i++) a.push({ i });
    }, 50);
    try {
      const passes = new Subject<void>();
      const idle = new IdleCollection(passes, { idleMs: 300, settleMs: 6_000, minGrowthBytes: 4 * MiB });
      open.push(idle);
      await oldGarbage(40);
      const grown = heapSpace("new_space").committed;
      assert.ok(grown >= 8 * MiB, `the burst did not grow the young generation (${grown / MiB} MiB): nothing to show`);
      passes.next();
      await sleep(800);
      assert.equal(idle.collections, 1);
      const afterFirst = heapSpace("new_space").committed;
      await sleep(6_000);
      assert.equal(idle.collections, 2, "no second collection once settled");
      const settled = heapSpace("new_space");
      assert.ok(
        settled.committed <= 2 * MiB && settled.resident <= 2 * MiB,
        `young generation ${mib(grown)} MiB, after the first collection ${mib(afterFirst)}, settled ` +
          `${mib(settled.committed)} MiB committed / ${mib(settled.resident)} resident`,
      );
    } finally {
      clearInterval(drip);
    }
  });

  it("waits while passes keep coming, and collects nothing without growth or after close", async () => {
    const passes = new Subject<void>();
    const idle = new IdleCollection(passes, { idleMs: 300, minGrowthBytes: 4 * MiB });
    open.push(idle);
    await oldGarbage(20);
    for (let i = 0; i < 6; i++) {
      passes.next();
      await sleep(100);
    }
    assert.equal(idle.collections, 0, "collected while passes were coming");
    await sleep(500);
    assert.equal(idle.collections, 1);
    // Nothing grew since: another quiet time collects nothing.
    passes.next();
    await sleep(600);
    assert.equal(idle.collections, 1, "collected without growth");
    // Closed with a collection pending: it never runs.
    await oldGarbage(20);
    passes.next();
    idle.close();
    await sleep(600);
    assert.equal(idle.collections, 1, "collected after close");
  });
});
