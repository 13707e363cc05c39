/** RxJS operator: debounce with a maximum wait, so a steady stream of events still produces output. */
import { Observable, type OperatorFunction } from "rxjs";

/** Settings of {@link debounceWithMaxWait}. */
export interface DebounceOptions {
  /**
   * Emit a value at once when nothing was emitted for `quietMs` and no burst is pending (a lone change pays
   * no quiet period); the values right after it are debounced as usual. @default false
   */
  readonly leading?: boolean;
  /**
   * Asked for each value that would wait: true emits it at once all the same (and drops the wait in progress). For
   * a consumer that knows the next value is worth taking without delay, e.g. the file provider while it holds back
   * a half-written file (its next write event is likely the one that completes it). @default never
   */
  readonly eager?: () => boolean;
}

/**
 * Emits the latest value once `quietMs` pass without a new one, or once `maxWaitMs` have passed since
 * the first value of the burst, whichever comes first (with `leading`, the first value after a quiet
 * period at once). Completes after flushing when the source completes.
 */
export function debounceWithMaxWait<T>(
  quietMs: number,
  maxWaitMs: number,
  opts: DebounceOptions = {},
): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | undefined;
      let quietTimer: NodeJS.Timeout | undefined;
      let maxTimer: NodeJS.Timeout | undefined;
      let lastEmit = -Infinity;
      const flush = (): void => {
        clearTimeout(quietTimer);
        clearTimeout(maxTimer);
        quietTimer = maxTimer = undefined;
        if (pending) {
          const { value } = pending;
          pending = undefined;
          lastEmit = performance.now();
          subscriber.next(value);
        }
      };
      const sub = source.subscribe({
        next(value) {
          const idle = quietTimer === undefined && performance.now() - lastEmit >= quietMs;
          if ((opts.leading && idle) || opts.eager?.()) {
            pending = { value };
            flush();
            return;
          }
          pending = { value };
          clearTimeout(quietTimer);
          quietTimer = setTimeout(flush, quietMs);
          maxTimer ??= setTimeout(flush, maxWaitMs);
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        clearTimeout(quietTimer);
        clearTimeout(maxTimer);
        sub.unsubscribe();
      };
    });
}
