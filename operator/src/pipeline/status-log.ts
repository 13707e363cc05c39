/** The standalone status edge: keeps the latest status of every object and logs what changed. */
import type { StatusUpdate } from "../translate/conditions";
import type { Condition } from "../resources/meta";
import type { Logger } from "../log";
import type { StatusUpdateMetrics } from "../metrics/control-plane";

/** Key of a status: `Kind namespace/name`. */
export function statusKey(s: Pick<StatusUpdate, "kind" | "namespace" | "name">): string {
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

/** Holds statuses; `apply` returns how many changed (and logs each change). */
export class StatusLog {
  private readonly byKey = new Map<string, StatusUpdate>();

  constructor(
    private readonly log: Logger,
    private readonly metrics?: StatusUpdateMetrics,
  ) {}

  /** Records a new full set of statuses; unchanged ones cost nothing. */
  apply(statuses: readonly StatusUpdate[]): number {
    let changed = 0;
    const seen = new Set<string>();
    for (const s of statuses) {
      const key = statusKey(s);
      seen.add(key);
      const start = performance.now();
      const before = this.byKey.get(key);
      if (before && sameJson(before.status, s.status)) {
        this.metrics?.statusUpdate(s.kind, "no_action");
        continue;
      }
      this.byKey.set(key, s);
      changed++;
      const problems = falseConditions(s.status);
      if (problems.length > 0) {
        for (const c of problems) this.log("warn", `${key}: ${c.type}=${c.status} ${c.reason}: ${c.message}`);
      } else this.log("info", `${key}: ok`);
      this.metrics?.statusUpdate(s.kind, "success", (performance.now() - start) / 1000);
    }
    for (const key of [...this.byKey.keys()]) if (!seen.has(key)) this.byKey.delete(key);
    return changed;
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
