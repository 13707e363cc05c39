/**
 * The Grafana dashboards the chart ships (helm/egts/dashboards/*.json), read as files: their structure checked
 * (unique ids and uids, the datasource variable, queries on every panel, a layout without overlaps, variables
 * defined before use) and their PromQL expressions listed for checking against real scrapes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricFamily } from "./prometheus";
import { repoRoot } from "./golden";

/** The folder of the shipped dashboards. */
export function dashboardsDir(): string {
  return join(repoRoot(), "helm", "egts", "dashboards");
}

interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly legendFormat?: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly gridPos?: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly targets?: readonly Target[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly datasource?: { readonly uid?: string };
}
/** The parts of a dashboard's JSON the checks read. */
export interface DashboardJson {
  readonly uid?: string;
  readonly title?: string;
  readonly panels?: readonly Panel[];
  readonly templating?: { readonly list?: readonly Variable[] };
}

/** A shipped dashboard file. */
export interface DashboardFile {
  readonly file: string;
  readonly json: DashboardJson;
}

/** The shipped dashboards, sorted by file name. */
export function loadDashboards(): DashboardFile[] {
  return readdirSync(dashboardsDir())
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dashboardsDir(), file), "utf8")) as DashboardJson }));
}

/** One PromQL expression of a dashboard and where it is. */
export interface DashboardQuery {
  /** `<file> › <panel title> › <refId>` or `<file> › variable <name>`. */
  readonly where: string;
  readonly expr: string;
  /** The labels its legend shows (`{{name}}`). */
  readonly legendLabels: readonly string[];
}

const DATASOURCE_UID = "${datasource}";
const BUILTINS = new Set(["__rate_interval", "__interval", "__range", "__all"]);

/** The PromQL of every panel target and of every `label_values(<selector>, <label>)` query variable. */
export function dashboardQueries(d: DashboardFile): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of d.json.panels ?? [])
    for (const t of p.targets ?? [])
      out.push({
        where: `${d.file} › ${p.title} › ${t.refId}`,
        expr: t.expr ?? "",
        legendLabels: [...(t.legendFormat ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]),
      });
  for (const v of d.json.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : (v.query?.query ?? "");
    const m = /^label_values\((.*),\s*\w+\)$/.exec(q);
    out.push({
      where: `${d.file} › variable ${v.name}`,
      expr: m ? m[1] : `not label_values(selector, label): ${q}`,
      legendLabels: [],
    });
  }
  return out;
}

/** The structural problems of a dashboard (empty when it is sound). */
export function lintDashboard(d: DashboardFile): string[] {
  const problems: string[] = [];
  const say = (s: string): number => problems.push(`${d.file}: ${s}`);
  const j = d.json;
  if (!j.uid || !j.title) say("no uid or title");
  const vars = j.templating?.list ?? [];
  const ds = vars.find((v) => v.name === "datasource");
  if (ds?.type !== "datasource" || ds.query !== "prometheus")
    say("no `datasource` variable of type datasource (prometheus)");
  const defined = new Set(vars.map((v) => v.name));
  for (const v of vars)
    if (v.type === "query" && v.datasource?.uid !== DATASOURCE_UID) say(`variable ${v.name} does not use $datasource`);
  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const p of j.panels ?? []) {
    const name = `panel ${p.id} "${p.title}"`;
    if (typeof p.id !== "number" || ids.has(p.id)) say(`${name}: missing or duplicate id`);
    ids.add(p.id ?? -1);
    const g = p.gridPos;
    if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) say(`${name}: gridPos missing or outside 24 columns`);
    else
      for (let y = g.y; y < g.y + g.h; y++)
        for (let x = g.x; x < g.x + g.w; x++) {
          const other = cells.get(`${x},${y}`);
          if (other) say(`${name} overlaps ${other}`);
          cells.set(`${x},${y}`, name);
        }
    if (p.type === "row") continue;
    if (!p.title) say(`${name}: no title`);
    if (p.datasource?.uid !== DATASOURCE_UID) say(`${name}: datasource is not $datasource`);
    const targets = p.targets ?? [];
    if (targets.length === 0) say(`${name}: no targets`);
    if (new Set(targets.map((t) => t.refId)).size !== targets.length) say(`${name}: duplicate refIds`);
    for (const t of targets) {
      if (!t.expr) say(`${name} ${t.refId}: empty expr`);
      if (t.datasource?.uid !== DATASOURCE_UID) say(`${name} ${t.refId}: datasource is not $datasource`);
    }
  }
  for (const q of dashboardQueries(d))
    for (const [, a, b] of q.expr.matchAll(/\$\{(\w+)\}|\$(\w+)/g))
      if (!defined.has(a ?? b) && !BUILTINS.has(a ?? b)) say(`${q.where}: undefined variable $${a ?? b}`);
  return problems;
}

/** The label names of the samples named `name` in a scrape (empty when it has none). */
export function sampleLabels(scrape: ReadonlyMap<string, MetricFamily>, name: string): Set<string> {
  const labels = new Set<string>();
  for (const f of scrape.values())
    for (const s of f.samples) if (s.name === name) for (const l of Object.keys(s.labels)) labels.add(l);
  return labels;
}

/** How a scrape has a metric name: with samples, declared only (a `# TYPE` line, no samples yet), or not. */
export type Presence = "samples" | "declared" | "absent";

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/**
 * Whether `name` is in a scrape: a sample of that name, or a family of that name, or `<family>_bucket`,
 * `_sum`, `_count` of a histogram family (`_sum`, `_count` of a summary).
 */
export function presence(scrape: ReadonlyMap<string, MetricFamily>, name: string): Presence {
  for (const f of scrape.values()) if (f.samples.some((s) => s.name === name)) return "samples";
  const own = scrape.get(name);
  if (own && own.type !== "histogram" && own.type !== "summary") return "declared";
  const suffix = HISTOGRAM_SUFFIX.exec(name);
  const base = suffix ? scrape.get(name.slice(0, suffix.index)) : undefined;
  if (base?.type === "histogram" || (base?.type === "summary" && suffix?.[1] !== "bucket")) return "declared";
  return "absent";
}
