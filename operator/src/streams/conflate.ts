/** RxJS operator: run async work one value at a time, dropping queued values that a newer one supersedes. */
import { Observable, type OperatorFunction } from "rxjs";

/** Settings of {@link concatConflate}. */
export interface ConflateOptions<T> {
  /** Whether `newer` makes the queued value `queued` pointless (level-based work: the newer state covers it). */
  readonly supersedes: (newer: T, queued: T) => boolean;
  /** Called for each queued value dropped. @default nothing */
  readonly onDrop?: (dropped: T) => void;
}

/**
 * Like `concatMap(v => from(project(v)))`: one `project` at a time, in order, every result emitted; but a
 * value waiting in the queue is dropped when a newer value {@link ConflateOptions.supersedes} it. So a stream of
 * snapshots arriving faster than passes complete runs the pass in progress and then only the latest snapshot,
 * instead of every snapshot in between, each older than the last. A rejection of `project` errors the stream.
 */
export function concatConflate<T, R>(project: (v: T) => Promise<R>, opts: ConflateOptions<T>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let queue: T[] = [];
      let running = false;
      let sourceDone = false;
      const drain = (): void => {
        if (running) return;
        const next = queue.shift();
        if (next === undefined) {
          if (sourceDone) subscriber.complete();
          return;
        }
        running = true;
        project(next).then(
          (r) => {
            running = false;
            subscriber.next(r);
            drain();
          },
          (err: unknown) => subscriber.error(err),
        );
      };
      const sub = source.subscribe({
        next(v) {
          queue = queue.filter((q) => {
            const keep = !opts.supersedes(v, q);
            if (!keep) opts.onDrop?.(q);
            return keep;
          });
          queue.push(v);
          drain();
        },
        error: (err) => subscriber.error(err),
        complete() {
          sourceDone = true;
          drain();
        },
      });
      return () => {
        queue = [];
        sub.unsubscribe();
      };
    });
}
