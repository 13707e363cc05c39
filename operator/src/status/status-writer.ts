/**
 * The status writer: the one edge that writes status to the API server. It compares each desired status
 * (merged into the live object's, see merge-status.ts) with the live one and patches only what changed,
 * with the live resourceVersion as a precondition so a concurrent change is never overwritten, and never
 * over a status written from a newer generation than the one translated (another replica ahead of us).
 *
 * It also remembers what each of its own writes produced (the PATCH's answer: resourceVersion and status). A
 * snapshot whose copy of an object is older than that (the watch has not delivered our write yet) is behind for
 * that object: the desired status is compared with, merged into and preconditioned on our own last write
 * instead of the snapshot's copy (ADR 0022). Compared with the stale copy it would look changed, fail the
 * precondition (a 409) and need another pass; skipping it (ADR 0011) also needed another pass, a full
 * translation, before the object got the status of the newer inputs (the Gateway's attachedRoutes, the last
 * thing an attach waits for). Passes run on ever newer snapshots (the controller's queue keeps their order), so
 * the desired status is never older than the one we wrote; a write by anyone else since ours fails the
 * precondition and is retried on a later pass. The remembered status is dropped once a snapshot has our write.
 *
 * A pass re-sends every object's desired status, nearly all of them unchanged. What was found unchanged is
 * remembered with the live copy it was compared with: the same live copy (the provider keeps an object's copy
 * until its watch event) and the same desired status again are unchanged again, found without merging
 * (mergeStatus allocates a new status per object), so a pass's status stage costs O(changed objects).
 *
 * While the input is still arriving (a newer pass is on its way when a write is due), a status that changed
 * since the last pass is held for that pass (ADR 0029): it is written once a pass finds the same desired status
 * again (it stopped changing: a new route's Accepted, one pass late), once no newer pass is on its way (the
 * input settled), or once it has been held for `maxHoldMs`. A status that changes with every pass (a Gateway's
 * attachedRoutes while 1,000 routes are created) is written once, when the creates end, not once per pass.
 *
 * With `countQuietMs`, a change of nothing but listeners' `attachedRoutes` is held even when no newer pass is on its
 * way (route creates may come slower than passes, so a burst has lulls between them): a timer writes it
 * `countQuietMs` after its pass unless input came meanwhile (then the pass on its way finds the same count and
 * writes it, or holds the new one). A Gateway's count lags its routes by about that much, and is written once per
 * burst of route changes, not once per lull between passes (ADR 0033).
 */
import { HttpMethod } from "../provider/kubernetes/http-method";
import type { Logger } from "../log";
import type { StatusUpdateMetrics } from "../metrics/control-plane";
import type { KubeObject } from "../resources/meta";
import type { StatusUpdate } from "../translate/conditions";
import { describeError, KubeApiError, type KubeClient } from "../provider/kubernetes/client";
import { objectPath, WATCHED_KINDS, type WatchedKind } from "../provider/kubernetes/kinds";
import { liveIsNewer, mergeStatus, onlyAttachedRoutesChanged, sameJson, statusChanged } from "./merge-status";

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
  /**
   * Objects whose copy in the snapshot predates our own last write of their status, and which our own write
   * did not tell apart (no status remembered): nothing sent, a later pass retries.
   */
  behind: number;
  /** Objects whose copy in the snapshot predates our own last write: compared with our write instead. */
  ownWrite: number;
  /** Other failures. */
  errors: number;
  /** Writes not started because a later pass's write of the same object was queued behind the same in-flight write. */
  superseded: number;
  /** Changed statuses held for the newer pass on its way (see the module comment). */
  held: number;
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
  /**
   * How long a status that keeps changing while newer passes keep coming is held at most (ms).
   * @default {@link DEFAULT_MAX_HOLD_MS}
   */
  readonly maxHoldMs?: number;
  /**
   * How long a change of listeners' `attachedRoutes` alone waits for the count to stay the same (ms; see the module
   * comment; the controller: {@link DEFAULT_COUNT_QUIET_MS}). @default 0: not held
   */
  readonly countQuietMs?: number;
}

/** Options of one {@link StatusWriter.write} call. */
export interface WriteOptions {
  /**
   * Whether a newer pass is on its way (its input arrived; asked when a write is due): changed statuses are
   * held for it (see the module comment). @default never
   */
  readonly newerPass?: () => boolean;
}

/** {@link StatusWriterOptions.maxHoldMs}'s default: a status is at most this late under continuous input. */
export const DEFAULT_MAX_HOLD_MS = 30_000;

/** The controller's {@link StatusWriterOptions.countQuietMs}. */
export const DEFAULT_COUNT_QUIET_MS = 500;

/** A changed status held for a newer pass. */
interface Held {
  /** The desired status held. */
  readonly desired: unknown;
  /** When the object's first held status was held (performance.now()). */
  readonly since: number;
  /** A count-only change held with no newer pass on its way: what its timer writes. */
  readonly quiet?: {
    readonly u: StatusUpdate;
    readonly live: LiveObject;
    readonly timer: NodeJS.Timeout;
    /** The holding pass's: when input came after it, its timer leaves the status to the pass on its way. */
    readonly newerPass?: () => boolean;
  };
}

