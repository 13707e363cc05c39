/**
 * The EnvoyGateway configuration's `telemetry.metrics.sinks` and `telemetry.traces` on the wire: `egts standalone`
 * (the built command, xDS only: the Custom provider without infrastructure) pushes its control-plane metrics and
 * the spans of its passes to a real OpenTelemetry Collector, over gRPC and over OTLP/HTTP. The collector gets Envoy
 * Gateway's metric families (with their kinds and histogram bounds), egts's own and the runtime's, under resource
 * `service.name: envoy-gateway`, while `telemetry.metrics.prometheus.disable` keeps `/metrics` off; a config
 * change gives a trace of the pass with a span per stage; `samplingRate` 0 keeps every span out.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WATCHABLE_BUCKETS } from "../../operator/src/metrics/control-plane";
import { PASS_SPAN, STAGES } from "../../operator/src/traces/pass-trace";
import { repoRoot } from "../support/golden";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startOtelCollector, type OtelCollector, type ReceivedSpan } from "../support/otel-collector";

/** A running `egts standalone`. */
interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  /** Its temporary folder: the configuration file, and `config/` the provider reads. */
  readonly root: string;
  /** The folder the provider reads. */
  readonly dir: string;
}

/** The families the collector must get from a pass: Envoy Gateway's, egts's own, the runtime's. */
const EXPECTED_FAMILIES = [
  "xds_snapshot_create_total",
  "xds_snapshot_update_total",
  "watchable_subscribe_total",
  "watchable_subscribe_duration_seconds",
  "watchable_publish_total",
  "watchable_depth",
  "egts_translate_duration_seconds",
  "egts_xds_streams",
  "egts_ready",
  "process_cpu_user_seconds_total",
  "nodejs_eventloop_lag_seconds",
];

