/** The standalone status edge: what changed is logged once, unchanged statuses cost nothing, removed objects go. */
import * as assert from "node:assert/strict";
import type { Logger } from "../../operator/src/log";
import { StatusLog } from "../../operator/src/pipeline/status-log";
import type { StatusUpdate } from "../../operator/src/translate/conditions";

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
});