/** An object as listed, with its status. */
type LiveObject = KubeObject & { readonly status?: unknown };

/** What our last status write of an object produced (the PATCH's answer). */
interface OwnWrite {
  readonly version: string;
  /** The status as stored; dropped (undefined) once a snapshot's copy is not older than `version`. */
  status?: unknown;
}

/** A desired status found equal to the live copy it was compared with. */
interface Settled {
  readonly live: LiveObject;
  readonly desired: unknown;
}

/** The status and version a desired status is compared with, merged into and preconditioned on; or a status to write. */
interface Base {
  readonly status: unknown;
  readonly resourceVersion: string | undefined;
}

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

/**
 * Kinds whose status writes do not queue behind other writes (`RequestOptions.urgent`, the client's few urgent
 * connections, ADR 0036): a few objects whose status sums up the rest (a Gateway's `attachedRoutes`, listeners). Queued in call order with a burst of
 * route statuses, the Gateway's write of the last pass waited behind the earlier passes' (~1 s at 1,000 routes).
 */
const URGENT_KINDS: ReadonlySet<string> = new Set(["GatewayClass", "Gateway", "ListenerSet"]);

/** Writes statuses; see the module comment. */
export class StatusWriter {
  /** Counters. */
  readonly stats: StatusWriterStats = {
    writes: 0,
    unchanged: 0,
    conflicts: 0,
    stale: 0,
    behind: 0,
    ownWrite: 0,
    errors: 0,
    superseded: 0,
    held: 0,
  };
  /** What our last status write of each object produced, by {@link statusKey}. */
  private readonly written = new Map<string, OwnWrite>();
  /** Desired statuses found unchanged, and the live copy they were compared with, by {@link statusKey}. */
  private readonly settled = new Map<string, Settled>();
  /** Changed statuses held for a newer pass, by {@link statusKey}. */
  private readonly held = new Map<string, Held>();
  /** The last write started of each object still in flight, by {@link statusKey}. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The newest call's number for each object with a write waiting or in flight, by {@link statusKey}. */
  private readonly newest = new Map<string, number>();
  private calls = 0;
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
  async write(updates: readonly StatusUpdate[], live: readonly LiveObject[], opts: WriteOptions = {}): Promise<void> {
    const byKey = new Map(live.map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
    const now = (this.opts.now ?? rfc3339Now)();
    // Deleted objects' versions, settled and held statuses are forgotten (no growth under churn).
    for (const memo of [this.written, this.settled]) {
      for (const key of memo.keys()) if (!byKey.has(key)) memo.delete(key);
    }
    for (const key of [...this.held.keys()]) if (!byKey.has(key)) this.forget(key);
    await Promise.all(
      updates.map((u) => {
        const key = statusKey(u);
        return this.inOrder(key, () => this.writeOne(u, byKey.get(key), now, opts));
      }),
    );
  }

  /**
   * Runs `fn` once the write of the same object that an earlier call started is done: writes of one object
   * stay in call order (each compared with the one before, ADR 0022), writes of other objects do not wait; a
   * waiting write that a later call of the same object overtakes is dropped (counted as superseded).
   */
  private inOrder(key: string, fn: () => Promise<void>): Promise<void> {
    const before = this.inFlight.get(key);
    const call = ++this.calls;
    this.newest.set(key, call);
    // A write still waiting when a later call of the same object arrives is not sent: the later one carries
    // the newer desired status (one write per object however many passes went by meanwhile).
    const mine = before
      ? before.then(() => {
          if (this.newest.get(key) === call) return fn();
          this.stats.superseded++;
          return undefined;
        })
      : fn();
    this.inFlight.set(key, mine);
    void mine.finally(() => {
      if (this.inFlight.get(key) === mine) this.inFlight.delete(key);
      if (this.newest.get(key) === call) this.newest.delete(key);
    });
    return mine;
  }

  /**
   * What `u` is compared with: the snapshot's copy, or our own last write when the copy predates it (the
   * remembered status dropped once a copy caught up); undefined when the copy predates a write whose status
   * is not remembered (counted as behind).
   */
  private baseOf(key: string, live: LiveObject): Base | undefined {
    const ours = this.written.get(key);
    const version = live.metadata.resourceVersion;
    if (ours === undefined || !olderVersion(version, ours.version)) {
      if (ours) ours.status = undefined;
      return { status: live.status, resourceVersion: version };
    }
    if (ours.status === undefined) return undefined;
    this.stats.ownWrite++;
    return { status: ours.status, resourceVersion: ours.version };
  }

  /** Notes what our write produced (the PATCH's answer). */
  private remember(key: string, after: Partial<LiveObject>): void {
    const version = after.metadata?.resourceVersion;
    if (version !== undefined) this.written.set(key, { version, status: after.status });
  }

  /** Whether `desired` was found unchanged against this very `live` copy before (else forgets what was). */
  private settledAgain(key: string, live: LiveObject, desired: unknown): boolean {
    const settled = this.settled.get(key);
    if (settled && settled.live === live && sameJson(settled.desired, desired)) return true;
    this.settled.delete(key);
    return false;
  }

  /**
   * The status to write for `u` and what it is preconditioned on, or undefined when nothing is to be sent
   * (counted: unchanged, behind, stale or held). `hold` null: the write of a held status, not held again.
   */
  private toWrite(
    u: StatusUpdate,
    key: string,
    live: LiveObject,
    now: string,
    hold: WriteOptions | null,
  ): Base | undefined {
    if (this.settledAgain(key, live, u.status)) return this.unchanged(u, key);
    const base = this.baseOf(key, live);
    if (!base) {
      this.stats.behind++;
      return undefined;
    }
    if (liveIsNewer(base.status, u.status, this.opts.controllerName)) {
      this.stats.stale++;
      return undefined;
    }
    const next = mergeStatus(base.status, u.status, this.opts.controllerName, now);
    if (statusChanged(base.status, next)) {
      const quiet = (this.opts.countQuietMs ?? 0) > 0 && onlyAttachedRoutesChanged(base.status, next);
      return hold && this.holds(key, u, live, hold, quiet)
        ? undefined
        : { status: next, resourceVersion: base.resourceVersion };
    }
    // Compared with our own write, not with `live`: `live` may still be merged differently next time.
    if (base.status === live.status) this.settled.set(key, { live, desired: u.status });
    return this.unchanged(u, key);
  }

  /**
   * Whether `u`'s changed status is held: not when the last pass held the same status (it stopped changing) or when
   * the object's status has been held for `maxHoldMs`; else when a newer pass is on its way (held for it), or when the
   * change is `quiet` (a count-only change: held for `countQuietMs`, then its timer writes it).
   */
  private holds(key: string, u: StatusUpdate, live: LiveObject, hold: WriteOptions, quiet: boolean): boolean {
    const held = this.held.get(key);
    const now = performance.now();
    const waitsForPass = hold.newerPass?.() === true;
    if ((!waitsForPass && !quiet) || (held && this.heldEnough(held, u.status, now))) {
      this.forget(key);
      return false;
    }
    if (held?.quiet) clearTimeout(held.quiet.timer);
    const timer = waitsForPass ? undefined : setTimeout(() => this.writeQuiet(key), this.opts.countQuietMs);
    timer?.unref();
    this.held.set(key, {
      desired: u.status,
      since: held?.since ?? now,
      ...(timer ? { quiet: { u, live, timer, ...(hold.newerPass ? { newerPass: hold.newerPass } : {}) } } : {}),
    });
    this.stats.held++;
    return true;
  }

  /** Whether `held` is to be written with `desired`: the same status again, or held for `maxHoldMs`. */
  private heldEnough(held: Held, desired: unknown, now: number): boolean {
    return sameJson(held.desired, desired) || now - held.since >= (this.opts.maxHoldMs ?? DEFAULT_MAX_HOLD_MS);
  }

  /** Drops what is held for `key`, and its timer. */
  private forget(key: string): void {
    const held = this.held.get(key);
    if (held?.quiet) clearTimeout(held.quiet.timer);
    this.held.delete(key);
  }

  /**
   * A count-only change's quiet time is over: written, unless input arrived after its pass (the pass on its way finds
   * the count again or holds the new one) or a later call took it over meanwhile.
   */
  private writeQuiet(key: string): void {
    const held = this.held.get(key);
    if (!held?.quiet) return;
    const { u, live, newerPass } = held.quiet;
    if (newerPass?.()) {
      this.held.set(key, { desired: held.desired, since: held.since });
      return;
    }
    void this.inOrder(key, async () => {
      if (this.held.get(key) !== held) return; // a later pass held or wrote a newer status
      this.held.delete(key);
      await this.writeOne(u, live, (this.opts.now ?? rfc3339Now)(), null);
    });
  }

  /** Stops the timers of held count-only changes (they are not written). */
  close(): void {
    for (const key of [...this.held.keys()]) this.forget(key);
  }

  private unchanged(u: StatusUpdate, key: string): undefined {
    this.forget(key);
    this.stats.unchanged++;
    this.opts.metrics?.statusUpdate(u.kind, "no_action");
    return undefined;
  }

  private async writeOne(
    u: StatusUpdate,
    live: LiveObject | undefined,
    now: string,
    hold: WriteOptions | null,
  ): Promise<void> {
    const slash = u.apiVersion.lastIndexOf("/");
    const kind = this.kinds.get(kindKey(slash < 0 ? "" : u.apiVersion.slice(0, slash), u.kind));
    if (!live || !kind) return;
    const key = statusKey(u);
    const write = this.toWrite(u, key, live, now, hold);
    if (!write) return;
    const path = `${objectPath(kind, u.name, u.namespace)}/status`;
    const body = { metadata: { resourceVersion: write.resourceVersion }, status: write.status };
    const start = performance.now();
    const seconds = (): number => (performance.now() - start) / 1000;
    try {
      const after = await this.client.request<Partial<LiveObject>>(HttpMethod.PATCH, path, {
        body: JSON.stringify(body),
        contentType: "application/merge-patch+json",
        urgent: URGENT_KINDS.has(u.kind),
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
