/**
 * When Envoy NACKs an update anyway (a value translate-time validation missed), one route must not hold
 * back every other route of the listener: the route-level objects are bisected — translated and published
 * with some of them left out, waiting for each trial's ACK/NACK — until the ones Envoy rejects are found.
 * They are quarantined (left out of translation until their content changes) and reported on their
 * status with Envoy's error; the rest is published without them.
 *
 * The same search covers EnvoyPatchPolicies (a patch Envoy refuses although `envoy --mode validate` passed it, or
 * unchecked in Kubernetes): the culprit's patches are left out and it is Programmed=False; and a NACK naming a Wasm
 * plugin Envoy could not create quarantines that entry directly (wasm-nack.ts).
 *
 * Translation stays pure: the quarantine is a snapshot filter ({@link withoutSuspects}) applied before it.
 */
import { filter, map, Subject, type Observable, type Subscription } from "rxjs";
import type { Logger } from "../log";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { CacheChange } from "../xds/cache/snapshot-cache";
import type { XdsEvent } from "../xds/server/types";
import type { StatusUpdate } from "../translate/conditions";
import { TypeUrl } from "../xds/types";
import { ListenerFailures, listenerBindErrors, withListenerFailures } from "./listener-nack";
import { extensionPolicyObjects, objectKeyOf, suspectObjects, withoutSuspects, type SuspectRef } from "./nack-suspects";
import { quarantinedStatuses } from "./quarantine-status";
import { wasmCulprits } from "./wasm-nack";

/** A trial: publish the snapshot without `exclude`, then say whether the node accepted it. */
export type Trial = (exclude: ReadonlySet<string>) => Promise<boolean>;

/** What a trial's publish got back from Envoy. */
export interface TrialOutcome {
  /** Every changed type was ACKed (or timed out). */
  readonly ok: boolean;
  /** Envoy's error_detail of the NACK. */
  readonly error?: string;
}

/**
 * Finds the suspects Envoy rejects. Starts from everything but the suspects (which must be accepted),
 * then adds suspects back half by half: a half that is accepted joins the accepted set, a rejected single
 * suspect is a culprit. Trials: about 2·k·log2(n) for k culprits among n suspects.
 */
export async function findCulprits(
  suspects: readonly string[],
  trial: Trial,
): Promise<{ culprits: string[]; trials: number }> {
  let excluded = new Set(suspects);
  const culprits: string[] = [];
  let trials = 0;
  const tryWithout = async (ex: Set<string>): Promise<boolean> => {
    trials++;
    return trial(ex);
  };
  if (!(await tryWithout(excluded))) return { culprits: [], trials }; // not caused by these routes
  const search = async (group: readonly string[]): Promise<void> => {
    const inGroup = new Set(group);
    const withGroup = new Set([...excluded].filter((k) => !inGroup.has(k)));
    if (await tryWithout(withGroup)) {
      excluded = withGroup;
      return;
    }
    if (group.length === 1) {
      culprits.push(group[0]);
      return;
    }
    const mid = Math.ceil(group.length / 2);
    await search(group.slice(0, mid));
    await search(group.slice(mid));
  };
  if (suspects.length > 0) await search(suspects);
  await tryWithout(new Set(excluded)); // leave the cache on the accepted set
  return { culprits, trials };
}

/** Longest Envoy error kept for a status message. */
const MAX_REASON = 500;

/** One link of a proto validation error's chain: `<Field>: embedded message failed validation | caused by <Type>ValidationError.` */
const EMBEDDED_LINK = /: embedded message failed validation \| caused by \w+ValidationError\./g;

/**
 * The reason part of a NACK's error_detail. Envoy prefixes proto validation errors with a dump of the
 * whole rejected resource (every route of the listener, other tenants' included), which must not reach
 * one route's status: only the text after the dump's last newline-colon is kept. Its chain of embedded messages
 * (`RouteConfigurationValidationError.VirtualHosts[0]: embedded message failed validation | caused by
 * VirtualHostValidationError.Routes[0]: …`) becomes one field path (`RouteConfiguration.VirtualHosts[0].Routes[0]…`),
 * so that the failing field and Envoy's words about it fit in the 500 characters kept.
 */
export function envoyReason(error: string): string {
  const cut = error.lastIndexOf("\n: ");
  const reason = (cut >= 0 ? error.slice(cut + 3) : error)
    .trim()
    .replace(EMBEDDED_LINK, ".")
    .replace(/\b(\w+)ValidationError\./, "$1.");
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
}

