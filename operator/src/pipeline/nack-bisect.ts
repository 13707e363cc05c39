/**
 * When Envoy NACKs an update anyway (a value translate-time validation missed), one route must not hold
 * back every other route of the listener: the route-level objects are bisected — translated and published
 * with some of them left out, waiting for each trial's ACK/NACK — until the ones Envoy rejects are found.
 * They are quarantined (left out of translation until their content changes) and reported on their
 * status with Envoy's error; the rest is published without them.
 *
 * Translation stays pure: the quarantine is a snapshot filter ({@link withoutRoutes}) applied before it.
 */
import { createHash } from "node:crypto";
import { filter, type Observable } from "rxjs";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { CacheChange } from "../xds/cache/snapshot-cache";
import type { XdsEvent } from "../xds/server/types";
import type { StatusUpdate } from "../translate/conditions";

/** Snapshot fields holding route-level objects, with their kind. */
const ROUTE_FIELDS = [
  ["httpRoutes", "HTTPRoute"],
  ["grpcRoutes", "GRPCRoute"],
  ["tlsRoutes", "TLSRoute"],
  ["tcpRoutes", "TCPRoute"],
  ["udpRoutes", "UDPRoute"],
] as const;

/** The parts of a route object the bisection needs. */
interface RouteObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: { readonly parentRefs?: readonly unknown[] };
}

/** A route-level object: `Kind/namespace/name` and a hash of its content. */
export interface RouteRef {
  /** `Kind/namespace/name`. */
  readonly key: string;
  /** SHA-256 of the object's spec and metadata (a change releases it from quarantine). */
  readonly hash: string;
  /** The object. */
  readonly object: RouteObject;
}

/** Every route-level object of the snapshot. */
export function routeObjects(snapshot: ResourceSnapshot): RouteRef[] {
  const out: RouteRef[] = [];
  for (const [field, kind] of ROUTE_FIELDS) {
    for (const o of (snapshot[field] ?? []) as readonly RouteObject[]) {
      const key = `${kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
      const hash = createHash("sha256")
        .update(JSON.stringify([o.metadata, o.spec]))
        .digest("hex");
      out.push({ key, hash, object: o });
    }
  }
  return out;
}

/** The snapshot without the route-level objects whose key is in `exclude` (pure). */
export function withoutRoutes(snapshot: ResourceSnapshot, exclude: ReadonlySet<string>): ResourceSnapshot {
  if (exclude.size === 0) return snapshot;
  const keep = new Set(
    routeObjects(snapshot)
      .filter((r) => !exclude.has(r.key))
      .map((r) => r.object),
  );
  const out: Record<string, unknown> = { ...snapshot };
  for (const [field] of ROUTE_FIELDS) {
    const list = snapshot[field] as readonly RouteObject[] | undefined;
    if (list) out[field] = list.filter((o) => keep.has(o));
  }
  return out as unknown as ResourceSnapshot;
}

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
    const withGroup = new Set([...excluded].filter((k) => !group.includes(k)));
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

/** A quarantined route: left out of translation until its content changes. */
export interface QuarantineEntry {
  /** Content hash when Envoy rejected it. */
  readonly hash: string;
  /** Envoy's error_detail. */
  readonly error: string;
}

/**
 * Routes Envoy rejected, by key. `excluded(snapshot)` is the filter to translate with; an entry whose
 * object changed or disappeared is released (it is tried again).
 */
export class Quarantine {
  private readonly entries = new Map<string, QuarantineEntry>();
  /** Route content (key → hash) last seen accepted by Envoy. */
  private readonly accepted = new Map<string, string>();

  /** Quarantines `key` (at `hash`) with Envoy's error. */
  add(key: string, hash: string, error: string): void {
    this.entries.set(key, { hash, error });
  }

  /** Records that these routes (at these hashes) were accepted by Envoy. */
  markAccepted(routes: readonly RouteRef[], except: ReadonlySet<string>): void {
    for (const r of routes) if (!except.has(r.key)) this.accepted.set(r.key, r.hash);
  }

  /** Route keys not known to be accepted at their current content: the suspects of a NACK. */
  suspects(routes: readonly RouteRef[]): string[] {
    return routes.filter((r) => this.accepted.get(r.key) !== r.hash && !this.entries.has(r.key)).map((r) => r.key);
  }

  /** The keys to leave out of `snapshot`'s translation; releases entries whose object changed. */
  excluded(snapshot: ResourceSnapshot): Set<string> {
    const now = new Map(routeObjects(snapshot).map((r) => [r.key, r.hash]));
    for (const [key, e] of [...this.entries]) if (now.get(key) !== e.hash) this.entries.delete(key);
    return new Set(this.entries.keys());
  }

  /** Accepted=False (reason Invalid) on every parentRef of each quarantined route, with Envoy's error. */
  statuses(snapshot: ResourceSnapshot, controllerName: string): StatusUpdate[] {
    const byKey = new Map(routeObjects(snapshot).map((r) => [r.key, r.object]));
    const out: StatusUpdate[] = [];
    for (const [key, e] of this.entries) {
      const o = byKey.get(key);
      if (!o) continue;
      const [kind] = key.split("/");
      const condition = {
        type: "Accepted",
        status: "False",
        reason: "Invalid",
        message: `Envoy rejected the configuration: ${e.error}. The route is left out until it changes`,
      };
      out.push({
        apiVersion: o.apiVersion ?? "gateway.networking.k8s.io/v1",
        kind,
        namespace: o.metadata.namespace ?? "default",
        name: o.metadata.name,
        status: {
          parents: (o.spec?.parentRefs ?? []).map((parentRef) => ({
            parentRef,
            controllerName,
            conditions: [condition],
          })),
        },
      });
    }
    return out;
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
  publish: () => void,
  opts: { readonly timeoutMs: number; readonly currentOk: boolean },
): Promise<TrialOutcome> {
  let change: CacheChange | undefined;
  const answers: XdsEvent[] = [];
  let notify = (): void => undefined;
  const sub = changes$.pipe(filter((c) => c.nodeId === nodeId)).subscribe((c) => (change = c));
  const evSub = events$
    .pipe(filter((e) => e.nodeId === nodeId && (e.kind === "ack" || e.kind === "nack")))
    .subscribe((e) => {
      answers.push(e);
      notify();
    });
  let timeout: NodeJS.Timeout | undefined;
  try {
    publish();
    sub.unsubscribe();
    if (!change) return { ok: opts.currentOk };
    const pending = new Set(change.diff.types.keys());
    return await new Promise<TrialOutcome>((resolve) => {
      notify = (): void => {
        const nack = answers.find((a) => a.kind === "nack");
        if (nack) return resolve({ ok: false, error: nack.error ?? "NACK without error_detail" });
        for (const a of answers) if (a.typeUrl) pending.delete(a.typeUrl);
        if (pending.size === 0) resolve({ ok: true });
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
