/**
 * EnvoyProxy `telemetry.requestID` and `telemetry.healthCheckLog` on the wire (real Envoy, standalone), with
 * tracing on (every request sampled, spans to a port nobody listens on: only the request IDs matter here):
 * - requestID.tracing Disable: config_dump's HTTP connection manager carries the UUID extension with
 *   pack_trace_reason and use_request_id_for_trace_sampling false, and the x-request-id the backend receives is a
 *   plain version-4 UUID; once the EnvoyProxy says PackAndSample (Envoy's default: no extension written), the
 *   sampled request's ID carries the trace decision in its version digit ("9", Envoy's "sampled");
 * - healthCheckLog (file sink, no matches): a BackendTrafficPolicy's active health check without a log of its own
 *   writes every passed probe to the EnvoyProxy's file.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { wholeLinesOf } from "../support/log-lines";
import { backendYaml, routeYaml, classWithEnvoyProxyYaml, httpListenerYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";
/** Longest wait for Envoy to write its health check event log (it flushes log files every 10 s). */
const FLUSH_WAIT_MS = 25_000;

function gatewayYaml(port: number, telemetry: Record<string, unknown>): string {
  return classWithEnvoyProxyYaml({ telemetry }, httpListenerYaml(port));
}

/** The UUID request ID extensions of the HTTP connection managers in Envoy's config_dump. */
async function requestIdExtensions(t: TestGateway): Promise<Record<string, unknown>[]> {
  const admin = await t.gw.runner?.adminUrl("default/eg");
  const text = await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text();
  const found: Record<string, unknown>[] = [];
  JSON.parse(text, (key, value: unknown) => {
    if (key === "request_id_extension") found.push(value as Record<string, unknown>);
    return value;
  });
  return found;
}

/** The x-request-id the backend received for one request through the proxy. */
async function requestId(port: number): Promise<string> {
  const r = await httpGet(port, HOST);
  assert.equal(r.status, 200, r.body);
  return String((JSON.parse(r.body) as { headers: Record<string, string> }).headers["x-request-id"]);
}

describe("standalone: EnvoyProxy telemetry.requestID and telemetry.healthCheckLog (real Envoy)", function () {
  this.timeout(60_000);
  let backend: EchoBackend;
  let t: TestGateway;
  let port: number;
  let dir: string;
  let file: string;
  let telemetry: (action: string) => Record<string, unknown>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "egts-proxy-hc-log-"));
    file = join(dir, "hc.log");
    backend = await startEchoBackend({ port: await freePort() });
    port = await freePort();
    const nobody = await freePort();
    telemetry = (action) => ({
      tracing: {
        samplingRate: 100,
        provider: {
          type: "OpenTelemetry",
          backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: "otel" }],
        },
      },
      requestID: { tracing: action },
      healthCheckLog: { sinks: [{ type: "File", file: { path: file } }] },
    });
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port, telemetry("Disable")),
      "backends.yaml": [backendYaml("app", backend.port), backendYaml("otel", nobody)].join("---\n"),
      "route.yaml": `${routeYaml("app", HOST, "app")}---\n${btpYaml(
        "hc",
        "app",
        "  healthCheck:\n    active: { type: HTTP, http: { path: /healthz }, interval: 200ms, timeout: 500ms }\n",
      )}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("requestID Disable: the UUID extension packs nothing, the ID stays a version-4 UUID; PackAndSample packs", async () => {
    const [ext] = await requestIdExtensions(t);
    const config = (ext?.typed_config ?? {}) as Record<string, unknown>;
    assert.equal(config["@type"], "type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig");
    assert.equal(config.pack_trace_reason, false);
    assert.equal(config.use_request_id_for_trace_sampling, false);
    for (let i = 0; i < 5; i++) assert.equal((await requestId(port))[14], "4", "a plain version-4 UUID");

    await t.write("gateway.yaml", gatewayYaml(port, telemetry("PackAndSample")));
    await eventually(async () => (await requestIdExtensions(t)).length === 0, 15_000, "Envoy's default extension");
    assert.equal((await requestId(port))[14], "9", "the trace decision (sampled) packed into the UUID");
  });

  it("healthCheckLog: the policy's active health check logs every passed probe to the EnvoyProxy's file", async () => {
    // Envoy flushes its log files every 10 s (bootstrap file_flush_interval's default).
    let lines: Record<string, unknown>[] = [];
    await eventually(
      async () => {
        lines = wholeLinesOf(file).map((l) => JSON.parse(l) as Record<string, unknown>);
        return lines.filter((e) => "successful_health_check_event" in e).length >= 3;
      },
      FLUSH_WAIT_MS,
      "passed probes logged",
    );
    const event = lines.find((e) => "successful_health_check_event" in e);
    assert.equal(event?.health_checker_type, "HTTP");
    assert.match(String(event?.cluster_name), /\/btp-/);
    assert.ok(JSON.stringify(event?.host).includes(`"port_value":${backend.port}`), JSON.stringify(event));
  });
});
