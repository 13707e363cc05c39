/**
 * A full garbage collection once the controller has gone quiet after passes (ADR 0034). V8 collects the old
 * generation when it grows to a limit set by the last collection, and starts its memory reducer only after such a
 * collection: a process that stops allocating after a burst of passes keeps the burst's garbage (and the pages under
 * it) until the next burst. At 1,000 routes that was ~40 MiB of RSS held for as long as nothing changed. The
 * controller command (not the Controller class: in-process tests run several in one process) starts one of these.
 *
 * A second full collection follows {@link DEFAULT_SETTLE_MS} later while it stays quiet (ADR 0035). V8 gives the
 * young generation's pages back (shrinks its semi-spaces from up to 16 MiB each to 1 MiB) only in a full collection
 * that finds the allocation rate since the previous collection low (over its last 5 s); the first one is measured
 * against the burst's last allocations. An idle controller still allocates (lease renewals, ~100 KB/s): too much for
 * V8's own memory reducer to start, little enough for this.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Observable, Subscription } from "rxjs";
import type { Logger } from "../log";

/** Quiet time after the last pass before collecting. */
export const DEFAULT_IDLE_MS = 10_000;
/** Time after a quiet time's collection until the second one (longer than V8's 5 s allocation-rate window). */
export const DEFAULT_SETTLE_MS = 6_000;
/** Heap growth since the last collection below which a quiet time collects nothing. */
export const DEFAULT_MIN_GROWTH_BYTES = 8 * 1024 * 1024;

/** What {@link IdleCollection} needs; the defaults are the controller's. */
export interface IdleCollectionOptions {
  readonly idleMs?: number;
  /** Time from a quiet time's collection to the second one, which lets V8 shrink the young generation. */
  readonly settleMs?: number;
  readonly minGrowthBytes?: number;
  readonly log?: Logger;
}

/**
 * V8's `gc()` without `--expose-gc` on the command line: the flag set at run time and the function taken from a new
 * context (the global of the main context is left as it was).
 */
export function exposedGc(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as unknown;
  if (typeof gc !== "function") throw new Error("V8 did not expose gc() after --expose-gc");
  return gc as () => void;
}

/** A V8 heap space's committed, resident and used bytes (`new_space` is the young generation). */
export function heapSpace(
  name: "new_space" | "old_space",
  spaces = getHeapSpaceStatistics(),
): { committed: number; resident: number; used: number } {
  const s = spaces.find((x) => x.space_name === name);
  return { committed: s?.space_size ?? 0, resident: s?.physical_space_size ?? 0, used: s?.space_used_size ?? 0 };
}

/** Collects twice per quiet time after passes when the heap grew (see the module comment). */
export class IdleCollection {
  private readonly idleMs: number;
  private readonly settleMs: number;
  private readonly minGrowth: number;
  private readonly gc = exposedGc();
  private readonly sub: Subscription;
  private timer: NodeJS.Timeout | undefined;
  /** Heap used right after the last collection (at start: when this was made). */
  private baseline = process.memoryUsage().heapUsed;
  /** Collections run so far. */
  collections = 0;

  constructor(
    passes$: Observable<unknown>,
    private readonly opts: IdleCollectionOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    this.settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
    this.minGrowth = opts.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES;
    this.sub = passes$.subscribe(() => this.restart());
  }

  /** A pass came: the quiet time starts again (a pending collection, first or second, is dropped). */
  private restart(): void {
    this.schedule(() => this.collect(), this.idleMs);
  }

  private schedule(fn: () => void, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
    this.timer.unref();
  }

  /** The quiet time's collection, when the heap grew; then the second one after `settleMs`. */
  private collect(): void {
    const before = process.memoryUsage().heapUsed;
    if (before - this.baseline < this.minGrowth) return;
    this.run("collected garbage after the passes went quiet", before);
    this.schedule(
      () => this.run("collected again once settled (the young generation given back)", process.memoryUsage().heapUsed),
      this.settleMs,
    );
  }

  private run(message: string, before: number): void {
    const start = performance.now();
    this.gc();
    this.baseline = process.memoryUsage().heapUsed;
    this.collections++;
    const spaces = getHeapSpaceStatistics();
    this.opts.log?.("debug", message, {
      heapUsedBeforeMiB: Math.round(before / 2 ** 20),
      heapUsedAfterMiB: Math.round(this.baseline / 2 ** 20),
      youngGenerationMiB: Math.round(heapSpace("new_space", spaces).committed / 2 ** 20),
      oldSpaceCommittedMiB: Math.round(heapSpace("old_space", spaces).committed / 2 ** 20),
      ms: Math.round(performance.now() - start),
    });
  }

  /** Stops watching passes; a pending collection is dropped. */
  close(): void {
    this.sub.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
