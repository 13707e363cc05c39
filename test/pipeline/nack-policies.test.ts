/**
 * The NACK quarantine of policies, on its own (real Envoy: test/standalone/patch-nack.test.ts and wasm-nack.test.ts):
 * EnvoyPatchPolicies are suspects and are translated without their patches when quarantined, with Programmed=False;
 * a NACK naming a Wasm plugin names the EnvoyExtensionPolicy entry, which is marked so the translator fails it, and
 * its status carries Envoy's reason.
 */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { Condition, KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { Quarantine } from "../../operator/src/pipeline/nack-bisect";
import { suspectObjects, withoutSuspects } from "../../operator/src/pipeline/nack-suspects";
import { failedWasmPlugins, wasmCulprits } from "../../operator/src/pipeline/wasm-nack";
import type { StatusUpdate } from "../../operator/src/translate/conditions";

const CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

function snapshot(...docs: string[]): ReturnType<typeof snapshotFromObjects> {
  return snapshotFromObjects(parseAllDocuments(docs.join("---\n")).map((d) => d.toJS() as KubeObject));
}

function epp(name: string, path: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyPatchPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: eg }
  type: JSONPatch
  jsonPatches: [{ type: type.googleapis.com/envoy.config.listener.v3.Listener, name: l, operation: { op: add, path: ${path}, value: 1 } }]
`;
}

function eep(name: string, wasmNames: readonly (string | undefined)[]): string {
  const entries = wasmNames.map(
    (n) => `    - ${n ? `name: ${n}\n      ` : ""}code: { type: HTTP, http: { url: "http://x/${name}.wasm" } }`,
  );
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: r }]
  wasm:
${entries.join("\n")}
`;
}

/** A policy status as translation writes it: one ancestor with these conditions. */
function policyStatus(kind: string, name: string, conditions: Condition[]): StatusUpdate {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind,
    namespace: "default",
    name,
    status: { ancestors: [{ ancestorRef: { name: "eg" }, controllerName: CONTROLLER, conditions }] },
  };
}

function conditionsOf(u: StatusUpdate | undefined): Condition[] {
  return (u?.status as { ancestors: { conditions: Condition[] }[] }).ancestors[0].conditions;
}

describe("NACK quarantine of EnvoyPatchPolicies", () => {
  const snap = snapshot(epp("bad", "/a"), epp("good", "/b"));

  it("suspects each patch policy and, quarantined, translates it without its patches (its siblings untouched)", () => {
    const keys = suspectObjects(snap).map((r) => r.key);
    assert.deepEqual(keys, ["EnvoyPatchPolicy/default/bad", "EnvoyPatchPolicy/default/good"]);
    const out = withoutSuspects(snap, new Set(["EnvoyPatchPolicy/default/bad"]));
    const byName = new Map((out.policies?.envoyPatchPolicies ?? []).map((p) => [p.metadata.name, p]));
    assert.deepEqual(byName.get("bad")?.spec.jsonPatches, []);
    assert.equal(byName.get("good")?.spec.jsonPatches?.length, 1);
    assert.equal(snap.policies?.envoyPatchPolicies?.[0].spec.jsonPatches?.length, 1, "the input is not changed");
  });

  it("Programmed=False Invalid with Envoy's reason on the quarantined one; released when its spec changes", () => {
    const q = new Quarantine();
    const bad = suspectObjects(snap).find((r) => r.key === "EnvoyPatchPolicy/default/bad");
    q.add("EnvoyPatchPolicy/default/bad", bad?.hash ?? "", "Error adding/updating listener(s) l: bad option");
    const programmed: Condition = {
      type: "Programmed",
      status: "True",
      reason: "Programmed",
      message: "Patches have been successfully applied.",
      observedGeneration: 3,
    };
    const accepted: Condition = { type: "Accepted", status: "True", reason: "Accepted", message: "ok" };
    const out = q.statuses(
      [
        policyStatus("EnvoyPatchPolicy", "bad", [accepted, programmed]),
        policyStatus("EnvoyPatchPolicy", "good", [accepted, programmed]),
      ],
      snap,
      CONTROLLER,
    );
    const [badConds, goodConds] = out.map(conditionsOf);
    assert.deepEqual(badConds[0], accepted);
    assert.deepEqual(badConds[1], {
      type: "Programmed",
      status: "False",
      reason: "Invalid",
      message:
        "Envoy rejected the patched resources: Error adding/updating listener(s) l: bad option. The policy's patches are left out until it changes.",
      observedGeneration: 3,
    });
    assert.deepEqual(goodConds, [accepted, programmed]);
    assert.deepEqual(
      [...q.excluded(snapshot(epp("bad", "/c"), epp("good", "/b")))],
      [],
      "a changed policy is tried again",
    );
  });
});

describe("NACK quarantine of Wasm entries", () => {
  const error =
    "Error adding/updating listener(s) default/eg/http: Unable to create Wasm plugin envoyextensionpolicy/default/p/wasm/1\n" +
    "default/eg/other: Unable to create Wasm plugin mine";
  const snap = snapshot(eep("p", [undefined, undefined]), eep("q", ["mine"]), eep("z", ["unrelated"]));

  it("reads the plugin names of Envoy's error and maps them to policy entries (default names and wasm[].name)", () => {
    assert.deepEqual(failedWasmPlugins(error), ["envoyextensionpolicy/default/p/wasm/1", "mine"]);
    assert.deepEqual(failedWasmPlugins("Proto constraint validation failed"), []);
    assert.deepEqual(
      wasmCulprits(error, snap).map((w) => w.key),
      ["EnvoyExtensionPolicy/default/p/wasm/1", "EnvoyExtensionPolicy/default/q/wasm/0"],
    );
  });

  it("marks only the quarantined entry, and puts Envoy's reason in the policy's status in place of the marker's", () => {
    const q = new Quarantine();
    const [culprit] = wasmCulprits(error, snap);
    q.add(culprit.key, culprit.policy.hash, error);
    const exclude = q.excluded(snap);
    const out = withoutSuspects(snap, exclude);
    const p = out.policies?.envoyExtensionPolicies?.find((x) => x.metadata.name === "p");
    assert.deepEqual(
      p?.spec.wasm?.map((w) => w.code.type),
      ["HTTP", "EnvoyRejected-1"],
    );
    const translated = policyStatus("EnvoyExtensionPolicy", "p", [
      {
        type: "Accepted",
        status: "False",
        reason: "Invalid",
        message: 'Wasm: unsupported Wasm code source type "EnvoyRejected-1".',
      },
    ]);
    const [st] = q.statuses([translated], snap, CONTROLLER);
    assert.equal(
      conditionsOf(st)[0].message,
      "Wasm: Envoy could not start the module (Unable to create Wasm plugin envoyextensionpolicy/default/p/wasm/1); " +
        "the entry is left out until the policy changes.",
    );
    const changed = snapshot(eep("p", ["renamed", undefined]), eep("q", ["mine"]));
    assert.deepEqual([...q.excluded(changed)], [], "a changed policy is tried again");
  });
});
