/** The standalone status edge: keeps the latest status of every object and logs what changed. */
import type { StatusUpdate } from "../translate/conditions";
import type { Condition } from "../resources/meta";
import type { Logger } from "../log";
import type { StatusUpdateMetrics } from "../metrics/control-plane";

/** Key of a status: `Kind namespace/name`. */
export function statusKey(s: Pick<StatusUpdate, "kind" | "namespace" | "name">): string {
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

/** A recorded status and the last `apply` that had its object. */
interface Entry {
  update: StatusUpdate;
  seen: number;
}

/**
 * Holds statuses; `apply` returns how many changed (and logs each change). A pass hands over mostly the same
 * StatusUpdate objects as the last (the translator keeps an unchanged route's), so their keys are remembered by
 * object and an unchanged one costs two lookups.
 */
export class StatusLog {
  private readonly byKey = new Map<string, Entry>();
  /** The key of each StatusUpdate object seen. */
  private readonly keys = new WeakMap<StatusUpdate, string>();
  private applied = 0;

  constructor(
    private readonly log: Logger,
    private readonly metrics?: StatusUpdateMetrics,
  ) {}

  /** Records a new full set of statuses; unchanged ones cost nothing. */
  apply(statuses: readonly StatusUpdate[]): number {
    const now = ++this.applied;
    let changed = 0;
    let seen = 0;
    /** Unchanged statuses by kind: counted once per kind (status_update_total{status="no_action"}). */
    const unchanged = new Map<string, number>();
    for (const s of statuses) {
      let key = this.keys.get(s);
      if (key === undefined) this.keys.set(s, (key = statusKey(s)));
      const entry = this.byKey.get(key);
      if (entry && entry.seen !== now) seen++;
      if (entry && (entry.update === s || sameJson(entry.update.status, s.status))) {
        entry.seen = now;
        unchanged.set(s.kind, (unchanged.get(s.kind) ?? 0) + 1);
        continue;
      }
      if (!entry) seen++;
      this.record(key, s, entry, now);
      changed++;
    }
    for (const [kind, n] of unchanged) this.metrics?.statusUpdate(kind, "no_action", undefined, n);
    if (seen !== this.byKey.size) for (const [key, e] of this.byKey) if (e.seen !== now) this.byKey.delete(key);
    return changed;
  }

  /** Records the changed status `s` of `key` (its entry so far: `entry`) and logs it. */
  private record(key: string, s: StatusUpdate, entry: Entry | undefined, now: number): void {
    const start = performance.now();
    if (entry) {
      entry.update = s;
      entry.seen = now;
    } else this.byKey.set(key, { update: s, seen: now });
    const problems = falseConditions(s.status);
    if (problems.length > 0) {
      for (const c of problems) this.log("warn", `${key}: ${c.type}=${c.status} ${c.reason}: ${c.message}`);
    } else this.log("info", `${key}: ok`);
    this.metrics?.statusUpdate(s.kind, "success", (performance.now() - start) / 1000);
  }

  /** The latest status of an object. */
  get(kind: string, namespace: string | undefined, name: string): StatusUpdate | undefined {
    return this.byKey.get(statusKey({ kind, namespace, name }))?.update;
  }

  /** All current statuses. */
  all(): StatusUpdate[] {
    return [...this.byKey.values()].map((e) => e.update);
  }
}

/** Conditions that report a problem (Conflicted=True counts; other types count when False). */
export function falseConditions(status: unknown): Condition[] {
  const out: Condition[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.conditions)) {
        for (const c of o.conditions as Condition[]) {
          if ((c.type === "Conflicted" && c.status === "True") || (c.type !== "Conflicted" && c.status === "False"))
            out.push(c);
        }
      }
      for (const [k, child] of Object.entries(o)) if (k !== "conditions") visit(child);
    }
  };
  visit(status);
  return out;
}

/**
 * Whether two statuses print the same JSON but for the order of keys (statuses are never mutated once made), without
 * printing them: a pass compares every object's status, and printing them all was most of its status step.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((x, i) => sameJson(x ?? null, bs[i] ?? null));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let n = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    n++;
    if (!sameJson(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) n--;
  return n === 0;
}