/** A quarantined route: left out of translation until its content changes. */
export interface QuarantineEntry {
  /** Content hash when Envoy rejected it. */
  readonly hash: string;
  /** Envoy's error_detail. */
  readonly error: string;
}

/**
 * Objects Envoy rejected, by key (nack-suspects.ts): routes, EnvoyPatchPolicies, Wasm entries of
 * EnvoyExtensionPolicies. `excluded(snapshot)` is the filter to translate with; an entry whose object changed or
 * disappeared is released (it is tried again).
 */
export class Quarantine {
  private readonly entries = new Map<string, QuarantineEntry>();
  /** Suspect content (key → hash) last seen accepted by Envoy; when `acceptedList` is set, not made from it yet. */
  private accepted = new Map<string, string>();
  /**
   * The suspects of the last snapshot Envoy accepted with nothing held back, which are then all the accepted content:
   * kept as they are, and made into `accepted` only when a NACK reads it (a pass costs nothing here).
   */
  private acceptedList?: readonly SuspectRef[];

  /** Quarantines `key` (its object at `hash`) with Envoy's error (its reason only, see {@link envoyReason}). */
  add(key: string, hash: string, error: string): void {
    this.entries.set(key, { hash, error: envoyReason(error) });
  }

  /**
   * Records that these objects (at these hashes: every suspect object of a snapshot) were accepted by Envoy, and
   * forgets objects no longer among them (no growth under churn).
   */
  markAccepted(objects: readonly SuspectRef[], except: ReadonlySet<string>): void {
    if (except.size === 0) {
      this.acceptedList = objects;
      return;
    }
    const accepted = this.acceptedContent();
    for (const r of objects) if (!except.has(r.key)) accepted.set(r.key, r.hash);
    if (accepted.size <= objects.length) return;
    const current = new Set(objects.map((r) => r.key));
    for (const key of accepted.keys()) if (!current.has(key)) accepted.delete(key);
  }

  /** Keys of objects not known to be accepted at their current content: the suspects of a NACK. */
  suspects(objects: readonly SuspectRef[]): string[] {
    const accepted = this.acceptedContent();
    return objects.filter((r) => accepted.get(r.key) !== r.hash && !this.entries.has(r.key)).map((r) => r.key);
  }

  /** The accepted content by key, made from {@link acceptedList} when that is newer. */
  private acceptedContent(): Map<string, string> {
    if (this.acceptedList) {
      this.accepted = new Map(this.acceptedList.map((r) => [r.key, r.hash]));
      this.acceptedList = undefined;
    }
    return this.accepted;
  }

  /** The keys to leave out of `snapshot`'s translation; releases entries whose object changed. */
  excluded(snapshot: ResourceSnapshot): Set<string> {
    if (this.entries.size === 0) return new Set(); // nothing held: nothing to release
    const now = new Map([...suspectObjects(snapshot), ...extensionPolicyObjects(snapshot)].map((r) => [r.key, r.hash]));
    for (const [key, e] of [...this.entries]) if (now.get(objectKeyOf(key)) !== e.hash) this.entries.delete(key);
    return new Set(this.entries.keys());
  }

  /**
   * `translated` (a pass's statuses) with what the quarantine holds: Accepted=False on quarantined routes,
   * Programmed=False on quarantined EnvoyPatchPolicies, Envoy's reason on quarantined Wasm entries
   * (quarantine-status.ts).
   */
  statuses(
    translated: readonly StatusUpdate[],
    snapshot: ResourceSnapshot,
    controllerName: string,
  ): readonly StatusUpdate[] {
    return quarantinedStatuses(translated, this.entries, snapshot, controllerName);
  }
}

/**
 * Waits for the outcome of the cache change of `nodeId` that `publish()` makes: true when every changed
 * type was ACKed (or nothing changed and `currentOk`), false on any NACK. A type that gets no answer
 * within `timeoutMs` (no Envoy connected) counts as accepted.
 * Resolves with Envoy's error on a NACK.
 */
