/**
 * The control plane's `/metrics` with Envoy Gateway's names and labels, scraped over HTTP from a real standalone
 * gateway with real Envoy: every Envoy Gateway family is there with its type, label names and histogram buckets;
 * the values follow real events (a route added, Envoy killed and reconnecting, an update Envoy NACKs); the
 * Node.js runtime and egts's own measures are there too; `telemetry.metrics.prometheus.disable` removes `/metrics`.
 */
import assert from "node:assert/strict";
import { filter, firstValueFrom, timeout } from "rxjs";
import {
  EGTS_BUCKETS,
  UPDATE_BUCKETS,
  WATCHABLE_BUCKETS,
  XDS_STREAM_BUCKETS,
} from "../../operator/src/metrics/control-plane";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { ScopedRouteType } from "../../operator/src/xds/types";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml, routeYaml } from "../support/manifests";
import { scrape, valueOf, type MetricFamily } from "../support/prometheus";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { REJECT_CASES } from "../translate/envoy-reject-cases";

/** Envoy Gateway v1.9.1's families that have a counterpart here: type, label names, buckets. */
const EG_FAMILIES: Record<string, { type: string; labels: string[]; buckets?: readonly number[] }> = {
  watchable_depth: { type: "gauge", labels: ["runner", "message"] },
  watchable_subscribe_total: { type: "counter", labels: ["runner", "message", "status"] },
  watchable_subscribe_duration_seconds: {
    type: "histogram",
    labels: ["runner", "message"],
    buckets: WATCHABLE_BUCKETS,
  },
  watchable_publish_total: { type: "counter", labels: ["runner", "message", "status"] },
  watchable_panics_recovered_total: { type: "counter", labels: [] },
  status_update_total: { type: "counter", labels: ["kind", "status"] },
  status_update_duration_seconds: { type: "histogram", labels: ["kind"], buckets: UPDATE_BUCKETS },
  resource_apply_total: { type: "counter", labels: [] },
  resource_apply_duration_seconds: { type: "histogram", labels: [] },
  resource_delete_total: { type: "counter", labels: [] },
  resource_delete_duration_seconds: { type: "histogram", labels: [] },
  xds_snapshot_create_total: { type: "counter", labels: ["status"] },
  xds_snapshot_update_total: { type: "counter", labels: ["nodeID", "status"] },
  xds_stream_duration_seconds: { type: "histogram", labels: [] },
  xds_nack_total: { type: "counter", labels: [] },
  wasm_cache_entries: { type: "gauge", labels: [] },
  wasm_cache_lookup_total: { type: "counter", labels: [] },
  wasm_remote_fetch_total: { type: "counter", labels: [] },
};

const GATEWAY_API = { runner: "gateway-api", message: "provider-resources" };

/** The `le` bounds of a histogram's first series, without +Inf. */
function bounds(f: MetricFamily | undefined): number[] {
  const buckets = (f?.samples ?? []).filter((s) => s.name.endsWith("_bucket"));
  const first = JSON.stringify({ ...buckets[0]?.labels, le: undefined });
  return buckets
    .filter((s) => JSON.stringify({ ...s.labels, le: undefined }) === first && s.labels.le !== "+Inf")
    .map((s) => Number(s.labels.le));
}

