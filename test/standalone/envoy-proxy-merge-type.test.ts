/**
 * EnvoyProxy `mergeType` on the wire (real `egts standalone`, real Envoy): the GatewayClass's EnvoyProxy sets a File
 * access log, a short file flush interval and the default log level (error); the Gateway's own EnvoyProxy, with
 * `mergeType: StrategicMerge`, adds a component log level and a drain time. Both take effect: requests are logged
 * to the class's file and Envoy runs with the class's and the Gateway's command line settings. Without mergeType
 * (Replace), the Gateway's replaces the class's: the access log and the class's settings are gone.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, classWithProxyYaml, gatewayWithProxyYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";

/** The Gateway's own EnvoyProxy: a component log level and a drain time, merged or not. */
const gatewayProxy = (mergeType: string): string =>
  `${mergeType}  logging: { level: { http: error } }\n  shutdown: { drainTimeout: 2s }`;

/** Envoy's command line options (admin server_info). */
async function commandLine(admin: string): Promise<Record<string, unknown>> {
  const info = (await (await fetch(`${admin}/server_info`)).json()) as {
    command_line_options: Record<string, unknown>;
  };
  return info.command_line_options;
}

describe("standalone: EnvoyProxy mergeType (real Envoy): a Gateway's EnvoyProxy merged onto its GatewayClass's", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;
  let logDir = "";
  let logFile = "";
  let port = 0;

  const adminUrl = async (): Promise<string> =>
    (await t?.gw.runner?.adminUrl("default/mt")) ?? assert.fail("no admin address for default/mt");

  before(async () => {
    backend = await startEchoBackend({ port: await freePort() });
    logDir = await mkdtemp(join(tmpdir(), "egts-merge-type-"));
    logFile = join(logDir, "class.log");
    port = await freePort();
    const classProxy = `  extraArgs: ["--file-flush-interval-msec", "50"]
  logging: { level: { default: error } }
  telemetry:
    accessLog:
      settings:
        - format: { type: Text, text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%\\n" }
          sinks: [{ type: File, file: { path: ${JSON.stringify(logFile)} } }]`;
    t = await startTestGateway({
      "class.yaml": classWithProxyYaml(classProxy),
      "gateway.yaml": gatewayWithProxyYaml("mt", port, gatewayProxy("  mergeType: StrategicMerge\n")),
      "route.yaml": `${backendYaml("app", backend.port)}---\n${httpRouteYaml(
        "app",
        HOST,
        "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]",
        "mt",
      )}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 20_000, "the route").catch(() =>
      assert.fail(`no 200 through default/mt; logs: ${t?.logs.slice(-15).join("\n")}`),
    );
  });

  after(async () => {
    await t?.close();
    await backend?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it("StrategicMerge: the class's access log and log level and the Gateway's component level and drain time all take effect", async () => {
    assert.equal((await httpGet(port, HOST, "/merged-1")).status, 200);
    await eventually(
      async () => (await readFile(logFile, "utf8").catch(() => "")).includes("GET /merged-1 200"),
      10_000,
      `"GET /merged-1 200" in the class's access log ${logFile}`,
    );
    const o = await commandLine(await adminUrl());
    assert.equal(o.log_level, "error", `the class's default level: ${JSON.stringify(o)}`);
    assert.equal(o.file_flush_interval, "0.050s", "the class's extraArgs");
    assert.equal(o.component_log_level, "http:error", "the Gateway's component level");
    assert.equal(o.drain_time, "2s", "the Gateway's drain time");
    console.log(`      measured: ${JSON.stringify({ log_level: o.log_level, component: o.component_log_level })}`);
  });

  it("without mergeType the Gateway's EnvoyProxy replaces the class's: no access log, no class log level or extraArgs", async () => {
    const runner = t?.gw.runner ?? assert.fail("no proxy runner");
    const pid = runner.list().find((p) => p.name === "default/mt")?.pid;
    await t!.write("gateway.yaml", gatewayWithProxyYaml("mt", port, gatewayProxy("")));
    let o: Record<string, unknown> = {};
    await eventually(
      async () => {
        const now = runner.list().find((p) => p.name === "default/mt")?.pid;
        if (now === undefined || now === pid) return false;
        o = await commandLine(await adminUrl()).catch(() => ({}));
        return o.drain_time === "2s" && o.file_flush_interval !== "0.050s";
      },
      30_000,
      "a new Envoy without the class's extraArgs",
    ).catch(() => assert.fail(`command line: ${JSON.stringify(o)}; logs: ${t?.logs.slice(-10).join("\n")}`));
    assert.equal(o.component_log_level, "http:error");
    assert.notEqual(o.log_level, "error", "the class's default level is gone");
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 20_000, "the route on the new Envoy");
    const listeners = await (await fetch(`${await adminUrl()}/config_dump?resource=dynamic_listeners`)).text();
    assert.ok(
      listeners.length > 0 && !listeners.includes(logFile),
      "the class's access log is gone from the listeners",
    );
  });
});
