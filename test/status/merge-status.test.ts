/** Status merging: transition times, other controllers' entries, change detection. */
import assert from "node:assert/strict";
import { canonical, liveIsNewer, mergeStatus, sameJson, statusChanged } from "../../operator/src/status/merge-status";

const OURS = "gateway.envoyproxy.io/gatewayclass-controller";
const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-02T00:00:00Z";

const accepted = (status: "True" | "False") => ({ type: "Accepted", status, reason: "Accepted", message: "m" });

describe("status merge", () => {
  it("keeps lastTransitionTime while a condition's status is unchanged, and sets now when it flips", () => {
    const live = { conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] };
    const same = mergeStatus(live, { conditions: [accepted("True")] }, OURS, T1) as typeof live;
    assert.equal(same.conditions[0]?.lastTransitionTime, T0);
    assert.equal(statusChanged(live, same), false, "an unchanged status needs no write");
    const flipped = mergeStatus(live, { conditions: [accepted("False")] }, OURS, T1) as typeof live;
    assert.equal(flipped.conditions[0]?.lastTransitionTime, T1);
    assert.equal(statusChanged(live, flipped), true);
  });

  it("pairs listener conditions by listener name", () => {
    const live = {
      listeners: [
        { name: "b", attachedRoutes: 1, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] },
        { name: "a", attachedRoutes: 0, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] },
      ],
    };
    const desired = {
      listeners: [
        { name: "a", attachedRoutes: 0, conditions: [accepted("True")] },
        { name: "new", attachedRoutes: 0, conditions: [accepted("True")] },
      ],
    };
    const out = mergeStatus(live, desired, OURS, T1) as typeof live;
    assert.deepEqual(
      out.listeners.map((l) => [l.name, l.conditions[0]?.lastTransitionTime]),
      [
        ["a", T0],
        ["new", T1],
      ],
    );
  });

  it("keeps route parents written by other controllers and replaces ours", () => {
    const theirs = { parentRef: { name: "other-gw" }, controllerName: "example.com/other", conditions: [] };
    const oldOurs = {
      parentRef: { name: "eg" },
      controllerName: OURS,
      conditions: [{ ...accepted("False"), lastTransitionTime: T0 }],
    };
    const live = { parents: [theirs, oldOurs] };
    const desired = { parents: [{ parentRef: { name: "eg" }, controllerName: OURS, conditions: [accepted("True")] }] };
    const out = mergeStatus(live, desired, OURS, T1) as {
      parents: { controllerName: string; conditions: { lastTransitionTime: string }[] }[];
    };
    assert.deepEqual(
      out.parents.map((p) => p.controllerName),
      ["example.com/other", OURS],
    );
    assert.equal(out.parents[1]?.conditions[0]?.lastTransitionTime, T1, "status flipped False → True");
  });

  it("keeps conditions of types other controllers own, unchanged and in place, on the Gateway and its listeners", () => {
    const foreign = {
      type: "conformance.gateway.networking.k8s.io/StaleCondition",
      status: "True",
      reason: "Seeded",
      message: "",
      observedGeneration: 1,
      lastTransitionTime: T0,
    };
    const live = {
      conditions: [
        { ...accepted("True"), observedGeneration: 1, lastTransitionTime: T0 },
        { type: "Programmed", status: "True", reason: "Programmed", message: "m", lastTransitionTime: T0 },
        foreign,
        { type: "Conflicted", status: "True", reason: "HostnameConflict", message: "m", lastTransitionTime: T0 },
      ],
      listeners: [{ name: "http", conditions: [foreign, { ...accepted("True"), lastTransitionTime: T0 }] }],
    };
    const desired = {
      conditions: [
        { ...accepted("True"), observedGeneration: 2 },
        { type: "Programmed", status: "True", reason: "Programmed", message: "m" },
        { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "m" },
      ],
      listeners: [{ name: "http", conditions: [accepted("True")] }],
    };
    const out = mergeStatus(live, desired, OURS, T1) as typeof live;
    assert.deepEqual(
      out.conditions.map((c) => c.type),
      ["Accepted", "Programmed", foreign.type, "ResolvedRefs"],
      "ours updated in place, the foreign one kept where it was, our stale Conflicted dropped, new ones appended",
    );
    assert.deepEqual(out.conditions[2], foreign, "the foreign condition is not modified");
    assert.equal((out.conditions[0] as { observedGeneration?: number }).observedGeneration, 2);
    assert.deepEqual(out.listeners[0]?.conditions, [foreign, { ...accepted("True"), lastTransitionTime: T0 }]);
    assert.equal(statusChanged(out, mergeStatus(out, desired, OURS, T1)), false, "a second pass writes nothing");
  });

  it("removes InsecureFrontendValidationMode once the translator no longer reports it (mode back to AllowValidOnly)", () => {
    const insecure = { type: "InsecureFrontendValidationMode", status: "True", reason: "ConfigurationChanged" };
    const live = {
      conditions: [
        { ...accepted("True"), lastTransitionTime: T0 },
        { ...insecure, lastTransitionTime: T0 },
      ],
    };
    const out = mergeStatus(live, { conditions: [accepted("True")] }, OURS, T1) as typeof live;
    assert.deepEqual(
      out.conditions.map((c) => c.type),
      ["Accepted"],
    );
  });

  it("keeps another controller's route parent in place when it was added after ours", () => {
    const ours = { parentRef: { name: "eg" }, controllerName: OURS, conditions: [accepted("True")] };
    const theirs = { parentRef: { name: "unmanaged" }, controllerName: "example.com/other", conditions: [] };
    const live = { parents: [{ ...ours, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] }, theirs] };
    const out = mergeStatus(live, { parents: [ours] }, OURS, T1);
    assert.equal(statusChanged(live, out), false, "nothing to write: the foreign parent stays where it is");
  });

  it("detects no change when only object key order differs", () => {
    assert.equal(statusChanged({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), false);
    assert.equal(statusChanged({ a: [1, 2] }, { a: [2, 1] }), true, "list order counts");
  });

  it("compares as canonical JSON would: undefined values do not count, any other difference does", () => {
    const cases: [unknown, unknown][] = [
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1, b: 2 }, { a: 1 }],
      [{ a: "1" }, { a: 1 }],
      [{ a: null }, { a: {} }],
      [{ a: [] }, { a: {} }],
      [{ a: [{ x: 1 }] }, { a: [{ x: 1 }, { x: 2 }] }],
      [{ a: { b: { c: [1, { d: true }] } } }, { a: { b: { c: [1, { d: true }] } } }],
      [{ a: { b: { c: [1, { d: true }] } } }, { a: { b: { c: [1, { d: false }] } } }],
      [
        { a: 1, c: 2 },
        { a: 1, b: 2 },
      ],
    ];
    for (const [a, b] of cases) {
      assert.equal(sameJson(a, b), canonical(a) === canonical(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(sameJson(b, a), sameJson(a, b), "symmetric");
    }
  });

  it("a live status from a newer generation (another replica ahead) is newer than ours; other controllers' do not count", () => {
    const at = (observedGeneration: number) => ({ ...accepted("True"), observedGeneration });
    const foreign = { type: "example.com/Other", status: "True", reason: "R", message: "m", observedGeneration: 9 };
    assert.equal(liveIsNewer({ conditions: [at(3)] }, { conditions: [at(2)] }, OURS), true);
    assert.equal(liveIsNewer({ listeners: [{ name: "l", conditions: [at(3)] }] }, { conditions: [at(2)] }, OURS), true);
    assert.equal(liveIsNewer({ conditions: [at(2)] }, { conditions: [at(2)] }, OURS), false, "same generation");
    assert.equal(liveIsNewer({ conditions: [at(1)] }, { conditions: [at(2)] }, OURS), false, "ours is newer");
    assert.equal(liveIsNewer({ conditions: [at(2), foreign] }, { conditions: [at(2)] }, OURS), false, "foreign type");
    const theirParent = { parentRef: { name: "x" }, controllerName: "example.com/other", conditions: [at(9)] };
    const ourParent = (g: number) => ({ parentRef: { name: "eg" }, controllerName: OURS, conditions: [at(g)] });
    assert.equal(liveIsNewer({ parents: [ourParent(2), theirParent] }, { parents: [ourParent(2)] }, OURS), false);
    assert.equal(liveIsNewer({ parents: [ourParent(3)] }, { parents: [ourParent(2)] }, OURS), true);
    assert.equal(liveIsNewer({}, { conditions: [at(2)] }, OURS), false, "nothing written yet");
  });
});
