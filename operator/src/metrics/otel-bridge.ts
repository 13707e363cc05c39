/**
 * The control plane's prom-client metrics as OpenTelemetry metric data, so that one set of families (Envoy
 * Gateway's names, egts's `egts_*`, the process's runtime ones) is both scraped at `/metrics` and pushed to the
 * EnvoyGateway configuration's `telemetry.metrics.sinks` (otel-sinks.ts). {@link promMetricProducer} is an OpenTelemetry
 * MetricProducer: each export collects the registry and converts it with {@link toOtelMetrics}, a pure function.
 *
 * The mapping keeps the names and label names as they are (Envoy Gateway's OpenTelemetry instruments have the names
 * its Prometheus endpoint shows): a counter is a monotonic cumulative sum, a gauge a gauge, a histogram a cumulative
 * explicit-bucket histogram (Prometheus's cumulative `le` buckets become per-bucket counts). prom-client summaries,
 * which no control-plane family uses, are reported as a collection error naming them.
 */
import { ValueType, type Attributes, type HrTime } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import type { Registry } from "prom-client";

/** The instrumentation scope of the bridged metrics (Envoy Gateway's meter name). */
export const METRICS_SCOPE = "envoy-gateway";

/** One prom-client family as `Registry.getMetricsAsJSON()` gives it. */
export interface PromFamily {
  readonly name: string;
  readonly help: string;
  /** `counter`, `gauge`, `histogram` or `summary`. */
  readonly type: string;
  readonly values: readonly {
    readonly value: number;
    readonly labels: Readonly<Record<string, string | number | undefined>>;
    readonly metricName?: string;
  }[];
}

/** The converted families, and the names of those that could not be converted. */
export interface OtelMetrics {
  readonly metrics: MetricData[];
  readonly unsupported: readonly string[];
}

/**
 * Converts prom-client families into OpenTelemetry metric data: cumulative from `start`, observed at `now`.
 * Pure: no clock, no registry.
 */
export function toOtelMetrics(families: readonly PromFamily[], start: HrTime, now: HrTime): OtelMetrics {
  const metrics: MetricData[] = [];
  const unsupported: string[] = [];
  for (const f of families) {
    const type = String(f.type);
    const descriptor: MetricDescriptor = {
      name: f.name,
      description: f.help,
      unit: unitOf(f.name),
      valueType: ValueType.DOUBLE,
    };
    const base = { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE };
    const points = (): DataPoint<number>[] =>
      f.values.map((v) => ({ startTime: start, endTime: now, attributes: attributesOf(v.labels), value: v.value }));
    if (type === "counter")
      metrics.push({ ...base, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: points() });
    else if (type === "gauge") metrics.push({ ...base, dataPointType: DataPointType.GAUGE, dataPoints: points() });
    else if (type === "histogram")
      metrics.push({ ...base, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(f, start, now) });
    else unsupported.push(`${f.name} (${type})`);
  }
  return { metrics, unsupported };
}

/** A MetricProducer reading `registry` at each collection, with `resource` and the scope {@link METRICS_SCOPE}. */
export function promMetricProducer(registry: Registry, resource: Resource): MetricProducer {
  const start = hrTimeOf(Date.now());
  return {
    async collect(): Promise<CollectionResult> {
      const families = (await registry.getMetricsAsJSON()) as unknown as PromFamily[];
      const { metrics, unsupported } = toOtelMetrics(families, start, hrTimeOf(Date.now()));
      const errors = unsupported.length > 0 ? [new Error(`not exported (summary): ${unsupported.join(", ")}`)] : [];
      return { resourceMetrics: { resource, scopeMetrics: [{ scope: { name: METRICS_SCOPE }, metrics }] }, errors };
    },
  };
}

/** A histogram family's series: `_bucket` (cumulative, by `le`), `_sum` and `_count`, grouped by their other labels. */
function histogramPoints(f: PromFamily, start: HrTime, now: HrTime): DataPoint<Histogram>[] {
  const series = new Map<string, { labels: Attributes; le: [number, number][]; sum: number; count: number }>();
  for (const v of f.values) {
    const { le, ...labels } = v.labels;
    const attributes = attributesOf(labels);
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels: attributes, le: [], sum: 0, count: 0 }));
    if (v.metricName === `${f.name}_sum`) s.sum = v.value;
    else if (v.metricName === `${f.name}_count`) s.count = v.value;
    else if (le !== undefined && le !== "+Inf") s.le.push([Number(le), v.value]);
  }
  return [...series.values()].map((s) => {
    const sorted = s.le.sort(([a], [b]) => a - b);
    // Prometheus buckets are cumulative (≤ le); OpenTelemetry's count each bucket alone, plus one above the last bound.
    const counts = sorted.map(([, c], i) => c - (i > 0 ? sorted[i - 1][1] : 0));
    counts.push(s.count - (sorted.length > 0 ? sorted[sorted.length - 1][1] : 0));
    const value: Histogram = {
      buckets: { boundaries: sorted.map(([b]) => b), counts },
      sum: s.sum,
      count: s.count,
    };
    return { startTime: start, endTime: now, attributes: s.labels, value };
  });
}

/** Labels as attributes (values as strings, as Prometheus has them). */
function attributesOf(labels: Readonly<Record<string, string | number | undefined>>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** The UCUM unit a Prometheus name's suffix says (Envoy Gateway's `s` and `By`), else none. */
function unitOf(name: string): string {
  if (/_seconds(_total)?$/.test(name)) return "s";
  if (/_bytes(_total)?$/.test(name)) return "By";
  return "";
}

/** Milliseconds since the epoch as an OpenTelemetry HrTime. */
function hrTimeOf(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}
