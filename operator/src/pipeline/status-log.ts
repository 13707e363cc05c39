/** The standalone status edge: keeps the latest status of every object and logs what changed. */
import type { StatusUpdate } from "../translate/conditions";
import type { Condition } from "../resources/meta";
import type { Logger } from "../log";
import type { StatusUpdateMetrics } from "../metrics/control-plane";
import { listEdits } from "../ir/list-window";
import { sameJson } from "../status/merge-status";

/** Adds `delta` to `key`'s count (a count of 0 is removed) and returns the new count. */
function count(counts: Map<string, number>, key: string, delta: number): number {
  const n = (counts.get(key) ?? 0) + delta;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
  return n;
}

/** Key of a status: `Kind namespace/name`. */
export function statusKey(s: Pick<StatusUpdate, "kind" | "namespace" | "name">): string {
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

/**
 * Holds statuses; `apply` returns how many changed (and logs each change). A pass hands over mostly the same
 * StatusUpdate objects as the last, in the same order (the translator keeps an unchanged route's), so `apply` compares
 * the list with the last one by reference ({@link listEdits}) and looks only at the statuses that are new there: at
 * 3,000 routes a pass that adds one route reads ~100 statuses (the Gateway's, the Backends') instead of every one.
 */
export class StatusLog {
  private readonly byKey = new Map<string, StatusUpdate>();
  /** The key of each StatusUpdate object seen. */
  private readonly keys = new WeakMap<StatusUpdate, string>();
  /** The last list applied. */
  private last: readonly StatusUpdate[] = [];
  /** How many places of the last list hold a status of each key (an object listed twice counts twice). */
  private readonly places = new Map<string, number>();
  /** How many statuses of each kind the last list holds (for status_update_total{status="no_action"}). */
  private readonly kinds = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly metrics?: StatusUpdateMetrics,
  ) {}

  /** Records a new full set of statuses; unchanged ones cost nothing. */
  apply(statuses: readonly StatusUpdate[]): number {
    const { removed, added } = listEdits(this.last, statuses);
    this.last = statuses;
    const gone: string[] = [];
    for (const s of removed) {
      const key = this.keyOf(s);
      if (count(this.places, key, -1) === 0) gone.push(key);
      count(this.kinds, s.kind, -1);
    }
    let changed = 0;
    /** Changed statuses by kind: the others of each kind count once per kind as no_action. */
    const changedKinds = new Map<string, number>();
    for (const s of added) {
      const key = this.keyOf(s);
      count(this.places, key, 1);
      count(this.kinds, s.kind, 1);
      const before = this.byKey.get(key);
      if (before && (before === s || sameJson(before.status, s.status))) continue;
      this.record(key, s);
      changed++;
      count(changedKinds, s.kind, 1);
    }
    for (const key of gone) if (!this.places.has(key)) this.byKey.delete(key);
    for (const [kind, n] of this.kinds) {
      const unchanged = n - (changedKinds.get(kind) ?? 0);
      if (unchanged > 0) this.metrics?.statusUpdate(kind, "no_action", undefined, unchanged);
    }
    return changed;
  }

  private keyOf(s: StatusUpdate): string {
    let key = this.keys.get(s);
    if (key === undefined) this.keys.set(s, (key = statusKey(s)));
    return key;
  }

  /** Records the changed status `s` of `key` and logs it. */
  private record(key: string, s: StatusUpdate): void {
    const start = performance.now();
    this.byKey.set(key, s);
    const problems = falseConditions(s.status);
    if (problems.length > 0) {
      for (const c of problems) this.log("warn", `${key}: ${c.type}=${c.status} ${c.reason}: ${c.message}`);
    } else this.log("info", `${key}: ok`);
    this.metrics?.statusUpdate(s.kind, "success", (performance.now() - start) / 1000);
  }

  /** The latest status of an object. */
  get(kind: string, namespace: string | undefined, name: string): StatusUpdate | undefined {
    return this.byKey.get(statusKey({ kind, namespace, name }));
  }

  /** All current statuses. */
  all(): StatusUpdate[] {
    return [...this.byKey.values()];
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
