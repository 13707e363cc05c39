/**
 * One backend, one cluster object per translation (translate/backends.ts): every route referencing a Service port or
 * a Backend gets the same ClusterIr, and each resolution still records what the route used (its effects are replayed
 * for memoised routes), so the HTTPRoute stage folds clusters and effects by identity instead of comparing copies.
 */
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { BackendIndex, isProblem } from "../../operator/src/translate/backends";
import { ExtensionObjects } from "../../operator/src/translate/extension-objects";

const objects = [
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: {
      ports: [
        { name: "http", port: 80 },
        { name: "alt", port: 81 },
      ],
    },
  },
  {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-1", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [
      { name: "http", port: 8080 },
      { name: "alt", port: 8081 },
    ],
    endpoints: [{ addresses: ["10.0.0.1"] }],
  },
  {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "Backend",
    metadata: { name: "pool", namespace: "default" },
    spec: { endpoints: [{ ip: { address: "10.1.0.1", port: 80 } }] },
  },
] as unknown as KubeObject[];

const POOL = { group: "gateway.envoyproxy.io", kind: "Backend", name: "pool" };

describe("backend index: one cluster object per backend", () => {
  it("gives every reference to one Service port the same cluster, and another port its own", () => {
    const index = new BackendIndex(snapshotFromObjects(objects));
    const a = index.resolve({ name: "web", port: 80 } as never, "default");
    const b = index.resolve({ name: "web", port: 80 } as never, "default");
    const other = index.resolve({ name: "web", port: 81 } as never, "default");
    assert.ok(!isProblem(a) && !isProblem(other));
    assert.equal(a, b);
    assert.notEqual(a, other);
    assert.deepEqual(
      other.endpoints.map((e) => e.port),
      [8081],
    );
  });

  it("gives a GRPCRoute's reference to the same port a cluster of its own protocol", () => {
    const index = new BackendIndex(snapshotFromObjects(objects));
    const http = index.resolve({ name: "web", port: 80 } as never, "default");
    const grpc = index.resolve({ name: "web", port: 80 } as never, "default", "GRPCRoute");
    assert.ok(!isProblem(http) && !isProblem(grpc));
    assert.notEqual(http.name, grpc.name);
  });

  it("gives every reference to one Backend the same cluster and records its use on each resolution", () => {
    const index = new BackendIndex(snapshotFromObjects(objects), { enabled: true });
    const first = index.recording(() => index.resolve(POOL as never, "default"));
    const second = index.recording(() => index.resolve(POOL as never, "default"));
    assert.ok(!isProblem(first.value));
    assert.equal(second.value, first.value);
    assert.equal(first.effects.length, 1);
    assert.deepEqual(second.effects, first.effects);
    assert.equal(second.effects[0], first.effects[0], "the same effect object: folded by identity");
  });

  it("gives every reference to one extension object the same cluster, and a same-named kind of another group its own", () => {
    const pool = (group: string): KubeObject =>
      ({
        apiVersion: `${group}/v1`,
        kind: "Pool",
        metadata: { name: "p", namespace: "default" },
      }) as unknown as KubeObject;
    const snapshot = snapshotFromObjects([pool("a.example"), pool("b.example")]);
    const kinds = {
      filters: [],
      backends: [
        { group: "a.example", kind: "Pool" },
        { group: "b.example", kind: "Pool" },
      ],
    };
    const index = new BackendIndex(snapshot, { enabled: false }, new ExtensionObjects(snapshot, kinds));
    const ref = (group: string): never => ({ group, kind: "Pool", name: "p" }) as never;
    const a = index.resolve(ref("a.example"), "default");
    const again = index.resolve(ref("a.example"), "default");
    const b = index.resolve(ref("b.example"), "default");
    assert.ok(!isProblem(a) && !isProblem(b));
    assert.equal(again, a);
    assert.notEqual(b, a);
    assert.match(b.extension?.resources[0] ?? "", /b\.example/);
  });

  it("reports a disabled Backend on every reference, recording its use each time", () => {
    const index = new BackendIndex(snapshotFromObjects(objects));
    const first = index.recording(() => index.resolve(POOL as never, "default"));
    const second = index.recording(() => index.resolve(POOL as never, "default"));
    assert.ok(isProblem(first.value) && isProblem(second.value));
    assert.match(second.value.message, /Backend is disabled/);
    assert.equal(second.effects.length, 1);
    assert.equal(index.backendStatuses().length, 1);
  });

  it("gives the last index's Backend statuses when its routes used the same Backends, and new ones when a use changed", () => {
    const snapshot = snapshotFromObjects(objects);
    const first = new BackendIndex(snapshot, { enabled: true });
    const used = first.recording(() => first.resolve(POOL as never, "default"));
    const statuses = first.backendStatuses();
    assert.equal(statuses.length, 1);
    // A later pass replays the recorded use: the same list, not sorted and built again.
    const second = new BackendIndex(snapshot, { enabled: true });
    second.replay(used.effects);
    assert.equal(second.backendStatuses(), statuses);
    // Backends disabled: the same Backend is judged again, and its status says so.
    const disabled = new BackendIndex(snapshot);
    disabled.resolve(POOL as never, "default");
    const now = disabled.backendStatuses();
    assert.notEqual(now, statuses);
    assert.match(JSON.stringify(now), /Backend is not enabled/);
    assert.match(JSON.stringify(statuses), /The Backend was accepted/);
  });

  it("indexes a snapshot list once: another snapshot with the same lists resolves the same, one with new lists reads them", () => {
    const first = snapshotFromObjects(objects);
    const a = new BackendIndex(first, { enabled: true }).resolve({ name: "web", port: 80 } as never, "default");
    // The same lists (an unchanged kind is the same list from pass to pass).
    const again = new BackendIndex({ ...first }, { enabled: true }).resolve(
      { name: "web", port: 80 } as never,
      "default",
    );
    assert.ok(!isProblem(a) && !isProblem(again));
    assert.deepEqual(again.endpoints, a.endpoints);
    // New lists: the Service's slice gone, the Backend gone.
    const changed = snapshotFromObjects(objects.filter((o) => o.kind === "Service"));
    const index = new BackendIndex(changed, { enabled: true });
    const web = index.resolve({ name: "web", port: 80 } as never, "default");
    assert.ok(!isProblem(web));
    assert.deepEqual(web.endpoints, [], "no slice in the new list");
    assert.ok(isProblem(index.resolve(POOL as never, "default")), "no Backend in the new list");
  });
});
