/**
 * The one JSON merge / strategic merge (operator/src/translate/merge-patch.ts) as EnvoyProxy patches of rendered
 * objects use it (kubernetes-patch.ts): Kubernetes' merge keys per kind, Kubernetes' order of a keyed list, and the
 * Envoy container's env as Envoy Gateway builds it.
 */
import assert from "node:assert/strict";
import { applyPatch, containerEnv } from "../../operator/src/translate/kubernetes-patch";
import { jsonMergePatch, strategicMergePatch } from "../../operator/src/translate/merge-patch";

const deployment = (containers: unknown[]) => ({
  kind: "Deployment",
  spec: { template: { spec: { containers } } },
});

describe("kubernetes patches of rendered objects", () => {
  it("JSON merge patch replaces lists and deletes with null", () => {
    assert.deepEqual(jsonMergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { d: null } }), {
      a: [3],
      b: { c: 1 },
    });
  });

  it("strategic merge patch merges containers by name and adds new ones", () => {
    const target = deployment([{ name: "envoy", image: "a", args: ["x"] }]);
    const patched = applyPatch(target, {
      value: { spec: { template: { spec: { containers: [{ name: "envoy", image: "b" }, { name: "side" }] } } } },
    });
    assert.deepEqual(patched, deployment([{ name: "envoy", image: "b", args: ["x"] }, { name: "side" }]));
  });

  it("a keyed list comes out in Kubernetes' order: a new item goes before the base-only items after it", () => {
    const target = deployment([{ name: "envoy" }, { name: "shutdown-manager" }]);
    const patched = applyPatch(target, {
      type: "StrategicMerge",
      value: { spec: { template: { spec: { containers: [{ name: "side" }] } } } },
    });
    assert.deepEqual(patched, deployment([{ name: "side" }, { name: "envoy" }, { name: "shutdown-manager" }]));
    const abc = [{ name: "A" }, { name: "B" }, { name: "C" }];
    assert.deepEqual(strategicMergePatch(abc, [{ name: "C" }, { name: "D" }, { name: "A" }], { "": "name" }), [
      { name: "B" },
      { name: "C" },
      { name: "D" },
      { name: "A" },
    ]);
  });

  it("a container's ports merge by containerPort and its mounts by mountPath", () => {
    const target = deployment([
      {
        name: "envoy",
        ports: [{ containerPort: 10080, name: "http" }],
        volumeMounts: [{ mountPath: "/a", name: "a" }],
      },
    ]);
    const patched = applyPatch(target, {
      value: {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: "envoy",
                  ports: [{ containerPort: 10080, hostPort: 80 }],
                  volumeMounts: [{ mountPath: "/a", readOnly: true }],
                },
              ],
            },
          },
        },
      },
    });
    assert.deepEqual(
      patched,
      deployment([
        {
          name: "envoy",
          ports: [{ containerPort: 10080, name: "http", hostPort: 80 }],
          volumeMounts: [{ mountPath: "/a", name: "a", readOnly: true }],
        },
      ]),
    );
  });

  it("a Service's ports merge by port (its merge key), not by containerPort", () => {
    const svc = { kind: "Service", spec: { ports: [{ name: "http", port: 80, targetPort: 10080 }] } };
    const patched = applyPatch(svc, { value: { spec: { ports: [{ port: 80, nodePort: 30080 }] } } });
    assert.deepEqual(patched, {
      kind: "Service",
      spec: { ports: [{ name: "http", port: 80, targetPort: 10080, nodePort: 30080 }] },
    });
  });

  it("a list without a merge key is replaced, under either patch type", () => {
    const target = { kind: "Deployment", spec: { template: { spec: { tolerations: [{ key: "a" }] } } } };
    const value = { spec: { template: { spec: { tolerations: [{ key: "b" }] } } } };
    const want = { kind: "Deployment", spec: { template: { spec: { tolerations: [{ key: "b" }] } } } };
    assert.deepEqual(applyPatch(target, { value }), want);
    assert.deepEqual(applyPatch(target, { type: "JSONMerge", value }), want);
  });

  it("container env: a user variable replaces ours whole, new ones follow in the user's order", () => {
    const ours = [
      { name: "A", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "B", value: "b" },
    ];
    assert.deepEqual(
      containerEnv(ours, [
        { name: "C", value: "c" },
        { name: "A", value: "a" },
      ]),
      [
        { name: "A", value: "a" },
        { name: "B", value: "b" },
        { name: "C", value: "c" },
      ],
    );
    assert.deepEqual(containerEnv(ours, undefined), ours);
  });
});
