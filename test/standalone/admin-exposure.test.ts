/**
 * Envoy's admin API is unreachable from outside the pod: real Envoy started from our bootstrap (the one the
 * Kubernetes pods get, with the readiness and stats listeners), attacked with raw HTTP/1.1 requests (raw
 * sockets, so no client normalises the path for us).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBootstrap } from "../../operator/src/infra/bootstrap";
import { assertNoAdminOutput, rawRequest } from "../support/admin-probe";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

describe("admin API exposure (real Envoy, bootstrap readiness and stats listeners)", function () {
  let t: TestGateway;
  let envoy: ChildProcess;
  let dir: string;
  let readyPort: number;
  let statsPort: number;
  let adminPort: number;

  before(async function () {
    // A route and a backend, so the node has clusters and Envoy's initial CDS fetch completes.
    const files = {
      "gateway.yaml": gatewayYaml(await freePort()),
      "route.yaml": `${backendYaml("app", await freePort())}---\n${routeYaml("app", "www.example.com", "app")}`,
    };
    t = await startTestGateway(files, { withEnvoy: false });
    dir = await mkdtemp(join(tmpdir(), "egts-admin-"));
    [readyPort, statsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const bootstrap = buildBootstrap({
      nodeId: "default/eg",
      xdsHost: "127.0.0.1",
      xdsPort: t.gw.xdsPort,
      adminPort,
      readinessPort: readyPort,
      statsPort,
    });
    const file = join(dir, "bootstrap.json");
    await writeFile(file, JSON.stringify(bootstrap));
    envoy = spawn(requireEnvoy(), ["-c", file, "--use-dynamic-base-id", "--log-level", "warn"], {
      stdio: ["ignore", "ignore", process.env.EGTS_TEST_LOG ? "inherit" : "ignore"],
    });
    await eventually(
      async () => (await rawRequest(readyPort, "GET", "/ready").catch(() => undefined))?.status === 200,
      15_000,
      "GET /ready on the readiness listener to answer 200",
    );
  });
  after(async () => {
    envoy?.kill("SIGKILL");
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("GET /ready answers 200 LIVE once the configuration is in; GET /stats/prometheus serves metrics", async () => {
    const r = await rawRequest(readyPort, "GET", "/ready");
    assert.equal(r.status, 200);
    assert.match(r.body, /LIVE/);
    const s = await rawRequest(statsPort, "GET", "/stats/prometheus");
    assert.equal(s.status, 200);
    assert.match(s.body, /envoy_server_live/);
  });

  for (const [name, port] of [
    ["readiness", (): number => readyPort],
    ["stats", (): number => statsPort],
  ] as const) {
    it(`the ${name} listener never returns admin output for path tricks and other methods`, async () => {
      await assertNoAdminOutput(`the ${name} listener`, port());
      // Envoy is still running and still healthy: /quitquitquit and /healthcheck/fail never reached admin.
      assert.equal(envoy.exitCode, null, "Envoy still running");
      const ready = await rawRequest(readyPort, "GET", "/ready");
      assert.equal(ready.status, 200, "still ready (healthcheck/fail did not reach admin)");
      const admin = await fetch(`http://127.0.0.1:${adminPort}/server_info`);
      assert.match(await admin.text(), /"state": "LIVE"/);
    });
  }

  it("admin itself binds loopback only", () => {
    const b = buildBootstrap({ nodeId: "n", xdsHost: "127.0.0.1", xdsPort: 1, adminPort: 19000, readinessPort: 1 });
    const admin = b.admin as { address: { socket_address: { address: string } } };
    assert.equal(admin.address.socket_address.address, "127.0.0.1");
  });
});
