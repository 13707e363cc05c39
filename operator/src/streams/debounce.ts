/** RxJS operator: debounce with a maximum wait, so a steady stream of events still produces output. */
import { Observable, type OperatorFunction } from "rxjs";

/**
 * Emits the latest value once `quietMs` pass without a new one, or once `maxWaitMs` have passed since
 * the first value of the burst, whichever comes first. Completes after flushing when the source completes.
 */
export function debounceWithMaxWait<T>(quietMs: number, maxWaitMs: number): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | undefined;
      let quietTimer: NodeJS.Timeout | undefined;
      let maxTimer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        clearTimeout(quietTimer);
        clearTimeout(maxTimer);
        quietTimer = maxTimer = undefined;
        if (pending) {
          const { value } = pending;
          pending = undefined;
          subscriber.next(value);
        }
      };
      const sub = source.subscribe({
        next(value) {
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
