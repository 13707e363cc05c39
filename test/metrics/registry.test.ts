/** The Prometheus registry's text exposition: what a scraper reads. */
import assert from "node:assert/strict";
import { Registry } from "../../operator/src/metrics/registry";
import { parseExposition } from "../support/prometheus";

describe("metrics registry", () => {
  it("renders counters, gauges and histograms in the text format, labels sorted and escaped", () => {
    const r = new Registry();
    const c = r.counter("things_total", "Things.", ["kind", "status", "reason"]);
    c.inc({ status: "success", kind: "HTTPRoute" });
    c.inc({ kind: "HTTPRoute", status: "success" }, 2);
    c.inc({ kind: 'a"b\\c\nd', status: "failure", reason: "error" });
    r.gauge("depth", "Depth.").set({}, 4);
    const h = r.histogram("took_seconds", "Took.", ["runner"], [0.1, 1]);
    h.observe({ runner: "x" }, 0.05);
    h.observe({ runner: "x" }, 0.5);
    h.observe({ runner: "x" }, 3);
    assert.equal(
      r.render(),
      [
        "# HELP things_total Things.",
        "# TYPE things_total counter",
        'things_total{kind="HTTPRoute",status="success"} 3',
        'things_total{kind="a\\"b\\\\c\\nd",reason="error",status="failure"} 1',
        "# HELP depth Depth.",
        "# TYPE depth gauge",
        "depth 4",
        "# HELP took_seconds Took.",
        "# TYPE took_seconds histogram",
        'took_seconds_bucket{runner="x",le="0.1"} 1',
        'took_seconds_bucket{runner="x",le="1"} 2',
        'took_seconds_bucket{runner="x",le="+Inf"} 3',
        'took_seconds_sum{runner="x"} 3.55',
        'took_seconds_count{runner="x"} 3',
        "",
      ].join("\n"),
    );
    const parsed = parseExposition(r.render());
    assert.equal(parsed.get("things_total")?.samples[1].labels.kind, 'a"b\\c\nd');
  });

  it("refuses an undeclared label, a decreasing counter and a family registered twice", () => {
    const r = new Registry();
    const c = r.counter("x_total", "X.", ["kind"]);
    assert.throws(() => c.inc({ nodeID: "n" }), /metric x_total has no label "nodeID"/);
    assert.throws(() => c.inc({}, -1), /cannot decrease/);
    assert.throws(() => r.gauge("x_total", "again"), /registered twice/);
    assert.throws(() => r.gauge("bad-name", "?"), /invalid metric name/);
  });
});