export async function publishAndWait(
  nodeId: string,
  changes$: Observable<CacheChange>,
  events$: Observable<XdsEvent>,
  publish: () => unknown,
  opts: { readonly timeoutMs: number; readonly currentOk: boolean },
): Promise<TrialOutcome> {
  let change: CacheChange | undefined;
  const answers: XdsEvent[] = [];
  // Responses sent for this trial, by stream and nonce: a node may have several streams of one type (VHDS, one per
  // route configuration, ADR 0008), so one stream's ACK of a type does not stand for the others' answers.
  const unanswered = new Set<string>();
  const key = (e: XdsEvent): string => `${e.streamId}/${e.nonce ?? ""}`;
  let notify = (): void => undefined;
  const sub = changes$.pipe(filter((c) => c.nodeId === nodeId)).subscribe((c) => (change = c));
  const evSub = events$
    .pipe(filter((e) => e.nodeId === nodeId && (e.kind === "sent" || e.kind === "ack" || e.kind === "nack")))
    .subscribe((e) => {
      if (e.kind === "sent") {
        unanswered.add(key(e));
        return;
      }
      unanswered.delete(key(e));
      answers.push(e);
      notify();
    });
  let timeout: NodeJS.Timeout | undefined;
  try {
    await publish(); // may publish twice (patched resources Envoy was still checking), the last change counts
    sub.unsubscribe();
    if (!change) return { ok: opts.currentOk };
    const pending = new Set(change.diff.types.keys());
    return await new Promise<TrialOutcome>((resolve) => {
      notify = (): void => {
        // A listener Envoy could not bind is no verdict on the content tried (listener-nack.ts).
        const nack = answers.find((a) => a.kind === "nack" && !isListenerBindNack(a));
        if (nack) return resolve({ ok: false, error: nack.error ?? "NACK without error_detail" });
        for (const a of answers) if (a.typeUrl) pending.delete(a.typeUrl);
        if (pending.size === 0 && unanswered.size === 0) resolve({ ok: true });
      };
      notify();
      timeout = setTimeout(() => resolve({ ok: true }), opts.timeoutMs);
    });
  } finally {
    clearTimeout(timeout);
    sub.unsubscribe();
    evSub.unsubscribe();
  }
}

/** What a {@link NackGuard} needs: the cache it publishes to, the server's ACK/NACK events, a logger. */
export interface NackGuardDeps {
  /** The xDS cache's change events. */
  readonly changes$: Observable<CacheChange>;
  /** The xDS server's events. */
  readonly events$: Observable<XdsEvent>;
  /** Logger. */
  readonly logger: Logger;
  /** How long a trial waits for Envoy's ACK/NACK. @default 3000 */
  readonly waitMs?: number;
  /**
   * Sends resources to a node again (the xDS server's `resend`): listeners Envoy could not bind are retried
   * with it every `listenerRetryMs`, so that a port freed later is bound. Absent: no retry.
   */
  readonly resend?: (nodeId: string, typeUrl: string, names: readonly string[]) => void;
  /** How often listeners Envoy could not bind are sent again. @default 30000 */
  readonly listenerRetryMs?: number;
}

/** What one bisection found. */
export interface BisectResult {
  /** The node whose NACK started it. */
  readonly nodeId: string;
  /** Route keys quarantined. */
  readonly culprits: readonly string[];
  /** Trials published. */
  readonly trials: number;
  /** Routes suspected (changed since Envoy last accepted them). */
  readonly suspects: readonly string[];
}

/** Whether a NACK is one of listeners Envoy could not bind (listener-nack.ts), which no route causes. */
function isListenerBindNack(e: XdsEvent): boolean {
  return e.typeUrl === TypeUrl.Listener && listenerBindErrors(e.error ?? "", e.names ?? []) !== undefined;
}

/**
 * The pipeline's side of NACK handling: the quarantine, the stream of NACKs to bisect (ignoring the
 * NACKs of its own trials), and the bisection of a snapshot with a caller-supplied publish; and the
 * listeners Envoy could not bind, for status.
 */
export class NackGuard {
  /** Routes Envoy rejected, left out of translation until they change. */
  readonly quarantine = new Quarantine();
  /** Listeners Envoy could not bind (port in use, privileged port), per stream. */
  readonly listeners = new ListenerFailures();
  private readonly listenerChanges = new Subject<string>();
  /** Node ids whose listener failures changed: their Gateways' statuses must be written again. */
  readonly listenerChanges$: Observable<string> = this.listenerChanges.asObservable();
  private bisecting = false;
  /** A snapshot whose NACK no route explains: not bisected again (that would loop) until the next one. */
  private unexplained?: ResourceSnapshot;
  /** Envoy's error of the last NACK of each node (outside bisections): it may name Wasm plugins (wasm-nack.ts). */
  private readonly lastNack = new Map<string, string>();

