/**
 * A real OpenTelemetry Collector for the telemetry tests: `egts-otelcol` (test/tools/otelcol, built by
 * `bash scripts/install-otelcol.sh`; a missing binary fails the test naming that step) with an OTLP receiver (gRPC,
 * where Envoy's tracer, access logger and stat sink send; and HTTP, where the control plane's OTLP/HTTP exports go)
 * and a Zipkin receiver, and an OTLP/HTTP exporter with
 * JSON encoding pointed at an HTTP server of the test: what the collector decoded arrives there as OTLP JSON, which
 * this module flattens into spans, log records and metric names.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import { freePort } from "./http";

/** The collector's folder version; pinned in scripts/install-otelcol.sh too. */
const OTELCOL_VERSION = "v0.165.0-r1";

/** The collector binary; throws naming the install step when it is missing. */
export function otelcolBinary(): string {
  const bin = join(loadEnv().cacheDir, `otelcol-${OTELCOL_VERSION}`, "bin", "egts-otelcol");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`bash scripts/install-otelcol.sh\``);
  return bin;
}

/** One span the collector received. */
export interface ReceivedSpan {
  /** The span's name. */
  readonly name: string;
  /** Its kind (OTLP's number: 2 server, 3 client). */
  readonly kind: number;
  /** Trace id (hex). */
  readonly traceId: string;
  /** Span id (hex). */
  readonly spanId: string;
  /** The parent's span id (hex; empty for a root span). */
  readonly parentSpanId: string;
  /** Its string attributes (tags). */
  readonly attributes: ReadonlyMap<string, string>;
  /** The string attributes of its resource (`service.name`, …). */
  readonly resource: ReadonlyMap<string, string>;
}

/** One log record the collector received. */
export interface ReceivedLog {
  /** Its string body, if any. */
  readonly body: string | undefined;
  /** Its string attributes. */
  readonly attributes: ReadonlyMap<string, string>;
  /** Its resource's string attributes. */
  readonly resource: ReadonlyMap<string, string>;
}

/** One metric the collector received. */
export interface ReceivedMetric {
  /** The metric's name. */
  readonly name: string;
  /** Its resource's string attributes. */
  readonly resource: ReadonlyMap<string, string>;
  /** Its OTLP data kind: `sum`, `gauge`, `histogram`, … */
  readonly kind: string;
  /** Its data points: attributes, value (sum and gauge), count and explicit bounds (histogram). */
  readonly points: readonly MetricPoint[];
}

/** One data point of a {@link ReceivedMetric}. */
export interface MetricPoint {
  readonly attributes: ReadonlyMap<string, string>;
  /** A sum's or a gauge's value. */
  readonly value?: number;
  /** A histogram's count. */
  readonly count?: number;
  /** A histogram's explicit bucket bounds. */
  readonly bounds?: readonly number[];
}

/** A running collector. */
export interface OtelCollector {
  /** The address its receivers listen on (127.0.0.1 unless started with another). */
  readonly host: string;
  /** OTLP gRPC port on {@link host}. */
  readonly otlpPort: number;
  /** OTLP/HTTP port on {@link host} (`/v1/metrics`, `/v1/traces`, `/v1/logs`). */
  readonly otlpHttpPort: number;
  /** Zipkin port on {@link host} (`POST /api/v2/spans`). */
  readonly zipkinPort: number;
  /** Spans received so far. */
  readonly spans: ReceivedSpan[];
  /** Log records received so far. */
  readonly logs: ReceivedLog[];
  /** Metrics received so far (one entry per metric per export). */
  readonly metrics: ReceivedMetric[];
  /** Stops the collector and the test's server. */
  stop(): Promise<void>;
}

/** The spans of the trace whose spans have `path` in their `http.url` tag (Envoy's tag of the request URL). */
export function traceOf(spans: readonly ReceivedSpan[], path: string): ReceivedSpan[] {
  const first = spans.find((s) => (s.attributes.get("http.url") ?? "").endsWith(path));
  return first ? spans.filter((s) => s.traceId === first.traceId) : [];
}

type Json = Record<string, unknown>;

/** OTLP JSON `KeyValue[]` with string values → a map. */
function attributesOf(list: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of (list as Json[] | undefined) ?? []) {
    const v = kv.value as Json | undefined;
    out.set(String(kv.key), String(v?.stringValue ?? v?.intValue ?? v?.boolValue ?? ""));
  }
  return out;
}

/** The resource attributes of a `resourceSpans` / `resourceLogs` / `resourceMetrics` entry. */
function resourceOf(r: Json): Map<string, string> {
  return attributesOf((r.resource as Json | undefined)?.attributes);
}

