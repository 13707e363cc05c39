/** The host runner restarts a killed Envoy, which gets its full config back over xDS. */
import assert from "node:assert/strict";
import { firstValueFrom, filter } from "rxjs";
import { eventually, httpGet } from "../support/http";

import { startBasicGateway, type BasicGateway, type TestGateway } from "../support/standalone";

describe("Envoy restart (real Envoy)", function () {
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "b", route: "r", host: "r.example.com" });
    ({ t, port } = g);
  });

  after(async function () {
    await g?.close();
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
