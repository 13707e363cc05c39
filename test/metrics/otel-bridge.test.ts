/**
 * The prom-client → OpenTelemetry bridge of the control plane's metric sinks (metrics/otel-bridge.ts), on a real
 * prom-client registry: counters become monotonic cumulative sums, gauges gauges, histograms explicit-bucket
 * histograms whose per-bucket counts add up to Prometheus's cumulative `le` buckets; names and labels unchanged.
 */
import assert from "node:assert/strict";
import { DataPointType, type HistogramMetricData, type SumMetricData } from "@opentelemetry/sdk-metrics";
import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { toOtelMetrics, type PromFamily } from "../../operator/src/metrics/otel-bridge";

describe("prom-client registry → OpenTelemetry metric data", () => {
  async function families(r: Registry): Promise<PromFamily[]> {
    return (await r.getMetricsAsJSON()) as unknown as PromFamily[];
  }

  it("keeps names, labels and kinds; histograms get per-bucket counts and the count above the last bound", async () => {
    const r = new Registry();
    const c = new Counter({ name: "xds_snapshot_create_total", help: "h", labelNames: ["status"], registers: [r] });
    c.inc({ status: "success" }, 3);
    c.inc({ status: "failure" });
    new Gauge({ name: "watchable_depth", help: "h", registers: [r] }).set(2);
    const h = new Histogram({
      name: "x_seconds",
      help: "h",
      labelNames: ["runner"],
      buckets: [0.1, 1, 10],
      registers: [r],
    });
    for (const v of [0.05, 0.5, 0.5, 5, 50]) h.observe({ runner: "a" }, v);
    h.observe({ runner: "b" }, 0.01);
    const out = toOtelMetrics(await families(r), [1, 0], [2, 0]);
    assert.deepEqual(out.unsupported, []);
    const byName = new Map(out.metrics.map((m) => [m.descriptor.name, m]));
    const sum = byName.get("xds_snapshot_create_total") as SumMetricData;
    assert.equal(sum.dataPointType, DataPointType.SUM);
    assert.equal(sum.isMonotonic, true);
    assert.deepEqual(
      sum.dataPoints.map((p) => [p.attributes, p.value, p.startTime, p.endTime]),
      [
        [{ status: "success" }, 3, [1, 0], [2, 0]],
        [{ status: "failure" }, 1, [1, 0], [2, 0]],
      ],
    );
    assert.equal(byName.get("watchable_depth")?.dataPointType, DataPointType.GAUGE);
    const hist = byName.get("x_seconds") as HistogramMetricData;
    assert.equal(hist.descriptor.unit, "s");
    const a = hist.dataPoints.find((p) => p.attributes.runner === "a");
    assert.deepEqual(a?.value, { buckets: { boundaries: [0.1, 1, 10], counts: [1, 2, 1, 1] }, sum: 56.05, count: 5 });
    const b = hist.dataPoints.find((p) => p.attributes.runner === "b");
    assert.deepEqual(b?.value.buckets.counts, [1, 0, 0, 0]);
  });

  it("names a summary it cannot convert instead of dropping it silently", async () => {
    const r = new Registry();
    new Summary({ name: "s_seconds", help: "h", registers: [r] }).observe(1);
    assert.deepEqual(toOtelMetrics(await families(r), [0, 0], [0, 0]).unsupported, ["s_seconds (summary)"]);
  });
});
