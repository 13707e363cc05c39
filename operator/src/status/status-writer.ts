/**
 * The status writer: the one edge that writes status to the API server. It compares each desired status
 * (merged into the live object's, see merge-status.ts) with the live one and patches only what changed,
 * with the live resourceVersion as a precondition so a concurrent change is never overwritten, and never
 * over a status written from a newer generation than the one translated (another replica ahead of us).
 *
 * It also remembers the resourceVersion each of its own writes produced: a snapshot whose copy of an object
 * is older than that (the watch has not delivered our write yet, or the pass ran on a snapshot queued before
 * it) is behind for that object, and its status is not written: it would fail the precondition (a 409), or,
 * worse, put back an older status (attachedRoutes counting fewer routes). The watch event of our write
 * brings a newer snapshot, whose pass writes what is still different.
 */
import { HttpMethod } from "../provider/kubernetes/http-method";
import type { Logger } from "../log";
import type { StatusUpdateMetrics } from "../metrics/control-plane";
import type { KubeObject } from "../resources/meta";
import type { StatusUpdate } from "../translate/conditions";
import { describeError, KubeApiError, type KubeClient } from "../provider/kubernetes/client";
import { objectPath, WATCHED_KINDS, type WatchedKind } from "../provider/kubernetes/kinds";
import { liveIsNewer, mergeStatus, statusChanged } from "./merge-status";

/** What the writer did, for tests and metrics. */
export interface StatusWriterStats {
  /** Status patches sent and accepted. */
  writes: number;
  /** Desired statuses equal to the live ones: nothing sent. */
  unchanged: number;
  /** Patches refused because the object changed meanwhile (the next snapshot retries). */
  conflicts: number;
  /** Desired statuses older than the live ones (observedGeneration behind): nothing sent. */
  stale: number;
  /** Objects whose copy in the snapshot predates our own last write of their status: nothing sent. */
  behind: number;
  /** Other failures. */
  errors: number;
}

/** Status writer settings. */
export interface StatusWriterOptions {
  /** Our controller name: route parents and policy ancestors of other controllers are kept. */
  readonly controllerName: string;
  /** Logger. */
  readonly log: Logger;
  /** The clock for lastTransitionTime. @default now, RFC 3339 in seconds */
  readonly now?: () => string;
  /** Envoy Gateway's status_update_* metrics. @default none */
  readonly metrics?: StatusUpdateMetrics;
}

/** An object as listed, with its status. */
type LiveObject = KubeObject & { readonly status?: unknown };

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** `kind/namespace/name`. */
export function statusKey(o: { kind: string; namespace?: string; name: string }): string {
  return `${o.kind}/${o.namespace ?? ""}/${o.name}`;
}

/**
 * Whether resourceVersion `a` is older than `b`. kube-apiserver's are etcd revisions, decimal integers that
 * grow with every write; a version that is not one (another storage) is never called older.
 */
export function olderVersion(a: string | undefined, b: string): boolean {
  if (a === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

/** Writes statuses; see the module comment. */
export class StatusWriter {
  /** Counters. */
  readonly stats: StatusWriterStats = { writes: 0, unchanged: 0, conflicts: 0, stale: 0, behind: 0, errors: 0 };
  /** The resourceVersion our last status write of each object produced, by {@link statusKey}. */
  private readonly written = new Map<string, string>();
  /** The kinds it writes, by `group/kind`. */
  private readonly kinds = new Map<string, WatchedKind>(WATCHED_KINDS.map((k) => [kindKey(k.group, k.kind), k]));

  constructor(
    private readonly client: KubeClient,
    private readonly opts: StatusWriterOptions,
  ) {}

  /**
   * Also writes statuses of `kinds` (the kinds extension servers own, their REST plural found by discovery:
   * extension-owned policies get Accepted ancestors as the built-in policies do).
   */
  addKinds(kinds: readonly WatchedKind[]): void {
    for (const k of kinds) if (!this.kinds.has(kindKey(k.group, k.kind))) this.kinds.set(kindKey(k.group, k.kind), k);
  }

  /**
   * Writes every update whose object is among `live` (objects already deleted are skipped) and differs
   * from it. Resolves when all patches are done; failures are counted and logged, never thrown.
   */
  async write(updates: readonly StatusUpdate[], live: readonly LiveObject[]): Promise<void> {
    const byKey = new Map(live.map((o) => [statusKey({ ...o.metadata, kind: o.kind }), o]));
    const now = (this.opts.now ?? rfc3339Now)();
    // Deleted objects' versions are forgotten (no growth under churn).
    for (const key of this.written.keys()) if (!byKey.has(key)) this.written.delete(key);
    await Promise.all(updates.map((u) => this.writeOne(u, byKey.get(statusKey(u)), now)));
  }

  /**
   * Why `u` must not be written over `live`: `live` predates our own last write of it (`behind`), or its
   * status comes from a newer generation than `u` (`stale`); undefined when it may be.
   */
  private notNewer(key: string, u: StatusUpdate, live: LiveObject): "behind" | "stale" | undefined {
    const ours = this.written.get(key);
    if (ours !== undefined && olderVersion(live.metadata.resourceVersion, ours)) return "behind";
    return liveIsNewer(live.status, u.status, this.opts.controllerName) ? "stale" : undefined;
  }

  /** Notes the resourceVersion our write produced (the PATCH's answer). */
  private remember(key: string, after: Partial<LiveObject>): void {
    const version = after.metadata?.resourceVersion;
    if (version !== undefined) this.written.set(key, version);
  }

  private async writeOne(u: StatusUpdate, live: LiveObject | undefined, now: string): Promise<void> {
    const slash = u.apiVersion.lastIndexOf("/");
    const kind = this.kinds.get(kindKey(slash < 0 ? "" : u.apiVersion.slice(0, slash), u.kind));
    if (!live || !kind) return;
    const key = statusKey(u);
    const skip = this.notNewer(key, u, live);
    if (skip) {
      this.stats[skip]++;
      return;
    }
    const next = mergeStatus(live.status, u.status, this.opts.controllerName, now);
    if (!statusChanged(live.status, next)) {
      this.stats.unchanged++;
      this.opts.metrics?.statusUpdate(u.kind, "no_action");
      return;
    }
    const path = `${objectPath(kind, u.name, u.namespace)}/status`;
    const body = { metadata: { resourceVersion: live.metadata.resourceVersion }, status: next };
    const start = performance.now();
    const seconds = (): number => (performance.now() - start) / 1000;
    try {
      const after = await this.client.request<Partial<LiveObject>>(HttpMethod.PATCH, path, {
        body: JSON.stringify(body),
        contentType: "application/merge-patch+json",
      });
      this.remember(key, after);
      this.stats.writes++;
      this.opts.metrics?.statusUpdate(u.kind, "success", seconds());
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 409 || err.status === 404)) {
        this.stats.conflicts++;
        this.opts.metrics?.statusUpdate(u.kind, "conflict", seconds());
        return;
      }
      this.stats.errors++;
      this.opts.metrics?.statusUpdate(u.kind, "error", seconds());
      this.opts.log("warn", "status write failed", { object: statusKey(u), error: describeError(err) });
    }
  }
}
