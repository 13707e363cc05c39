/** The host runner restarts a killed Envoy, which gets its full config back over xDS. */
import assert from "node:assert/strict";
import { firstValueFrom, filter } from "rxjs";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

describe("Envoy restart (real Envoy)", function () {
  let backend: EchoBackend;
  let t: TestGateway;
  let port: number;

  before(async function () {
    backend = await startEchoBackend({ name: "b" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml("b", backend.port)}---\n${routeYaml("r", "r.example.com", "b")}`,
    });
    await eventually(async () => (await httpGet(port, "r.example.com")).status === 200, 15_000, "the route");
  });

  after(async function () {
    await t?.close();
    await backend?.close();
  });

  it("kill -9 of Envoy: restarted with a new pid, serves again", async function () {
    const runner = t.gw.runner;
    assert.ok(runner);
    const before = runner.list()[0];
    assert.ok(before.pid);
    const restarted = firstValueFrom(runner.events$.pipe(filter((e) => e.kind === "started")));
    process.kill(before.pid, "SIGKILL");
    const ev = await restarted;
    assert.notEqual(ev.pid, before.pid);
    const ms = await eventually(
      async () => (await httpGet(port, "r.example.com", "/", { agent: undefined })).status === 200,
      15_000,
      "the restarted Envoy to serve",
    );
    assert.equal(runner.list()[0].restarts, 1);
    assert.ok(ms < 15_000);
  });
});
