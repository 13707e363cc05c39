/**
 * The control plane's prom-client registries, without a server: Envoy Gateway's families and the process's
 * runtime families side by side, several pipelines in one process, egts's own families read at each scrape.
 */
import assert from "node:assert/strict";
import { ControlPlaneMetrics, UPDATE_BUCKETS } from "../../operator/src/metrics/control-plane";
import { egtsRegistry } from "../../operator/src/metrics/egts-source";
import type { XdsStats } from "../../operator/src/xds/server/types";
import { parseExposition, valueOf } from "../support/prometheus";

describe("control-plane metric registries (prom-client)", () => {
  it("renders Envoy Gateway's families and the runtime's, for two pipelines in one process", async () => {
    const a = new ControlPlaneMetrics();
    const b = new ControlPlaneMetrics();
    a.statusUpdate('a"b\\c', "conflict", 0.002);
    b.statusUpdate("Gateway", "success", 0.5);
    const ma = parseExposition(await a.registry.metrics());
    const mb = parseExposition(await b.registry.metrics());
    assert.equal(valueOf(ma, "status_update_total", { kind: 'a"b\\c', status: "failure", reason: "conflict" }), 1);
    assert.equal(valueOf(ma, "status_update_total", { kind: "Gateway" }), 0, "pipelines do not share counts");
    assert.equal(valueOf(mb, "status_update_total", { kind: "Gateway", status: "success" }), 1);
    const bucket = "status_update_duration_seconds_bucket";
    const bounds = mb
      .get("status_update_duration_seconds")
      ?.samples.filter((s) => s.name === bucket && s.labels.le !== "+Inf")
      .map((s) => Number(s.labels.le));
    assert.deepEqual(bounds, UPDATE_BUCKETS);
    assert.equal(valueOf(mb, "status_update_duration_seconds", { le: "1" }, bucket), 1);
    assert.equal(valueOf(mb, "status_update_duration_seconds", { le: "0.1" }, bucket), 0);
    for (const m of [ma, mb]) {
      assert.equal(m.get("process_resident_memory_bytes")?.type, "gauge");
      assert.equal(m.get("process_cpu_seconds_total")?.type, "counter");
      assert.ok(valueOf(m, "process_resident_memory_bytes") > 10_000_000);
      assert.equal(m.get("nodejs_gc_duration_seconds")?.type, "histogram");
    }
  });

  it("reads egts's own families from their owners at each scrape", async () => {
    const counts = { acks: 2, nacks: 1, responsesSent: 3, resourcesSent: 7, removalsSent: 0 };
    let xds: XdsStats = { streams: 1, types: { lds: counts }, nodes: {}, nodeStreams: {}, refused: 0 };
    let leader = false;
    let ready = { ready: false, reason: "waiting for the initial sync" };
    const r = egtsRegistry({
      xds: () => xds,
      status: () => ({ written: 4 }),
      infra: () => ({}),
      leader: () => leader,
      ready: () => ready,
    });
    let m = parseExposition(await r.metrics());
    assert.equal(valueOf(m, "egts_xds_acks_total", { type: "lds" }), 2);
    assert.equal(valueOf(m, "egts_xds_resources_sent_total", { type: "lds" }), 7);
    assert.equal(m.get("egts_xds_acks_total")?.type, "counter");
    assert.equal(valueOf(m, "egts_status_updates_total", { outcome: "written" }), 4);
    assert.equal(valueOf(m, "egts_leader"), 0);
    assert.equal(valueOf(m, "egts_ready"), 0);
    xds = { ...xds, streams: 3, types: { lds: { ...counts, acks: 5 } } };
    leader = true;
    ready = { ready: true, reason: "ok" };
    m = parseExposition(await r.metrics());
    assert.equal(valueOf(m, "egts_xds_acks_total", { type: "lds" }), 5, "the owner's value, not a sum of scrapes");
    assert.equal(valueOf(m, "egts_xds_streams"), 3);
    assert.equal(valueOf(m, "egts_leader"), 1);
    assert.equal(valueOf(m, "egts_ready"), 1);
  });
});
