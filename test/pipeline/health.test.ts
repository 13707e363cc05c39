/** Pipeline health (what the controller's /readyz answers): the rules, with a test clock. */
import * as assert from "node:assert/strict";
import { PipelineHealth } from "../../operator/src/pipeline/health";

describe("pipeline health (/readyz)", () => {
  let now = 0;
  const health = (): PipelineHealth => new PipelineHealth(1000, () => now);

  it("is not ready before the first pass, ready after it", () => {
    now = 0;
    const h = health();
    assert.deepEqual(h.readiness(), { ready: false, reason: "waiting for the initial sync" });
    h.snapshotArrived();
    h.passSucceeded();
    assert.deepEqual(h.readiness(), { ready: true, reason: "ok" });
  });

  it("is not ready while the last pass failed, and ready again after a pass succeeds", () => {
    const h = health();
    h.snapshotArrived();
    h.passSucceeded();
    h.snapshotArrived();
    h.passFailed(new Error("boom"));
    assert.deepEqual(h.readiness(), { ready: false, reason: "the last translation pass failed: boom" });
    h.snapshotArrived();
    h.passSucceeded();
    assert.equal(h.readiness().ready, true);
  });

  it("reports a stuck pipeline when a snapshot waits longer than the bound, even behind a pass that ended", () => {
    now = 0;
    const h = health();
    h.snapshotArrived();
    h.passSucceeded();
    now = 100;
    h.snapshotArrived(); // its pass starts...
    now = 200;
    h.snapshotArrived(); // ...and another snapshot queues behind it
    now = 300;
    h.passSucceeded(); // the first of the two ends; the second never does
    now = 1150;
    assert.equal(h.readiness().ready, true, "the queued snapshot has waited 950 ms only");
    now = 1300;
    assert.deepEqual(h.readiness(), { ready: false, reason: "no translation pass completed in 1 s" });
  });
});