  private readonly retryTimer?: NodeJS.Timeout;
  private readonly eventsSub: Subscription;

  constructor(private readonly deps: NackGuardDeps) {
    const resend = deps.resend;
    if (resend) {
      this.retryTimer = setInterval(() => this.retryListeners(resend), deps.listenerRetryMs ?? 30_000);
      this.retryTimer.unref();
    }
    this.eventsSub = deps.events$.subscribe((e) => {
      if (e.kind === "nack" && !this.bisecting && !isListenerBindNack(e)) this.lastNack.set(e.nodeId, e.error ?? "");
      if (!this.listeners.apply(e)) return;
      const failed = this.listeners.list().filter((f) => f.nodeId === e.nodeId);
      for (const f of failed) {
        deps.logger("error", "Envoy could not bind a listener; the other listeners serve", {
          node: f.nodeId,
          listener: f.listener,
          error: f.error,
        });
      }
      this.listenerChanges.next(e.nodeId);
    });
  }

  /** Sends every listener Envoy could not bind again: the port may be free now. */
  private retryListeners(resend: NonNullable<NackGuardDeps["resend"]>): void {
    if (this.bisecting) return; // the trials wait for this node's answers
    const byNode = new Map<string, string[]>();
    for (const f of this.listeners.list()) byNode.set(f.nodeId, [...(byNode.get(f.nodeId) ?? []), f.listener]);
    for (const [nodeId, names] of byNode) resend(nodeId, TypeUrl.Listener, names);
  }

  /** Stops the listener retries and the event subscription. */
  close(): void {
    clearInterval(this.retryTimer);
    this.eventsSub.unsubscribe();
    this.listenerChanges.complete();
  }

  /** Node ids of NACKs that need a bisection (not those of a bisection's own trials, nor bind failures). */
  get nacks$(): Observable<string> {
    return this.deps.events$.pipe(
      filter((e) => e.kind === "nack" && !this.bisecting && !isListenerBindNack(e)),
      map((e) => e.nodeId),
    );
  }

  /**
   * The statuses of a pass with what Envoy reported: listeners it could not bind (Programmed=False) and
   * quarantined routes (Accepted=False).
   */
  statuses(
    statuses: readonly StatusUpdate[],
    snapshot: ResourceSnapshot,
    controllerName: string,
  ): readonly StatusUpdate[] {
    const listeners = withListenerFailures(statuses, this.listeners.list(), snapshot);
    return this.quarantine.statuses(listeners, snapshot, controllerName);
  }

  /**
   * Runs `publish()` (a normal pass) and, in the background, records the snapshot's routes as accepted
   * once every node it changed has ACKed every changed type (no NACK) within the wait: later bisections
   * then suspect only what changed since, and never take an accepted route off a listener, even briefly.
   */
  track<T>(snapshot: ResourceSnapshot, publish: () => T): T {
    const changes: CacheChange[] = [];
    const sub = this.deps.changes$.subscribe((c) => changes.push(c));
    let out: T;
    try {
      out = publish();
    } finally {
      sub.unsubscribe();
    }
    // A pass that changed nothing proves nothing (the content in the cache may be the NACKed one).
    if (changes.length === 0) return out;
    const held = this.quarantine.excluded(snapshot);
    // The snapshot's suspects are listed once Envoy accepted it, not here: the xDS streams send the change on the
    // microtasks after this pass, and listing them (a copy of every route's, a hash of each new one) would come first.
    void Promise.all(changes.map((c) => this.outcome(c))).then((oks) => {
      if (oks.every((ok) => ok)) this.quarantine.markAccepted(suspectObjects(snapshot), held);
    });
    return out;
  }