/** Flattens an OTLP JSON export into the collector's lists. */
function record(
  path: string,
  body: Json,
  c: { spans: ReceivedSpan[]; logs: ReceivedLog[]; metrics: ReceivedMetric[] },
): void {
  if (path === "/v1/traces") {
    for (const rs of (body.resourceSpans as Json[] | undefined) ?? []) {
      const resource = resourceOf(rs);
      for (const ss of (rs.scopeSpans as Json[] | undefined) ?? [])
        for (const s of (ss.spans as Json[] | undefined) ?? [])
          c.spans.push({
            name: String(s.name),
            kind: Number(s.kind ?? 0),
            traceId: String(s.traceId ?? ""),
            spanId: String(s.spanId ?? ""),
            parentSpanId: String(s.parentSpanId ?? ""),
            attributes: attributesOf(s.attributes),
            resource,
          });
    }
  } else if (path === "/v1/logs") {
    for (const rl of (body.resourceLogs as Json[] | undefined) ?? []) {
      const resource = resourceOf(rl);
      for (const sl of (rl.scopeLogs as Json[] | undefined) ?? [])
        for (const l of (sl.logRecords as Json[] | undefined) ?? [])
          c.logs.push({
            body: (l.body as Json | undefined)?.stringValue as string | undefined,
            attributes: attributesOf(l.attributes),
            resource,
          });
    }
  } else if (path === "/v1/metrics") {
    for (const rm of (body.resourceMetrics as Json[] | undefined) ?? []) {
      const resource = resourceOf(rm);
      for (const sm of (rm.scopeMetrics as Json[] | undefined) ?? [])
        for (const m of (sm.metrics as Json[] | undefined) ?? []) c.metrics.push(metricOf(m, resource));
    }
  }
}

/** One OTLP JSON metric: its name, kind and data points. */
function metricOf(m: Json, resource: Map<string, string>): ReceivedMetric {
  const kind = ["sum", "gauge", "histogram", "exponentialHistogram", "summary"].find((k) => k in m) ?? "";
  const points = (((m[kind] as Json | undefined)?.dataPoints as Json[] | undefined) ?? []).map((p): MetricPoint => ({
    attributes: attributesOf(p.attributes),
    ...(p.asDouble !== undefined || p.asInt !== undefined ? { value: Number(p.asDouble ?? p.asInt) } : {}),
    ...(p.count !== undefined ? { count: Number(p.count) } : {}),
    ...(p.explicitBounds !== undefined ? { bounds: (p.explicitBounds as unknown[]).map(Number) } : {}),
  }));
  return { name: String(m.name), resource, kind, points };
}

/** An HTTP server taking the collector's OTLP/HTTP JSON exports. */
async function startSink(lists: { spans: ReceivedSpan[]; logs: ReceivedLog[]; metrics: ReceivedMetric[] }): Promise<{
  server: Server;
  port: number;
}> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        record(req.url ?? "", JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json, lists);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

/**
 * The collector's configuration: receivers on the ports of `host`, every pipeline exported to the test's server.
 */
function configYaml(host: string, otlp: { grpc: number; http: number }, zipkinPort: number, sinkPort: number): string {
  return `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${host}:${otlp.grpc}
      http:
        endpoint: ${host}:${otlp.http}
  zipkin:
    endpoint: ${host}:${zipkinPort}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    encoding: json
    compression: none
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp, zipkin]
      exporters: [otlphttp]
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
    metrics:
      receivers: [otlp]
      exporters: [otlphttp]
`;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/**
 * Starts the collector, its receivers on `host` (default 127.0.0.1; the Kubernetes tier gives the pod bridge's node
 * address, which pods reach); resolves once both receivers accept connections.
 */
export async function startOtelCollector(opts: { readonly host?: string } = {}): Promise<OtelCollector> {
  const host = opts.host ?? "127.0.0.1";
  const bin = otelcolBinary();
  const lists = { spans: [] as ReceivedSpan[], logs: [] as ReceivedLog[], metrics: [] as ReceivedMetric[] };
  const sink = await startSink(lists);
  const otlpPort = await freePort();
  const otlpHttpPort = await freePort();
  const zipkinPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "egts-otelcol-"));
  const config = join(dir, "config.yaml");
  writeFileSync(config, configYaml(host, { grpc: otlpPort, http: otlpHttpPort }, zipkinPort, sink.port));
  let stderr = "";
  const child: ChildProcess = spawn(bin, ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const deadline = Date.now() + 20_000;
  while (!(
    (await canConnect(host, otlpPort)) &&
    (await canConnect(host, otlpHttpPort)) &&
    (await canConnect(host, zipkinPort))
  )) {
    if (child.exitCode !== null) throw new Error(`egts-otelcol exited with code ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`egts-otelcol did not listen within 20 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    otlpPort,
    otlpHttpPort,
    zipkinPort,
    ...lists,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await new Promise((r) => sink.server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
