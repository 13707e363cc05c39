/**
 * The Grafana dashboards of the chart: the JSON files under helm/egts/dashboards are what operator/src/dashboards
 * renders (UPDATE_GOLDEN=1 rewrites them, formatted by prettier as `npm run lint` wants), their structure is
 * sound (lintDashboard), their PromQL names only metrics the extractor can read, and `helm template` ships each
 * as a ConfigMap labelled for Grafana's sidecar only when grafanaDashboards.enabled. The metric names are checked
 * against real scrapes in dashboards-metrics.test.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { parse } from "yaml";
import { findKubeTools } from "../../e2e/harness";
import { DASHBOARDS, renderDashboard } from "../../operator/src/dashboards";
import { dashboardQueries, dashboardsDir, lintDashboard, loadDashboards } from "../support/dashboards";
import { repoRoot, updatingGolden } from "../support/golden";
import { labelNames, metricNames } from "../support/promql";

interface ConfigMap {
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  data: Record<string, string>;
}

describe("Grafana dashboards (helm/egts/dashboards)", () => {
  it("are the files operator/src/dashboards renders (UPDATE_GOLDEN=1 rewrites them)", async () => {
    for (const [file, spec] of Object.entries(DASHBOARDS)) {
      const path = join(dashboardsDir(), file);
      const text = await prettier.format(JSON.stringify(renderDashboard(spec)), {
        ...(await prettier.resolveConfig(path)),
        filepath: path,
      });
      if (updatingGolden()) writeFileSync(path, text);
      assert.ok(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`);
      assert.equal(readFileSync(path, "utf8"), text, `${file} differs from its definition: UPDATE_GOLDEN=1`);
    }
    const files = loadDashboards().map((d) => d.file);
    assert.deepEqual(files, Object.keys(DASHBOARDS).sort(), "one file per dashboard, no other");
  });

  it("are sound: unique ids and uids, the datasource variable, targets on every panel, no overlaps, variables defined", () => {
    const dashboards = loadDashboards();
    assert.deepEqual(dashboards.flatMap(lintDashboard), []);
    const uids = dashboards.map((d) => d.json.uid);
    assert.equal(new Set(uids).size, uids.length, `unique uids: ${uids.join(", ")}`);
    for (const d of dashboards) assert.ok((d.json.panels ?? []).length > 5, `${d.file} has panels`);
  });

  it("name at least one metric in every query, and the extractors read metric and label names as Prometheus does", () => {
    for (const q of loadDashboards().flatMap(dashboardQueries))
      assert.ok(metricNames(q.expr).length > 0, `${q.where}: no metric in ${q.expr}`);
    const cases: [string, string[]][] = [
      [
        'histogram_quantile(0.99, sum by (le, kind) (rate(status_update_duration_seconds_bucket{kind=~"$k"}[$__rate_interval])))',
        ["status_update_duration_seconds_bucket"],
      ],
      ["sum(rate(a_total[5m] offset 1h)) by (instance) / on (instance) group_left (pod) b_info", ["a_total", "b_info"]],
      [
        'time() - max by (instance) (process_start_time_seconds{namespace=~"a|b"}) > bool 1e3',
        ["process_start_time_seconds"],
      ],
      ["count(x > 0) or vector(0)", ["x"]],
      ['max_over_time(deriv(up_metric{a="}"}[10m:1m])[1h:]) and on () c', ["c", "up_metric"]],
    ];
    for (const [expr, names] of cases) assert.deepEqual(metricNames(expr), names, expr);
    assert.deepEqual(
      labelNames('sum by (le, kind) (rate(a_bucket{kind=~"x", status!="y}"}[5m])) / on (instance) group_left (pod) b'),
      ["instance", "kind", "le", "pod", "status"],
    );
  });

  describe("helm template", () => {
    const chart = join(repoRoot(), "helm", "egts");
    const render = (extra: readonly string[]): ConfigMap[] =>
      execFileSync(findKubeTools().helm, ["template", "egts", chart, "-n", "envoy-gateway-system", ...extra], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      })
        .split(/^---$/m)
        .map((d) => parse(d) as ConfigMap)
        .filter((d) => d?.kind === "ConfigMap" && d.metadata.name.startsWith("egts-dashboard-"));

    it("renders no dashboard ConfigMap by default", () => {
      assert.deepEqual(render([]), []);
    });

    it('renders one ConfigMap per dashboard with grafana_dashboard: "1", the JSON file verbatim, namespace and annotations from values', () => {
      const maps = render([
        "--set",
        "grafanaDashboards.enabled=true",
        "--set",
        "grafanaDashboards.namespace=monitoring",
        "--set",
        "grafanaDashboards.annotations.grafana_folder=egts",
      ]);
      assert.deepEqual(maps.map((c) => c.metadata.name).sort(), [
        "egts-dashboard-control-plane",
        "egts-dashboard-envoy-clusters",
        "egts-dashboard-envoy-proxies",
        "egts-dashboard-global-ratelimit",
      ]);
      for (const c of maps) {
        assert.equal(c.metadata.labels.grafana_dashboard, "1");
        assert.equal(c.metadata.labels["app.kubernetes.io/instance"], "egts");
        assert.equal(c.metadata.namespace, "monitoring");
        assert.deepEqual(c.metadata.annotations, { grafana_folder: "egts" });
        const [file, json] = Object.entries(c.data)[0] ?? [];
        assert.equal(json, readFileSync(join(dashboardsDir(), file ?? ""), "utf8").trimEnd(), `${file} verbatim`);
      }
      assert.equal(render(["--set", "grafanaDashboards.enabled=true"])[0]?.metadata.namespace, "envoy-gateway-system");
    });

    it("refuses a misspelt grafanaDashboards key", () => {
      assert.throws(
        () => render(["--set", "grafanaDashboards.enable=true"]),
        (err: { stderr?: string }) =>
          /enable/.test(String(err.stderr)) && /additional properties|not allowed/i.test(String(err.stderr)),
      );
    });
  });
});
