/**
 * Graceful drain against real Envoy. `egts envoy shutdown` (the proxy pod's preStop) on a serving Envoy: once it
 * starts, responses on a keep-alive connection carry `Connection: close` and the connection ends, the drain ends
 * when no Gateway connection is left (after the minimum), the shutdown manager's `/shutdown/ready` (held open
 * meanwhile) then answers 200; a client that keeps an idle connection open holds the drain to its timeout.
 * Standalone: stopping the gateway drains each proxy before its SIGTERM, so a request in flight completes; with
 * `shutdown.drainTimeout: 0s` (no drain) the same request is cut, which shows the test can fail.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { activeConnections } from "../../operator/src/infra/shutdown/admin-drain";
import { egtsAsync } from "../support/egts-cli";
import { repoRoot } from "../support/golden";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, routeYaml } from "../support/manifests";
import { startScriptedBackend, type ScriptedBackend } from "../support/scripted-backend";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "drain.example.com";
/** A client that closes each connection after its request (the shared keep-alive agent's idle ones would count). */
const oneShot = new Agent({ keepAlive: false });

/** Gateway default/eg on `port` whose EnvoyProxy sets `shutdown`, and a route to the scripted backend. */
function files(port: number, backend: number, shutdown: string): Record<string, string> {
  const infra =
    "  infrastructure:\n    parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: drain }\n";
  return {
    "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${port} }`, infra),
    "proxy.yaml": `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: drain, namespace: default }
spec: { shutdown: ${shutdown} }
`,
    "routes.yaml": `${backendYaml("b", backend)}---\n${routeYaml("r", HOST, "b")}`,
  };
}

/** A GET on the shutdown manager, resolving with its status (0: no answer). */
function managerGet(port: number, path: string): Promise<number> {
  return new Promise((resolve_) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve_(res.statusCode ?? 0));
    });
    req.on("error", () => resolve_(0));
    req.end();
  });
}

