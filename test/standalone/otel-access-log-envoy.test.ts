/**
 * The OpenTelemetry access logger (the sink EnvoyProxy `telemetry.accessLog.settings[].sinks[].openTelemetry` needs)
 * against real Envoy: an HCM logging through `envoy.access_loggers.open_telemetry` to a collector cluster is
 * ACKed, and a request through it reaches our in-test OTLP collector as an `ExportLogsServiceRequest` carrying the
 * formatted body, our attribute and resource attribute, and Envoy's built-in `node_name` label.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { pack } from "../../proto/any";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { OpenTelemetryAccessLogType } from "../../operator/src/xds/extension-types";
import { ROUTER_FILTER } from "../../operator/src/xds/translate/filters/router";
import { RouterType } from "../../operator/src/xds/types";
import {
  anyHostRoutes,
  boundPort,
  hcmListener,
  http2Upstream,
  localCluster,
  serveToEnvoy,
  type XdsEnvoy,
} from "../support/xds-envoy";

const NODE = "default/otel-access-log";
const LISTENER = "otel-access-log";
const COLLECTOR = "otel-collector";

/** One OTLP log record: its string body and string attributes. */
interface OtlpRecord {
  readonly body: string | undefined;
  readonly attributes: ReadonlyMap<string, string>;
}

/** One `ResourceLogs` of an OTLP export: the resource's string attributes and its records. */
interface OtlpResourceLogs {
  readonly resource: ReadonlyMap<string, string>;
  readonly records: readonly OtlpRecord[];
}

/**
 * The length-delimited fields of a protobuf message, by field number (every other field skipped). OTLP's messages
 * are decoded by hand: ts-proto's `forceLong=number` refuses their nanosecond timestamps (fixed64 above 2^53).
 */
function nested(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const reader = new BinaryReader(bytes);
  const out = new Map<number, Uint8Array[]>();
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) reader.skip(wireType, no);
    else out.set(no, [...(out.get(no) ?? []), reader.bytes()]);
  }
  return out;
}

const utf8 = (b: Uint8Array | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

/** `AnyValue.string_value` (1). */
const anyString = (b: Uint8Array | undefined): string | undefined => (b ? utf8(nested(b).get(1)?.[0]) : undefined);

/** `repeated KeyValue` (key 1, value 2) with string values. */
function keyValues(list: readonly Uint8Array[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of list ?? []) {
    const f = nested(kv);
    out.set(utf8(f.get(1)?.[0]) ?? "", anyString(f.get(2)?.[0]) ?? "");
  }
  return out;
}

/** `ExportLogsServiceRequest.resource_logs` (1): `ResourceLogs` { resource 1 { attributes 1 }, scope_logs 2 }. */
function decodeExport(bytes: Uint8Array): OtlpResourceLogs[] {
  return (nested(bytes).get(1) ?? []).map((rl) => {
    const f = nested(rl);
    const resource = keyValues(nested(f.get(1)?.[0] ?? new Uint8Array()).get(1));
    // ScopeLogs.log_records (2); LogRecord { body 5, attributes 6 }.
    const records = (f.get(2) ?? []).flatMap((scope) =>
      (nested(scope).get(2) ?? []).map((lr) => {
        const r = nested(lr);
        return { body: anyString(r.get(5)?.[0]), attributes: keyValues(r.get(6)) };
      }),
    );
    return { resource, records };
  });
}

/** An OTLP logs collector (gRPC `LogsService/Export`) that hands every request to `onExport`. */
async function startCollector(
  onExport: (r: OtlpResourceLogs[]) => void,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
      requestStream: false,
      responseStream: false,
      requestSerialize: () => Buffer.alloc(0),
      requestDeserialize: (b: Buffer) => decodeExport(b),
      // ExportLogsServiceResponse with no partial_success: the empty message.
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: () => ({}),
    },
  };
  server.addService(definition, {
    Export: (call: grpc.ServerUnaryCall<OtlpResourceLogs[], object>, done: grpc.sendUnaryData<object>) => {
      onExport(call.request);
      done(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

function listener(): Any {
  const otel = OpenTelemetryAccessLogType.codec.fromPartial({
    commonConfig: { logName: "egts", grpcService: { envoyGrpc: { clusterName: COLLECTOR } }, transportApiVersion: 2 },
    body: { stringValue: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%" },
    attributes: { values: [{ key: "egts.route", value: { stringValue: "%REQ(:PATH)%" } }] },
    resourceAttributes: { values: [{ key: "k8s.namespace.name", value: { stringValue: "default" } }] },
  } as never);
  return hcmListener(LISTENER, LISTENER, {
    httpFilters: [{ name: ROUTER_FILTER, typedConfig: pack(RouterType, RouterType.codec.fromPartial({} as never)) }],
    accessLog: [{ name: "envoy.access_loggers.open_telemetry", typedConfig: pack(OpenTelemetryAccessLogType, otel) }],
  });
}

function routes(): Any {
  return anyHostRoutes(LISTENER, [{ match: { prefix: "/" }, directResponse: { status: 204 } }]);
}

describe("OpenTelemetry access logger against real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;
  let collector: grpc.Server | undefined;

  after(async () => {
    await envoy?.close();
    collector?.forceShutdown();
  });

  it("ACKs an HCM logging to OTLP; a request arrives at the collector as a log record with our body and attributes", async () => {
    const exports: OtlpResourceLogs[] = [];
    let arrived: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (arrived = resolve));
    const started = await startCollector((r) => {
      exports.push(...r);
      arrived();
    });
    collector = started.server;

    envoy = await serveToEnvoy(
      NODE,
      {
        Cluster: new Map([[COLLECTOR, localCluster(COLLECTOR, started.port, http2Upstream())]]),
        Listener: new Map([[LISTENER, listener()]]),
        Route: new Map([[LISTENER, routes()]]),
      },
      ["Cluster", "Listener", "Route"],
    );
    const port = await boundPort(envoy.admin, LISTENER);
    const res = await fetch(`http://127.0.0.1:${port}/logged?x=1`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 204);

    const stats = async (): Promise<string> =>
      (await (await fetch(`${envoy?.admin ?? ""}/stats?filter=${COLLECTOR}|access_log`)).text())
        .split("\n")
        .filter((l) => !l.endsWith(": 0"))
        .join("; ");
    const timedOut = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000));
    if ((await Promise.race([first, timedOut])) === "timeout")
      assert.fail(`no OTLP export in 15 s; Envoy: ${await stats()}`);
    const records = exports.flatMap((r) => r.records);
    const record = records.find((r) => r.body === "GET /logged?x=1 204");
    assert.ok(record, `a log record with the formatted body; got ${JSON.stringify(records.map((r) => r.body))}`);
    assert.equal(record.attributes.get("egts.route"), "/logged?x=1");
    const resource = exports[0]?.resource;
    assert.equal(resource?.get("k8s.namespace.name"), "default", "our resource attribute");
    assert.equal(resource?.get("node_name"), NODE, "Envoy's built-in node_name label");
    assert.equal(resource?.get("log_name"), "egts", "Envoy's built-in log_name label");
  });
});
