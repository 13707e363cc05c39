/**
 * A small builder of Grafana dashboard JSON (schema version 39): a dashboard is a list of rows, a row a list of
 * panels, each panel one or more PromQL queries. Layout (gridPos) and panel ids are computed, so a dashboard's
 * definition says only what each panel asks. Every panel queries the dashboard's `datasource` variable, so the
 * JSON imports into any Grafana with a Prometheus data source.
 */

/** The data source reference of every panel and query variable: the `datasource` variable. */
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;

/** One PromQL query of a panel. */
export interface Query {
  /** The PromQL expression (may use Grafana variables: `$namespace`, `$__rate_interval`). */
  readonly expr: string;
  /** The series' legend, e.g. `{{envoy_cluster_name}}`. @default Grafana's (the labels) */
  readonly legend?: string;
}

/** What a panel shows. */
export interface PanelSpec {
  /** Panel kind. */
  readonly type: "timeseries" | "stat";
  readonly title: string;
  /** What the panel answers, shown in its info tooltip. */
  readonly description: string;
  /** Grafana unit id (`s`, `bytes`, `reqps`, `percentunit`, `short`, `ops`). */
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Width in grid columns (24 per row). @default 12 */
  readonly width?: number;
  /** Height in grid rows. @default 8 (timeseries), 4 (stat) */
  readonly height?: number;
}

/** A titled row of panels. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** A template variable whose values come from a label of a metric. */
export interface LabelVariable {
  /** Variable name, used in queries as `$name`. */
  readonly name: string;
  readonly label: string;
  /** `label_values(<selector>, <label>)`: the selector (may use earlier variables) and the label. */
  readonly selector: string;
  readonly labelName: string;
}

/** A whole dashboard. */
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** Query variables after `datasource`, in order (each may use the ones before it). */
  readonly variables: readonly LabelVariable[];
  readonly rows: readonly RowSpec[];
}

/** A timeseries panel. */
export function timeseries(
  title: string,
  unit: string,
  description: string,
  queries: readonly Query[],
  width?: number,
): PanelSpec {
  return { type: "timeseries", title, unit, description, queries, ...(width ? { width } : {}) };
}

/** A stat panel (one number per series, with a sparkline), 6 columns wide unless `width` says otherwise. */
export function stat(
  title: string,
  unit: string,
  description: string,
  queries: readonly Query[],
  width = 6,
): PanelSpec {
  return { type: "stat", title, unit, description, queries, width };
}

/**
 * Quantiles (p50, p90, p99 unless `qs` says otherwise) of a Prometheus histogram, from its `_bucket` selector,
 * per `by` labels; each legend is `legendPrefix` followed by `p50`, `p90`, ...
 */
export function quantiles(
  bucketSelector: string,
  by: readonly string[],
  legendPrefix = "",
  qs: readonly number[] = [0.5, 0.9, 0.99],
): Query[] {
  const labels = ["le", ...by].join(", ");
  return qs.map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${labels}) (rate(${bucketSelector}[$__rate_interval])))`,
    legend: `${legendPrefix}p${Math.round(q * 100)}`,
  }));
}

/** `rate(<selector>[$__rate_interval])` summed by `by`. */
export function sumRate(selector: string, by: readonly string[]): string {
  return `sum by (${by.join(", ")}) (rate(${selector}[$__rate_interval]))`;
}

type Json = Record<string, unknown>;

const PANEL_HEIGHT: Record<PanelSpec["type"], number> = { timeseries: 8, stat: 4 };

function panelJson(p: PanelSpec, id: number, gridPos: Json): Json {
  const options: Json =
    p.type === "timeseries"
      ? {
          legend: { displayMode: "list", placement: "bottom", showLegend: true },
          tooltip: { mode: "multi", sort: "desc" },
        }
      : {
          colorMode: "value",
          graphMode: "area",
          justifyMode: "auto",
          reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
          textMode: "auto",
        };
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options,
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      ...(q.legend ? { legendFormat: q.legend } : {}),
      range: true,
    })),
  };
}

/** Lays panels out left to right, wrapping at 24 columns; returns the panels' JSON and the next free y. */
function layOut(panels: readonly PanelSpec[], y0: number, nextId: () => number): { json: Json[]; y: number } {
  const json: Json[] = [];
  let x = 0;
  let y = y0;
  let rowHeight = 0;
  for (const p of panels) {
    const w = p.width ?? 12;
    const h = p.height ?? PANEL_HEIGHT[p.type];
    if (x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    json.push(panelJson(p, nextId(), { h, w, x, y }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return { json, y: y + rowHeight };
}

function variableJson(v: LabelVariable): Json {
  const query = `label_values(${v.selector}, ${v.labelName})`;
  return {
    name: v.name,
    label: v.label,
    type: "query",
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: v.name },
    refresh: 2,
    includeAll: true,
    multi: true,
    // "All" matches every value and series without the label too (a scrape without Kubernetes labels).
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    sort: 1,
    hide: 0,
    options: [],
  };
}

/** The Grafana JSON of a dashboard. */
export function renderDashboard(d: DashboardSpec): Json {
  let id = 0;
  const nextId = (): number => ++id;
  const panels: Json[] = [];
  let y = 0;
  for (const row of d.rows) {
    panels.push({
      id: nextId(),
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    const laid = layOut(row.panels, y + 1, nextId);
    panels.push(...laid.json);
    y = laid.y;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ["egts", "envoy-gateway"],
    editable: true,
    graphTooltip: 1,
    refresh: "30s",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-1h", to: "now" },
    timezone: "browser",
    annotations: { list: [] },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          regex: "",
          options: [],
        },
        ...d.variables.map(variableJson),
      ],
    },
    panels,
  };
}

/**
 * A selector builder for one dashboard: `select("metric", 'extra="x"')` is `metric{<common>,extra="x"}`, where
 * `common` are the matchers of the dashboard's variables (e.g. `namespace=~"$namespace"`).
 */
export function selectorWith(common: readonly string[]): (metric: string, ...extra: string[]) => string {
  return (metric, ...extra) => `${metric}{${[...common, ...extra].join(", ")}}`;
}

/** The matchers of the usual `namespace` and `instance` variables. */
export const TARGET_MATCHERS: readonly string[] = ['namespace=~"$namespace"', 'instance=~"$instance"'];

/** The `namespace` and `instance` variables, both from the labels of `metric`. */
export function targetVariables(metric: string): LabelVariable[] {
  return [
    { name: "namespace", label: "Namespace", selector: metric, labelName: "namespace" },
    { name: "instance", label: "Instance", selector: `${metric}{namespace=~"$namespace"}`, labelName: "instance" },
  ];
}
