/** concatConflate and debounceWithMaxWait's leading option, on real timers. */
import assert from "node:assert/strict";
import { lastValueFrom, Subject, toArray } from "rxjs";
import { concatConflate } from "../../operator/src/streams/conflate";
import { debounceWithMaxWait } from "../../operator/src/streams/debounce";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("concatConflate", () => {
  it("runs one at a time and, after the one in progress, only the newest of the values queued meanwhile", async () => {
    const src = new Subject<number>();
    const started: number[] = [];
    const out = lastValueFrom(
      src.pipe(
        concatConflate(
          async (v: number) => {
            started.push(v);
            await sleep(30);
            return v * 10;
          },
          { supersedes: (newer, queued) => newer % 2 === queued % 2 },
        ),
        toArray(),
      ),
    );
    src.next(1); // runs at once
    src.next(3); // queued, then superseded by 5
    src.next(2); // queued (another parity), kept
    src.next(5);
    src.complete();
    assert.deepEqual(await out, [10, 20, 50]);
    assert.deepEqual(started, [1, 2, 5]);
  });

  it("reports the dropped values and errors the stream when the work rejects", async () => {
    const src = new Subject<number>();
    const dropped: number[] = [];
    const out = lastValueFrom(
      src.pipe(
        concatConflate(
          async (v: number) => {
            await sleep(10);
            if (v === 3) throw new Error("boom");
            return v;
          },
          { supersedes: () => true, onDrop: (v) => dropped.push(v) },
        ),
        toArray(),
      ),
    );
    src.next(1);
    src.next(2);
    src.next(3);
    await assert.rejects(out, /boom/);
    assert.deepEqual(dropped, [2]);
  });
});

describe("debounceWithMaxWait leading", () => {
  it("emits a lone value at once, then debounces the burst that follows it", async () => {
    const src = new Subject<number>();
    const seen: [number, number][] = [];
    const t0 = performance.now();
    const sub = src
      .pipe(debounceWithMaxWait(40, 500, { leading: true }))
      .subscribe((v) => seen.push([v, performance.now() - t0]));
    src.next(1);
    assert.deepEqual(
      seen.map(([v]) => v),
      [1],
      "the first value is emitted synchronously",
    );
    src.next(2);
    src.next(3);
    await sleep(80);
    assert.deepEqual(
      seen.map(([v]) => v),
      [1, 3],
    );
    assert.ok(seen[1]![1] >= 35, `the burst waited for the quiet period (${seen[1]![1]} ms)`);
    await sleep(60); // quiet again: the next lone value goes through at once
    src.next(4);
    assert.deepEqual(
      seen.map(([v]) => v),
      [1, 3, 4],
    );
    sub.unsubscribe();
  });

  it("with eager, a value that would wait is emitted at once while eager() says so, dropping the wait", async () => {
    const src = new Subject<number>();
    const seen: number[] = [];
    let eagerLeft = 1;
    const sub = src
      .pipe(debounceWithMaxWait(30, 500, { leading: true, eager: () => eagerLeft-- > 0 }))
      .subscribe((v) => seen.push(v));
    src.next(1); // leading
    src.next(2); // eager: at once
    src.next(3); // no longer eager: waits for the quiet period
    assert.deepEqual(seen, [1, 2]);
    await sleep(60);
    assert.deepEqual(seen, [1, 2, 3]);
    sub.unsubscribe();
  });

  it("without leading, waits for the quiet period as before", async () => {
    const src = new Subject<number>();
    const seen: number[] = [];
    const sub = src.pipe(debounceWithMaxWait(30, 500)).subscribe((v) => seen.push(v));
    src.next(1);
    assert.deepEqual(seen, []);
    await sleep(60);
    assert.deepEqual(seen, [1]);
    sub.unsubscribe();
  });
});
