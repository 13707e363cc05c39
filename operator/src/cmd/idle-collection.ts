/**
 * A full garbage collection once the controller has gone quiet after passes (ADR 0034). V8 collects the old
 * generation when it grows to a limit set by the last collection, and starts its memory reducer only after such a
 * collection: a process that stops allocating after a burst of passes keeps the burst's garbage (and the pages under
 * it) until the next burst. At 1,000 routes that was ~40 MiB of RSS held for as long as nothing changed. The
 * controller command (not the Controller class: in-process tests run several in one process) starts one of these.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Observable, Subscription } from "rxjs";
import type { Logger } from "../log";

/** Quiet time after the last pass before collecting. */
export const DEFAULT_IDLE_MS = 10_000;
/** Heap growth since the last collection below which a quiet time collects nothing. */
export const DEFAULT_MIN_GROWTH_BYTES = 8 * 1024 * 1024;

/** What {@link IdleCollection} needs; the defaults are the controller's. */
export interface IdleCollectionOptions {
  readonly idleMs?: number;
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

/** Collects once per quiet time after passes when the heap grew (see the module comment). */
export class IdleCollection {
  private readonly idleMs: number;
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
    this.minGrowth = opts.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES;
    this.sub = passes$.subscribe(() => this.restart());
  }

  private restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.collect(), this.idleMs);
    this.timer.unref();
  }

  private collect(): void {
    this.timer = undefined;
    const before = process.memoryUsage().heapUsed;
    if (before - this.baseline < this.minGrowth) return;
    const start = performance.now();
    this.gc();
    this.baseline = process.memoryUsage().heapUsed;
    this.collections++;
    this.opts.log?.("debug", "collected garbage after the passes went quiet", {
      heapUsedBeforeMiB: Math.round(before / 2 ** 20),
      heapUsedAfterMiB: Math.round(this.baseline / 2 ** 20),
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