describe("proxy drain (real Envoy)", function () {
  this.timeout(60_000);
  let backend: ScriptedBackend;
  let t: TestGateway | undefined;
  let dir: string;

  before(async () => {
    backend = await startScriptedBackend();
    dir = await mkdtemp(join(tmpdir(), "egts-drain-"));
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  after(async () => {
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(shutdown: string): Promise<{ port: number; admin: string }> {
    const port = await freePort();
    t = await startTestGateway(files(port, backend.port, shutdown));
    await eventually(
      async () => (await httpGet(port, HOST, "/", { agent: oneShot })).status === 200,
      20_000,
      "the route",
    );
    const admin = await t.gw.runner?.adminUrl("default/eg");
    assert.ok(admin, "the proxy's admin address");
    return { port, admin };
  }

  it("egts envoy shutdown drains keep-alive connections and releases the shutdown manager's preStop", async () => {
    const { port, admin } = await serve("{ drainTimeout: 30s }");
    const managerPort = await freePort();
    const readyFile = join(dir, "shutdown-ready");
    const manager = spawn(
      "node",
      ["bin/egts.js", "envoy", "shutdown-manager", `--port=${managerPort}`, `--ready-file=${readyFile}`],
      { cwd: repoRoot(), stdio: "ignore" },
    );
    try {
      await eventually(async () => (await managerGet(managerPort, "/healthz")) === 200, 10_000, "the manager");
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const before = await httpGet(port, HOST, "/", { agent });
      assert.notEqual(before.headers.connection, "close");
      await eventually(async () => (await activeConnections(admin, [])) === 1, 5000, "one keep-alive connection");
      const preStop = managerGet(managerPort, "/shutdown/ready");
      const started = Date.now();
      const shutdown = egtsAsync([
        "envoy",
        "shutdown",
        `--admin-address=${admin.replace("http://", "")}`,
        "--drain-timeout=20s",
        "--min-drain-duration=2s",
        `--ready-file=${readyFile}`,
      ]);
      await eventually(
        async () => (await httpGet(port, HOST, "/", { agent })).headers.connection === "close",
        5000,
        "Connection: close",
      );
      agent.destroy();
      const run = await shutdown;
      const ms = Date.now() - started;
      process.stdout.write(`      drain: ${ms} ms; ${run.stdout.trim().split("\n").pop()}\n`);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /drain sequence completed \(0 connections/);
      assert.ok(ms >= 2000, `the minimum drain duration was kept (${ms} ms)`);
      assert.ok(ms < 15_000, `over once the connections were gone (${ms} ms)`);
      assert.ok(existsSync(readyFile));
      assert.equal(await preStop, 200, "the Envoy container's preStop returns once the drain is over");
      const after = await httpGet(port, HOST, "/", { agent: oneShot });
      assert.equal(after.status, 200, "still serving");
      assert.equal(after.headers.connection, "close", "every answer closing");
    } finally {
      manager.kill("SIGTERM");
      await rm(readyFile, { force: true });
    }
  });

  it("an idle connection held open keeps the drain to its timeout", async () => {
    const { port, admin } = await serve("{ drainTimeout: 30s }");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await httpGet(port, HOST, "/", { agent });
    await eventually(async () => (await activeConnections(admin, [])) === 1, 5000, "one idle connection");
    const readyFile = join(dir, "timeout-ready");
    const run = await egtsAsync([
      "envoy",
      "shutdown",
      `--admin-address=${admin.replace("http://", "")}`,
      "--drain-timeout=3s",
      "--min-drain-duration=1s",
      `--ready-file=${readyFile}`,
    ]);
    agent.destroy();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /drain sequence timeout exceeded \(1 connections\)/);
    assert.ok(existsSync(readyFile), "the ready file is written at the timeout too");
  });

  it("with --health-check-failure-delay, Envoy passes its health checks until the delay is over", async () => {
    const { admin } = await serve("{ drainTimeout: 30s, healthCheckFailureDelay: 2s }");
    /** Envoy's server state: LIVE, or DRAINING once its health checks fail. */
    const state = async (): Promise<string> =>
      ((await (await fetch(`${admin}/server_info`)).json()) as { state: string }).state;
    assert.equal(await state(), "LIVE");
    const started = Date.now();
    const shutdown = egtsAsync([
      "envoy",
      "shutdown",
      `--admin-address=${admin.replace("http://", "")}`,
      "--drain-timeout=10s",
      "--min-drain-duration=4s",
      "--health-check-failure-delay=2s",
      `--ready-file=${join(dir, "delay-ready")}`,
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await state(), "LIVE", "still passing health checks 1 s into the drain");
    await eventually(async () => (await state()) === "DRAINING", 5000, "the health checks failing");
    const failedAfter = Date.now() - started;
    const run = await shutdown;
    process.stdout.write(`      health checks failed after ${failedAfter} ms\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /delaying health check failure by 2 seconds/);
    assert.ok(failedAfter >= 2000, `not before the delay (${failedAfter} ms)`);
  });

  /** Starts a slow request, waits until the backend has it, stops the gateway; the request's outcome. */
  async function stopDuringRequest(shutdown: string): Promise<{ status: number; error?: string; logs: string[] }> {
    const { port } = await serve(shutdown);
    const key = `k${Date.now()}`;
    const headers = { "x-script": "sleep1500", "x-attempt-key": key };
    const inFlight = httpGet(port, HOST, "/", { headers, agent: oneShot });
    await eventually(async () => backend.attempts(key) === 1, 5000, "the request at the backend");
    const gateway = t;
    t = undefined;
    await gateway?.close();
    const res = await inFlight;
    return { status: res.status, ...(res.error ? { error: res.error } : {}), logs: gateway?.logs ?? [] };
  }

  it("standalone: stopping drains the proxy first, so a request in flight completes", async () => {
    const res = await stopDuringRequest("{ drainTimeout: 10s }");
    assert.equal(res.status, 200, res.error);
    assert.ok(
      res.logs.some((l) => /envoy drained/.test(l) && /drained after \d+ ms, 0 connections left/.test(l)),
      res.logs.filter((l) => /envoy/.test(l)).join("\n"),
    );
  });

  it("standalone without a drain (drainTimeout 0s): the same request is cut", async () => {
    const res = await stopDuringRequest("{ drainTimeout: 0s }");
    assert.equal(res.status, 0, "the request failed at the socket");
  });
});