describe("control-plane metrics with Envoy Gateway's names (standalone, real Envoy)", function () {
  let backend: EchoBackend;
  let t: TestGateway;
  let port: number;
  let metricsPort: number;
  let node: string;

  before(async function () {
    backend = await startEchoBackend({ name: "web" });
    port = await freePort();
    metricsPort = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "routes.yaml": `${backendYaml("web", backend.port)}---\n${routeYaml("one", "one.example.com", "web")}`,
      },
      { metrics: { port: metricsPort } },
    );
    await eventually(async () => (await httpGet(port, "one.example.com")).status === 200, 15_000, "route one");
    [node] = t.gw.cache.nodeIds();
    assert.ok(node, "one xDS node");
  });

  after(async function () {
    valueChecks.disabled = new Set();
    await t?.close();
    await backend?.close();
  });

  it("serves every Envoy Gateway family with its type, labels and buckets, and the runtime's", async function () {
    const m = await scrape(metricsPort);
    for (const [name, want] of Object.entries(EG_FAMILIES)) {
      const f = m.get(name);
      assert.ok(f, `${name} is served`);
      assert.equal(f.type, want.type, `${name} is a ${want.type}`);
      assert.ok(f.help.length > 0, `${name} has help`);
      for (const s of f.samples)
        for (const l of want.labels) assert.ok(l in s.labels, `${s.name} has label ${l}: ${JSON.stringify(s.labels)}`);
      if (want.buckets && f.samples.length > 0) assert.deepEqual(bounds(f), [...want.buckets], `${name} buckets`);
    }
    assert.ok(valueOf(m, "watchable_subscribe_total", { ...GATEWAY_API, status: "success" }) >= 1);
    assert.ok(valueOf(m, "watchable_subscribe_total", { runner: "infrastructure", message: "infra-ir" }) >= 1);
    assert.ok(
      valueOf(m, "watchable_publish_total", { runner: "provider", message: "provider-resources", status: "success" }) >=
        1,
    );
    assert.ok(valueOf(m, "watchable_publish_total", { runner: "gateway-api", message: "xds-ir" }) >= 1);
    assert.equal(valueOf(m, "watchable_depth", GATEWAY_API), 0, "nothing queued once served");
    assert.ok(valueOf(m, "status_update_total", { kind: "HTTPRoute", status: "success" }) >= 1);
    assert.ok(valueOf(m, "status_update_total", { kind: "Gateway", status: "success" }) >= 1);
    assert.ok(valueOf(m, "xds_snapshot_create_total", { status: "success" }) >= 1);
    assert.ok(valueOf(m, "xds_snapshot_update_total", { nodeID: node, status: "success" }) >= 1);
    assert.deepEqual(bounds(m.get("egts_translate_duration_seconds")), EGTS_BUCKETS);
    assert.ok(valueOf(m, "egts_translate_duration_seconds", {}, "egts_translate_duration_seconds_count") >= 1);
    // The runtime: prom-client's names.
    assert.ok(valueOf(m, "process_cpu_seconds_total") > 0);
    assert.ok(valueOf(m, "process_resident_memory_bytes") > 10_000_000);
    assert.ok(valueOf(m, "process_start_time_seconds") > 1_600_000_000);
    assert.ok(valueOf(m, "process_open_fds") > 0);
    assert.ok(valueOf(m, "nodejs_heap_size_used_bytes") > 0);
    assert.equal(valueOf(m, "nodejs_version_info", { version: process.version }), 1);
    // egts's own, kept under its prefix.
    assert.ok(valueOf(m, "egts_xds_acks_total", { type: "lds" }) >= 1);
  });

  it("counts a config change: a pass, a snapshot update, status writes, its propagation to Envoy's ACK", async function () {
    const before = await scrape(metricsPort);
    const propagation = { nodeID: node };
    const count = "egts_propagation_duration_seconds_count";
    await t.write("two.yaml", routeYaml("two", "two.example.com", "web"));
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 15_000, "route two");
    let after = await scrape(metricsPort);
    await eventually(
      async () => {
        after = await scrape(metricsPort);
        return (
          valueOf(after, "egts_propagation_duration_seconds", propagation, count) >
          valueOf(before, "egts_propagation_duration_seconds", propagation, count)
        );
      },
      10_000,
      "the change's propagation",
    );
    const grew = (family: string, labels: Record<string, string>, name = family): void =>
      assert.ok(
        valueOf(after, family, labels, name) > valueOf(before, family, labels, name),
        `${name}${JSON.stringify(labels)} grew: ${valueOf(before, family, labels, name)} → ${valueOf(after, family, labels, name)}`,
      );
    grew("watchable_subscribe_total", { ...GATEWAY_API, status: "success" });
    grew("watchable_subscribe_duration_seconds", GATEWAY_API, "watchable_subscribe_duration_seconds_count");
    grew("watchable_publish_total", { runner: "provider", message: "provider-resources" });
    grew("xds_snapshot_update_total", { nodeID: node, status: "success" });
    grew("status_update_total", { kind: "HTTPRoute", status: "success" });
    grew("status_update_total", { kind: "HTTPRoute", status: "no_action" }); // route one did not change
    const sum = valueOf(
      after,
      "egts_propagation_duration_seconds",
      propagation,
      "egts_propagation_duration_seconds_sum",
    );
    const n = valueOf(after, "egts_propagation_duration_seconds", propagation, count);
    assert.ok(sum / n > 0 && sum / n < 10, `mean propagation ${sum / n}s`);
  });

  it("records a closed xDS stream's duration when Envoy is killed, and Envoy's NACK by node and type URL", async function () {
    const runner = t.gw.runner;
    assert.ok(runner);
    const pid = runner.list()[0].pid;
    assert.ok(pid);
    const restarted = firstValueFrom(runner.events$.pipe(filter((e) => e.kind === "started")));
    process.kill(pid, "SIGKILL");
    await restarted;
    await eventually(async () => (await httpGet(port, "one.example.com")).status === 200, 15_000, "Envoy back");
    let m = await scrape(metricsPort);
    const stream = { nodeID: node, isDeltaStream: "true" };
    assert.ok(valueOf(m, "xds_stream_duration_seconds", stream, "xds_stream_duration_seconds_count") >= 1);
    const streamSample = m.get("xds_stream_duration_seconds")?.samples.find((s) => s.labels.nodeID === node);
    assert.match(streamSample?.labels.streamID ?? "", /^\d+$/);
    assert.deepEqual(bounds(m.get("xds_stream_duration_seconds")), XDS_STREAM_BUCKETS);

    const bad = REJECT_CASES.find((c) => c.envoyNacks && c.check === "regex");
    assert.ok(bad);
    valueChecks.disabled = new Set([bad.check]);
    const quarantined = firstValueFrom(
      t.gw.events$.pipe(
        filter((e) => e.kind === "quarantined"),
        timeout(30_000),
      ),
    );
    await t.write("bad.yaml", httpRouteYaml("bad", "bad.example.com", bad.rule.trimEnd()));
    await quarantined;
    m = await scrape(metricsPort);
    // The route's hostname is exact, as are the others of the listener: the default layout serves them as routing
    // scopes (ADR 0031), so the rejected resource is a ScopedRouteConfiguration.
    const nacks = valueOf(m, "xds_nack_total", { nodeID: node, typeURL: ScopedRouteType.typeUrl });
    assert.ok(nacks >= 1, "an SRDS NACK");
    valueChecks.disabled = new Set();
    await t.remove("bad.yaml");
  });

  it("telemetry.metrics.prometheus.disable: no /metrics, the health endpoints stay", async function () {
    const off = await freePort();
    const quiet = await startTestGateway(
      { "gateway.yaml": gatewayYaml(await freePort()) },
      { withEnvoy: false, metrics: { port: off, prometheusDisabled: true } },
    );
    try {
      assert.equal((await httpGet(off, "127.0.0.1", "/metrics")).status, 404);
      assert.equal((await httpGet(off, "127.0.0.1", "/healthz")).status, 200);
    } finally {
      await quiet.close();
    }
  });
});