/** The EnvoyGateway configuration: the file provider on `dir` without proxies, Backend on, and `telemetry`. */
function egYaml(dir: string, telemetry: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
provider:
  type: Custom
  custom:
    resource: { type: File, file: { paths: [${dir}] } }
extensionApis: { enableBackend: true }
telemetry:
${telemetry.replace(/^/gm, "  ")}
`;
}

/** An `openTelemetry` sink of the collector for `protocol`. */
function sinkYaml(c: OtelCollector, protocol: "grpc" | "http", interval: string): string {
  const port = protocol === "grpc" ? c.otlpPort : c.otlpHttpPort;
  return `{ type: OpenTelemetry, openTelemetry: { host: 127.0.0.1, port: ${port}, protocol: ${protocol}, exportInterval: ${interval} } }`;
}

/** Starts `egts standalone` on a fresh folder with one Gateway and `telemetry`; `/metrics` on `metricsPort`. */
async function startChild(telemetry: string, metricsPort: number): Promise<Child> {
  const root = await mkdtemp(join(tmpdir(), "egts-cp-otel-"));
  const dir = join(root, "config");
  await mkdir(dir);
  await writeFile(join(dir, "gateway.yaml"), gatewayYaml(await freePort()));
  const config = join(root, "eg.yaml");
  await writeFile(config, egYaml(dir, telemetry));
  const args = ["bin/egts.js", "standalone", "--config-path", config, "--config-dir", dir];
  args.push("--xds-port", String(await freePort()), "--metrics-port", String(metricsPort));
  const p = spawn("node", args, { cwd: repoRoot(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  await eventually(
    async () => {
      if (p.exitCode !== null) throw new Error(`egts standalone exited ${p.exitCode}:\n${out}`);
      return (await httpGet(metricsPort, "localhost", "/readyz")).status === 200;
    },
    20_000,
    "egts standalone ready",
    100,
  );
  return { process: p, output: () => out, root, dir };
}

/** Stops the child with SIGTERM (it flushes its spans) and removes its folder. */
async function stopChild(c: Child | undefined): Promise<void> {
  if (!c) return;
  if (c.process.exitCode === null) {
    const exited = new Promise((r) => c.process.once("exit", r));
    c.process.kill("SIGTERM");
    await exited;
  }
  await rm(c.root, { recursive: true, force: true });
}

/** The traces whose root is a pass, each with its spans. */
function passTraces(spans: readonly ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const roots = new Set(spans.filter((s) => s.name === PASS_SPAN && s.parentSpanId === "").map((s) => s.traceId));
  const out = new Map<string, ReceivedSpan[]>();
  for (const s of spans) if (roots.has(s.traceId)) out.set(s.traceId, [...(out.get(s.traceId) ?? []), s]);
  return out;
}

describe("control-plane OpenTelemetry metrics and traces (egts standalone → real collector)", function () {
  this.timeout(60_000);
  let collector: OtelCollector;
  let child: Child | undefined;

  before(async () => {
    collector = await startOtelCollector();
  });
  afterEach(async () => {
    await stopChild(child);
    child = undefined;
    collector.metrics.length = 0;
    collector.spans.length = 0;
  });
  after(async () => {
    await collector?.stop();
  });

  for (const protocol of ["grpc", "http"] as const) {
    it(`pushes Envoy Gateway's metric families over ${protocol} while /metrics is off, and traces a config change`, async () => {
      const metricsPort = await freePort();
      child = await startChild(
        `metrics:\n  prometheus: { disable: true }\n  sinks: [${sinkYaml(collector, protocol, "1s")}]\n` +
          `traces:\n  sink: ${sinkYaml(collector, protocol, "200ms")}\n  samplingRate: { numerator: 1, denominator: 1 }\n`,
        metricsPort,
      );
      assert.equal((await httpGet(metricsPort, "localhost", "/metrics")).status, 404, "prometheus.disable");
      await eventually(
        async () => EXPECTED_FAMILIES.every((n) => collector.metrics.some((m) => m.name === n)),
        15_000,
        `the families at the collector (got ${[...new Set(collector.metrics.map((m) => m.name))].join(", ")})`,
        100,
      );
      const byName = (n: string) => collector.metrics.filter((m) => m.name === n).at(-1);
      assert.equal(byName("xds_snapshot_create_total")?.resource.get("service.name"), "envoy-gateway");
      const created = byName("xds_snapshot_create_total");
      assert.equal(created?.kind, "sum");
      const success = created?.points.find((p) => p.attributes.get("status") === "success");
      assert.ok((success?.value ?? 0) >= 1, "one pass built its node");
      const subscribe = byName("watchable_subscribe_duration_seconds");
      assert.equal(subscribe?.kind, "histogram");
      const gatewayApi = subscribe?.points.find((p) => p.attributes.get("runner") === "gateway-api");
      assert.deepEqual(gatewayApi?.bounds, WATCHABLE_BUCKETS);
      assert.ok((gatewayApi?.count ?? 0) >= 1);
      assert.equal(byName("egts_xds_streams")?.kind, "gauge");

      // A config change: its pass is a trace with a span per stage, children of the pass.
      const before = new Set(passTraces(collector.spans).keys());
      await writeFile(
        join(child.dir, "web.yaml"),
        backendYaml("web", 9) + "---\n" + routeYaml("web", "web.example.com", "web"),
      );
      let trace: ReceivedSpan[] = [];
      await eventually(
        async () => {
          const fresh = [...passTraces(collector.spans)].filter(([id]) => !before.has(id)).map(([, s]) => s);
          trace = fresh.find((s) => s.some((x) => x.name === STAGES.publish)) ?? [];
          return trace.length > 0;
        },
        15_000,
        `a trace of the config change's pass (spans so far: ${collector.spans.map((s) => s.name).join(", ")})`,
        100,
      );
      const root = trace.find((s) => s.name === PASS_SPAN);
      assert.ok(root);
      assert.equal(root.resource.get("service.name"), "envoy-gateway");
      assert.equal(root.attributes.get("egts.job"), "provider-resources");
      const names = new Set(trace.map((s) => s.name));
      for (const stage of [STAGES.prepare, STAGES.translate, STAGES.build, STAGES.publish, STAGES.status])
        assert.ok(names.has(stage), `span ${stage} in ${[...names].join(", ")}`);
      for (const s of trace.filter((x) => x !== root)) assert.equal(s.parentSpanId, root.spanId, `${s.name}'s parent`);
      const build = trace.find((s) => s.name === STAGES.build);
      assert.match(build?.attributes.get("gateway") ?? "", /eg/);
    });
  }

  it("samplingRate 0 keeps every span out while the metrics still arrive", async () => {
    child = await startChild(
      `metrics:\n  sinks: [${sinkYaml(collector, "grpc", "500ms")}]\n` +
        `traces:\n  sink: ${sinkYaml(collector, "grpc", "100ms")}\n  samplingRate: { numerator: 0 }\n`,
      await freePort(),
    );
    await writeFile(
      join(child.dir, "web.yaml"),
      backendYaml("web", 9) + "---\n" + routeYaml("web", "web.example.com", "web"),
    );
    await eventually(
      async () =>
        collector.metrics.some(
          (m) => m.name === "xds_snapshot_create_total" && m.points.some((p) => (p.value ?? 0) >= 2),
        ),
      15_000,
      "two passes counted at the collector",
      100,
    );
    await stopChild(child); // flushes the tracer: nothing was sampled
    child = undefined;
    assert.deepEqual(
      collector.spans.map((s) => s.name),
      [],
    );
  });
});
