/**
 * The tables of `egts x status`, laid out as egctl's: one row per condition (newest first; `-q` the newest only),
 * routes by parent and policies by ancestor, `-v` adding message, observed generation and transition time,
 * `-A` a NAMESPACE column; columns aligned as Go's tabwriter does (at least 10 wide, 3 spaces of padding).
 */

/** An object with its status, as read from a cluster or given by an offline translation. */
export interface StatusItem {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly status?: unknown;
}

/** What the table shows. */
export interface TableOptions {
  /** Newest condition only. */
  readonly quiet: boolean;
  /** Message, observed generation, last transition time. */
  readonly verbose: boolean;
  /** A NAMESPACE column (all namespaces, namespaced kind). */
  readonly namespaceColumn: boolean;
  /** Names as `kind/name` (when several kinds are shown). */
  readonly typedName: boolean;
}

interface ConditionLike {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

interface RefLike {
  readonly kind?: string;
  readonly name?: string;
}

/** Go's `time.Time.String()` of an RFC 3339 time in UTC (`2006-01-02 15:04:05 +0000 UTC`), "" when absent. */
export function goTime(rfc3339: string | undefined): string {
  if (!rfc3339) return "";
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

function conditionRows(conditions: readonly ConditionLike[] | undefined, o: TableOptions): string[][] {
  const rows: string[][] = [];
  const list = conditions ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i];
    const row = [c.type ?? "", c.status ?? "", c.reason ?? ""];
    if (o.verbose) row.push(c.message ?? "", String(c.observedGeneration ?? 0), goTime(c.lastTransitionTime));
    rows.push(row);
    if (o.quiet) break;
  }
  return rows;
}

/** `kind/name`, lower-cased kind. */
function kindName(kind: string, name: string): string {
  return `${kind.toLowerCase()}/${name}`;
}

/** Rows per parent (routes) or ancestor (policies): the first row of each names it. */
function byRef(entries: readonly Record<string, unknown>[], refKey: string, o: TableOptions): string[][] {
  const rows: string[][] = [];
  for (const e of entries) {
    const ref = (e[refKey] ?? {}) as RefLike;
    let label = kindName(ref.kind ?? "Gateway", ref.name ?? "");
    for (const r of conditionRows(e.conditions as ConditionLike[] | undefined, o)) {
      rows.push([label, ...r]);
      label = "";
    }
  }
  return rows;
}

/** The header of a kind's table. */
export function statusHeader(kind: string, o: TableOptions): string[] {
  const base = kind.endsWith("Route")
    ? ["NAME", "PARENT", "TYPE", "STATUS", "REASON"]
    : kind.endsWith("Policy")
      ? ["NAME", "ANCESTOR REFERENCE", "TYPE", "STATUS", "REASON"]
      : ["NAME", "TYPE", "STATUS", "REASON"];
  return [
    ...(o.namespaceColumn ? ["NAMESPACE"] : []),
    ...base,
    ...(o.verbose ? ["MESSAGE", "OBSERVED GENERATION", "LAST TRANSITION TIME"] : []),
  ];
}

/** The body of a kind's table: the name (and namespace) on the first row of each object only. */
export function statusBody(kind: string, items: readonly StatusItem[], o: TableOptions): string[][] {
  const body: string[][] = [];
  for (const item of items) {
    const status = (item.status ?? {}) as Record<string, unknown>;
    const rows = kind.endsWith("Route")
      ? byRef((status.parents as Record<string, unknown>[] | undefined) ?? [], "parentRef", o)
      : kind.endsWith("Policy")
        ? byRef((status.ancestors as Record<string, unknown>[] | undefined) ?? [], "ancestorRef", o)
        : conditionRows(status.conditions as ConditionLike[] | undefined, o);
    let name = o.typedName ? kindName(kind, item.metadata.name) : item.metadata.name;
    let namespace = item.metadata.namespace ?? "";
    for (const r of rows) {
      body.push([...(o.namespaceColumn ? [namespace] : []), name, ...r]);
      name = "";
      namespace = "";
    }
  }
  return body;
}

/**
 * Lines aligned as Go's `tabwriter.NewWriter(out, 10, 0, 3, ' ', 0)`: every cell but a line's last is padded to
 * its column's widest cell plus 3, and to at least 10.
 */
export function tabwrite(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 10, cell.length + 3);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join(""))
    .map((line) => `${line}\n`)
    .join("");
}
