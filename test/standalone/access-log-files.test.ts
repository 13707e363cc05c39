/**
 * EnvoyProxy `telemetry.accessLog` File sinks on the wire, and the EnvoyProxy's command line settings: a real
 * standalone proxy writes one Text line per request to one file and, to another, JSON lines for the requests its
 * CEL `matches` accept (route level only). Its `extraArgs` (a short file flush interval, so the lines are there
 * at once), `logging.level` components and `shutdown.drainTimeout` reach Envoy, as its admin's server_info shows;
 * a change of them starts a new Envoy process with the new command line.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { wholeLines } from "../support/log-lines";
import { backendYaml, routeYaml, classWithEnvoyProxyYaml, httpListenerYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

async function linesOf(file: string): Promise<string[]> {
  return wholeLines(await readFile(file, "utf8").catch(() => ""));
}

describe("access log File sinks and EnvoyProxy command line settings (real Envoy)", function () {
  let t: TestGateway;
  let backend: EchoBackend;
  let logDir: string;
  let port: number;
  let gatewayYaml: string;

  before(async function () {
    backend = await startEchoBackend({ port: await freePort() });
    logDir = await mkdtemp(join(tmpdir(), "egts-access-log-"));
    port = await freePort();
    const proxy = {
      extraArgs: ["--file-flush-interval-msec", "50"],
      logging: { level: { default: "warn", http: "error", upstream: "info" } },
      shutdown: { drainTimeout: "7s" },
      telemetry: {
        accessLog: {
          settings: [
            {
              format: { type: "Text", text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%\n" },
              sinks: [{ type: "File", file: { path: join(logDir, "all.log") } }],
            },
            {
              format: { type: "JSON", json: { status: "%RESPONSE_CODE%", path: "%REQ(:PATH)%" } },
              matches: ["response.code >= 400"],
              type: "Route",
              sinks: [{ type: "File", file: { path: join(logDir, "errors.json") } }],
            },
          ],
        },
      },
    };
    gatewayYaml = classWithEnvoyProxyYaml(proxy, httpListenerYaml(port));
    const files = {
      "gateway.yaml": gatewayYaml,
      "route.yaml": `${backendYaml("app", backend.port)}---\n${routeYaml("app", "www.example.com", "app")}`,
    };
    t = await startTestGateway(files, { proxyStatsPort: await freePort() });
    await eventually(async () => (await httpGet(port, "www.example.com")).status === 200, 20_000, "the route");
  });
  after(async () => {
    await t?.close();
    await backend?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it("writes a Text line per request to its file, and JSON lines only for the requests its CEL matches accept", async () => {
    assert.equal((await httpGet(port, "www.example.com", "/ok-1")).status, 200);
    assert.equal((await httpGet(port, "nowhere.example.com", "/missing-1")).status, 404);
    const all = join(logDir, "all.log");
    await eventually(
      async () => {
        const lines = await linesOf(all);
        return lines.includes("GET /ok-1 200") && lines.includes("GET /missing-1 404");
      },
      10_000,
      `"GET /ok-1 200" and "GET /missing-1 404" in ${all}`,
    );
    const errors = join(logDir, "errors.json");
    await eventually(
      async () => (await linesOf(errors)).some((l) => l.includes("/missing-1")),
      10_000,
      `the 404 in ${errors}`,
    );
    const entries = (await linesOf(errors)).map((l) => JSON.parse(l) as { status: number; path: string });
    assert.ok(
      entries.some((e) => e.path === "/missing-1" && e.status === 404),
      JSON.stringify(entries),
    );
    assert.ok(
      !entries.some((e) => e.path === "/ok-1"),
      `a 200 is not logged where matches want >= 400: ${JSON.stringify(entries)}`,
    );
  });

  it("starts Envoy with the EnvoyProxy's extraArgs, component log levels and drain time", async () => {
    const admin = await t.gw.runner?.adminUrl("default/eg");
    const info = (await (await fetch(`${admin}/server_info`)).json()) as {
      command_line_options: Record<string, unknown>;
    };
    const o = info.command_line_options;
    assert.equal(o.file_flush_interval, "0.050s", JSON.stringify(o));
    assert.equal(o.component_log_level, "http:error,upstream:info");
    assert.equal(o.drain_time, "7s");
    assert.equal(o.log_level, "warning");
  });

  it("restarts the proxy with the new settings when its EnvoyProxy's command line changes", async () => {
    const runner = t.gw.runner;
    assert.ok(runner);
    const pid = runner.list().find((p) => p.name === "default/eg")?.pid;
    await t.write("gateway.yaml", gatewayYaml.replace('"drainTimeout":"7s"', '"drainTimeout":"9s"'));
    await eventually(
      async () => {
        const now = runner.list().find((p) => p.name === "default/eg")?.pid;
        if (now === undefined || now === pid) return false;
        const admin = await runner.adminUrl("default/eg");
        const info = (await (await fetch(`${admin}/server_info`)).json()) as {
          command_line_options: Record<string, unknown>;
        };
        return info.command_line_options.drain_time === "9s";
      },
      20_000,
      "a new Envoy process with drain_time 9s",
      200,
    );
    await eventually(async () => (await httpGet(port, "www.example.com")).status === 200, 20_000, "traffic again");
  });
});
