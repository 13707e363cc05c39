/**
 * A reflector: list + watch of one collection as a stream of events. It resumes a broken watch from the
 * last resourceVersion it saw (bookmarks keep that fresh), lists again on 410 Gone, and retries errors with
 * exponential backoff and jitter, forever, until unsubscribed.
 *
 * The backoff starts afresh whenever the API server answers (a list succeeds or a watch is established,
 * even on a quiet collection that delivers no event), and while the API server is unavailable (restarting:
 * connections refused, then 503/429 while it starts) it grows only to `unavailableMaxBackoffMs` (2 s), so
 * the watches resume within about that long once it is back, instead of after up to 30 s of a backoff that
 * kept growing through the outage.
 */
import { getEventListeners } from "node:events";
import { Observable } from "rxjs";
import type { Logger } from "../../log";
import type { KubeObject } from "../../resources/meta";
import type { UnservedKind } from "../../resources/snapshot";
import { describeError, KubeApiError, KubeConnectionError, type KubeClient, type WatchEvent } from "./client";

/** What a reflector emits. */
export type ReflectorEvent =
  /**
   * A full list: replaces everything known of the collection (first list and every relist). `unserved`: the
   * list got 404 and `absence` found the kind served only in other versions.
   */
  | { readonly type: "sync"; readonly items: readonly KubeObject[]; readonly unserved?: UnservedKind }
  /** An object was added or changed. */
  | { readonly type: "upsert"; readonly object: KubeObject }
  /** An object was deleted. */
  | { readonly type: "delete"; readonly object: KubeObject };

/** Reflector settings. */
export interface ReflectorOptions {
  /** First retry delay. @default 200 */
  readonly initialBackoffMs?: number;
  /** Longest retry delay. @default 30000 */
  readonly maxBackoffMs?: number;
  /**
   * Longest retry delay while the API server is unavailable (connection refused or cut, 429, 502, 503,
   * 504): short, so that the watches resume within about this long once it is back. @default 2000
   */
  readonly unavailableMaxBackoffMs?: number;
  /** A 404 on list means the CRD is absent: emit an empty sync and list again after this. @default 30000 */
  readonly absentRetryMs?: number;
  /** Treat a 404 on list as an absent optional kind (else as an error). @default false */
  readonly optional?: boolean;
  /** Run on every 404 of an optional kind: says whether the kind is served in other versions. @default none */
  readonly absence?: () => Promise<UnservedKind | undefined>;
  /** Logger. */
  readonly log: Logger;
  /** Counters for tests and metrics. */
  readonly stats?: ReflectorStats;
  /** apiVersion and kind to set on listed items (a list's items carry neither). */
  readonly stamp: { readonly apiVersion: string; readonly kind: string };
}

/** What a reflector did, for tests and metrics. */
export interface ReflectorStats {
  lists: number;
  watches: number;
  relistsOnGone: number;
  errors: number;
  /** Watch requests open now (one per reflector at most; more would be a leak). */
  open: number;
  /** Most abort listeners left on a reflector's signal after a retry's wait (0: none left behind; more: a leak). */
  maxAbortListeners: number;
  /** Watch events that changed only an object's status (stored, no snapshot: kubernetes-provider.ts). */
  statusOnly: number;
}

/** An empty ReflectorStats. */
export function newReflectorStats(): ReflectorStats {
  return { lists: 0, watches: 0, relistsOnGone: 0, errors: 0, open: 0, maxAbortListeners: 0, statusOnly: 0 };
}