  /** Whether the node ACKed every type of an already published change (a timeout counts as not). */
  private outcome(change: CacheChange): Promise<boolean> {
    const pending = new Set(change.diff.types.keys());
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(ok);
      };
      // As in publishAndWait: every response sent for the change must be answered, per stream.
      const unanswered = new Set<string>();
      const key = (e: XdsEvent): string => `${e.streamId}/${e.nonce ?? ""}`;
      const sub = this.deps.events$
        .pipe(filter((e) => e.nodeId === change.nodeId && (e.kind === "sent" || e.kind === "ack" || e.kind === "nack")))
        .subscribe((e) => {
          if (e.kind === "sent") return void unanswered.add(key(e));
          unanswered.delete(key(e));
          if (e.kind === "nack" && !isListenerBindNack(e)) return done(false);
          if (e.typeUrl) pending.delete(e.typeUrl);
          if (pending.size === 0 && unanswered.size === 0) done(true);
        });
      const timer = setTimeout(() => done(false), this.deps.waitMs ?? 3000);
    });
  }

  /** The snapshot to translate: without what is quarantined (releasing what changed). */
  filter(snapshot: ResourceSnapshot): ResourceSnapshot {
    return withoutSuspects(snapshot, this.quarantine.excluded(snapshot));
  }

  /**
   * Quarantines the Wasm entries the node's last NACK names, then bisects the routes and EnvoyPatchPolicies of
   * `snapshot` not yet seen accepted, publishing with `publish(exclude, final)` (which must translate the snapshot
   * without `exclude` and set the cache, waiting if needed for Envoy's check of patched resources; statuses are
   * worth recording only when `final`), quarantines the culprits with Envoy's error, and leaves the cache on the
   * accepted set.
   */
  async bisect(
    nodeId: string,
    snapshot: ResourceSnapshot,
    publish: (exclude: ReadonlySet<string>, final: boolean) => unknown,
  ): Promise<BisectResult> {
    if (snapshot === this.unexplained) return { nodeId, culprits: [], trials: 0, suspects: [] };
    this.bisecting = true;
    try {
      const named = this.quarantineWasm(nodeId, snapshot);
      const held = this.quarantine.excluded(snapshot);
      const routes = suspectObjects(snapshot);
      let currentOk = false;
      const errors = new Map<string, string>();
      const trial: Trial = async (exclude) => {
        const all = new Set([...held, ...exclude]);
        const opts = { timeoutMs: this.deps.waitMs ?? 3000, currentOk };
        const out = await publishAndWait(
          nodeId,
          this.deps.changes$,
          this.deps.events$,
          () => publish(all, false),
          opts,
        );
        currentOk = out.ok;
        if (!out.ok) for (const r of routes) if (!all.has(r.key)) errors.set(r.key, out.error ?? "");
        return out.ok;
      };
      const suspects = this.quarantine.suspects(routes);
      const { culprits, trials } = await findCulprits(suspects, trial);
      if (culprits.length === 0 && named.length === 0) {
        this.unexplained = snapshot;
        this.deps.logger("error", "Envoy rejects the configuration even without the changed routes and patches", {
          node: nodeId,
          error: [...errors.values()][0],
        });
      }
      for (const key of culprits) {
        const error = errors.get(key) ?? "NACK without error_detail";
        this.quarantine.add(key, routes.find((r) => r.key === key)?.hash ?? "", error);
        this.deps.logger("error", "Envoy rejected an object; it is left out until it changes", {
          object: key,
          node: nodeId,
          error: envoyReason(error),
        });
      }
      this.quarantine.markAccepted(routes, new Set(culprits));
      await publish(this.quarantine.excluded(snapshot), true);
      return { nodeId, culprits: [...named, ...culprits], trials, suspects };
    } catch (err) {
      // A failed bisection never stops the pipeline: the next pass publishes as usual.
      this.deps.logger("error", "NACK bisection failed", { node: nodeId, error: (err as Error).message });
      return { nodeId, culprits: [], trials: 0, suspects: [] };
    } finally {
      this.bisecting = false;
    }
  }

  /**
   * Quarantines the Wasm entries the node's last NACK names (wasm-nack.ts), before any bisection: no route change
   * explains such a NACK. Their keys.
   */
  private quarantineWasm(nodeId: string, snapshot: ResourceSnapshot): string[] {
    const error = this.lastNack.get(nodeId) ?? "";
    this.lastNack.delete(nodeId);
    const held = this.quarantine.excluded(snapshot);
    const named = wasmCulprits(error, snapshot).filter((w) => !held.has(w.key));
    for (const w of named) {
      this.quarantine.add(w.key, w.policy.hash, error);
      this.deps.logger(
        "error",
        "Envoy could not create a Wasm plugin; its entry is left out until the policy changes",
        {
          policy: w.policy.key,
          plugin: w.pluginName,
          node: nodeId,
          error: envoyReason(error),
        },
      );
    }
    return named.map((w) => w.key);
  }
}
