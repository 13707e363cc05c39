/**
 * The controller's health probe endpoint (Envoy Gateway's port 8081; here on a free port): `/healthz` while the
 * process runs, `/readyz` following the pipeline's readiness with its reason, nothing else.
 */
import * as assert from "node:assert/strict";
import type { Server } from "node:http";
import type { Readiness } from "../../operator/src/pipeline/health";
import { startHealthProbeServer } from "../../operator/src/pipeline/health-server";
import { httpGet } from "../support/http";

describe("health probe endpoint (/healthz, /readyz)", () => {
  let readiness: Readiness = { ready: false, reason: "waiting for the initial sync" };
  let server: Server;
  let port: number;

  before(async () => {
    ({ server, port } = await startHealthProbeServer(0, () => readiness, "127.0.0.1"));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers /healthz 200 even while not ready", async () => {
    const r = await httpGet(port, "localhost", "/healthz");
    assert.equal(r.status, 200);
    assert.equal((await httpGet(port, "localhost", "/healthz/")).status, 200);
  });

  it("answers /readyz 503 with the reason, then 200 once ready", async () => {
    readiness = { ready: false, reason: "waiting for the initial sync" };
    const before = await httpGet(port, "localhost", "/readyz");
    assert.equal(before.status, 503);
    assert.equal(before.body, "waiting for the initial sync\n");
    readiness = { ready: true, reason: "ok" };
    assert.equal((await httpGet(port, "localhost", "/readyz?verbose")).status, 200);
  });

  it("serves nothing else (no /metrics on the probe port)", async () => {
    assert.equal((await httpGet(port, "localhost", "/metrics")).status, 404);
  });
});