/** The annotation `kubectl apply` keeps the whole object in (its previous configuration): never read by egts. */
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The object as the controller keeps it: apiVersion and kind set, and without what it never reads but what can
 * be as large as the object itself: `metadata.managedFields` and the `kubectl apply` annotation (a second copy of
 * the object: a Secret's data twice). Stripped at intake, so the cache holds one copy (ADR 0028).
 */
export function slim(o: KubeObject, stamp: ReflectorOptions["stamp"]): KubeObject {
  const { managedFields: _m, ...kept } = o.metadata as KubeObject["metadata"] & { managedFields?: unknown };
  let metadata: KubeObject["metadata"] = kept;
  if (kept.annotations && LAST_APPLIED in kept.annotations) {
    const { [LAST_APPLIED]: _l, ...annotations } = kept.annotations;
    metadata = { ...kept, annotations };
  }
  return { ...o, apiVersion: stamp.apiVersion, kind: stamp.kind, metadata };
}

/** A delay of `base * 2^attempt`, capped, with ±25% jitter so replicas do not retry in lockstep. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const capped = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped * (0.75 + 0.5 * random()));
}

/** HTTP answers of an API server that is starting, overloaded or behind a proxy that lost it. */
const UNAVAILABLE = new Set([429, 502, 503, 504]);

/**
 * Whether `err` says the API server is unavailable rather than that the request is wrong: no HTTP answer
 * at all (a KubeConnectionError: the connection was refused, failed or cut) or an answer above.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof KubeApiError) return UNAVAILABLE.has(err.status);
  return err instanceof KubeConnectionError;
}

/**
 * Waits `ms`, or less if `signal` aborts. The abort listener is removed when the time is up: the signal
 * lives as long as the reflector, and a listener left behind by every retry grew without bound while the
 * API server was down (MaxListenersExceededWarning after 10 retries).
 */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** List + watch of `path` (a collection path) as events; see the module comment. */
export function reflect(client: KubeClient, path: string, o: ReflectorOptions): Observable<ReflectorEvent> {
  const initial = o.initialBackoffMs ?? 200;
  const max = o.maxBackoffMs ?? 30_000;
  const unavailableMax = Math.min(max, o.unavailableMaxBackoffMs ?? 2000);
  const stats = o.stats ?? newReflectorStats();
  return new Observable<ReflectorEvent>((subscriber) => {
    const abort = new AbortController();
    const { signal } = abort;
    let resourceVersion: string | undefined;
    let attempt = 0;
    const onEvent = (e: WatchEvent): void => {
      if (e.type === "ERROR") {
        const status = e.object as unknown as { code?: number; message?: string };
        throw new KubeApiError(status.code ?? 500, "", `watch ${path}: ${status.message ?? "error event"}`);
      }
      resourceVersion = e.object.metadata.resourceVersion ?? resourceVersion;
      attempt = 0; // the watch delivers: the connection is healthy
      if (e.type === "BOOKMARK") return;
      const object = slim(e.object, o.stamp);
      subscriber.next(e.type === "DELETED" ? { type: "delete", object } : { type: "upsert", object });
    };
    const listOnce = async (): Promise<void> => {
      stats.lists++;
      try {
        const list = await client.list(path);
        resourceVersion = list.metadata.resourceVersion;
        attempt = 0; // the API server answers: the next failure starts the backoff afresh
        subscriber.next({ type: "sync", items: list.items.map((item) => slim(item, o.stamp)) });
      } catch (err) {
        if (!(o.optional && err instanceof KubeApiError && err.status === 404)) throw err;
        const unserved = await o.absence?.();
        subscriber.next({ type: "sync", items: [], ...(unserved ? { unserved } : {}) });
        await sleep(o.absentRetryMs ?? 30_000, signal);
      }
    };
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        try {
          if (resourceVersion === undefined) {
            await listOnce();
            if (resourceVersion === undefined) continue; // absent optional kind: list again
          }
          stats.watches++;
          stats.open++;
          try {
            await client.watch(path, resourceVersion, onEvent, signal, () => (attempt = 0));
          } finally {
            stats.open--;
          }
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof KubeApiError && (err.status === 410 || err.reason === "Expired")) {
            stats.relistsOnGone++;
            o.log("info", "watch expired; listing again", { path });
            resourceVersion = undefined;
            continue;
          }
          stats.errors++;
          const delay = backoffDelay(attempt++, initial, isUnavailable(err) ? unavailableMax : max);
          o.log("warn", "list/watch failed; retrying", { path, error: describeError(err), retryInMs: delay });
          await sleep(delay, signal);
          stats.maxAbortListeners = Math.max(stats.maxAbortListeners, getEventListeners(signal, "abort").length);
        }
      }
    };
    void loop();
    return () => abort.abort();
  });
}
