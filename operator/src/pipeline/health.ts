/**
 * Pipeline health: whether passes are completing. Not ready before the first pass, when the last pass
 * failed, or when a snapshot arrived and no pass completed within a bound (a stuck pass). The controller's
 * `/readyz` answers 503 with the reason; standalone reports the same in its events and log.
 */

/** Readiness, with the reason when not ready. */
export interface Readiness {
  /** Whether the pipeline is live and its last pass succeeded. */
  readonly ready: boolean;
  /** Why not, for /readyz and logs; "ok" when ready. */
  readonly reason: string;
}

/** How long a snapshot may wait for its pass before the pipeline counts as stuck. @default 60000 */
export const DEFAULT_STUCK_AFTER_MS = 60_000;

/** Tracks pass outcomes; `now` is injected so tests and callers decide the clock. */
export class PipelineHealth {
  /** Arrival times of the snapshots whose pass has not ended, oldest first (passes run in order). */
  private readonly pending: number[] = [];
  private completed = 0;
  private lastError?: string;

  constructor(
    private readonly stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A snapshot arrived: a pass is due. */
  snapshotArrived(): void {
    this.pending.push(this.now());
  }

  /** A pass completed. */
  passSucceeded(): void {
    this.completed++;
    this.pending.shift();
    this.lastError = undefined;
  }

  /** A pass threw: the previous configuration keeps serving. */
  passFailed(error: unknown): void {
    this.pending.shift();
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** The current readiness. */
  readiness(): Readiness {
    if (this.lastError !== undefined) {
      return { ready: false, reason: `the last translation pass failed: ${this.lastError}` };
    }
    const waited = this.pending.length === 0 ? 0 : this.now() - this.pending[0];
    if (waited > this.stuckAfterMs) {
      return { ready: false, reason: `no translation pass completed in ${Math.round(waited / 1000)} s` };
    }
    if (this.completed === 0) return { ready: false, reason: "waiting for the initial sync" };
    return { ready: true, reason: "ok" };
  }
}
