/** The standalone status edge: what changed is logged once, unchanged statuses cost nothing, removed objects go. */
import * as assert from "node:assert/strict";
import type { Logger } from "../../operator/src/log";
import { StatusLog } from "../../operator/src/pipeline/status-log";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import type { StatusUpdateMetrics } from "../../operator/src/metrics/control-plane";

function update(name: string, reason: string, ok = true): StatusUpdate {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    namespace: "default",
    name,
    status: { conditions: [{ type: "Accepted", status: ok ? "True" : "False", reason, message: reason }] },
  } as StatusUpdate;
}

describe("status log", () => {
  const lines: string[] = [];
  const log: Logger = (level, msg) => void lines.push(`${level} ${msg}`);
  beforeEach(() => (lines.length = 0));

  it("logs each change once, counts unchanged ones (same object or equal copy) as nothing, and drops removed objects", () => {
    const s = new StatusLog(log);
    const a = update("a", "Accepted");
    const b = update("b", "Accepted");
    assert.equal(s.apply([a, b]), 2);
    assert.deepEqual(lines, ["info HTTPRoute default/a: ok", "info HTTPRoute default/b: ok"]);
    // The same objects again, then an equal copy of a: nothing changed, nothing logged, the first object kept.
    assert.equal(s.apply([a, b]), 0);
    assert.equal(s.apply([update("a", "Accepted"), b]), 0);
    assert.equal(s.get("HTTPRoute", "default", "a"), a);
    assert.equal(lines.length, 2);
    // b changes and is listed twice (the later one wins), c is new, a is gone.
    const bad = update("b", "NotAllowedByListeners", false);
    assert.equal(s.apply([b, bad, update("c", "Accepted")]), 2);
    assert.deepEqual(lines.slice(2), [
      "warn HTTPRoute default/b: Accepted=False NotAllowedByListeners: NotAllowedByListeners",
      "info HTTPRoute default/c: ok",
    ]);
    assert.equal(s.get("HTTPRoute", "default", "a"), undefined, "a left the pass: dropped");
    assert.equal(s.get("HTTPRoute", "default", "b"), bad);
    assert.deepEqual(
      s.all().map((u) => u.name),
      ["b", "c"],
    );
    assert.equal(s.apply([]), 0);
    assert.deepEqual(s.all(), []);
  });

  it("reads only the statuses that are new in the list, however far apart, and counts the others as no_action", () => {
    // Each status counts the reads of its kind: the old log read every status's kind on every pass.
    let reads = 0;
    const counted = (u: StatusUpdate): StatusUpdate => {
      const { kind, ...rest } = u;
      return Object.defineProperty({ ...rest }, "kind", {
        get: () => (reads++, kind),
        enumerable: true,
      }) as StatusUpdate;
    };
    const noAction: number[] = [];
    const metrics = {
      statusUpdate: (_kind: string, status: string, _s?: number, n = 1) => {
        if (status === "no_action") noAction.push(n);
      },
    } as unknown as StatusUpdateMetrics;
    const s = new StatusLog(log, metrics);
    const routes = Array.from({ length: 1000 }, (_, i) => counted(update(`r${i}`, "Accepted")));
    const gateway = counted({ ...update("gw", "Accepted"), kind: "Gateway" } as StatusUpdate);
    assert.equal(s.apply([gateway, ...routes]), 1001);
    lines.length = 0;
    reads = 0;
    noAction.length = 0;
    // The Gateway's status changes at the start, a route changes in the middle, a new route comes at the end.
    const gateway2 = counted({ ...update("gw", "Programmed"), kind: "Gateway" } as StatusUpdate);
    const next = [gateway2, ...routes.slice(0, 500), counted(update("r500", "Changed")), ...routes.slice(501)];
    next.push(counted(update("r1000", "Accepted")));
    assert.equal(s.apply(next), 3);
    assert.deepEqual(lines, [
      "info Gateway default/gw: ok",
      "info HTTPRoute default/r500: ok",
      "info HTTPRoute default/r1000: ok",
    ]);
    // A few reads per changed status (its key, its count, its log line); every status's would be over 1,000.
    assert.ok(reads <= 5 * 3, `${reads} reads of a status's kind for 3 changed statuses of 1,002`);
    assert.deepEqual(noAction, [999], "999 unchanged HTTPRoutes, counted once; no Gateway left unchanged");
    assert.equal(s.get("HTTPRoute", "default", "r500")?.status, next[501].status);
    // A route gone from the middle is forgotten; the others stay.
    assert.equal(s.apply([gateway2, ...next.slice(1, 300), ...next.slice(301)]), 0);
    assert.equal(s.get("HTTPRoute", "default", "r299"), undefined);
    assert.equal(s.all().length, 1001);
  });
});
