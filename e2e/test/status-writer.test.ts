/**
 * The status writer against a real API server (Kubernetes tier): a status another replica already wrote
 * from a newer generation is not overwritten by ours, translated from an older one; a status at the
 * current generation is written. No controller runs: the test drives the writer as the controller does.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import type { KubeObject } from "../../operator/src/resources/meta";
import { StatusWriter } from "../../operator/src/status/status-writer";
import { gatewayClassYaml, startKubeCluster, statusPatches, type KubeCluster } from "../harness";

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
}
type GatewayClass = KubeObject & { status?: { conditions?: Condition[] } };

const accepted = (message: string, observedGeneration: number): Condition => ({
  type: "Accepted",
  status: "True",
  reason: "Accepted",
  message,
  observedGeneration,
});

describe("status writer against a real API server", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  const get = (): Promise<GatewayClass> => cluster.kubectlJson<GatewayClass>(["get", "gatewayclass", "eg"]);

  before(async () => {
    cluster = await startKubeCluster();
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: gatewayClassYaml() });
    await cluster.kubectl(["patch", "gatewayclass", "eg", "--type=merge", "-p", '{"spec":{"description":"v2"}}']);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("does not overwrite a status written from a newer generation, and writes one at the current generation", async () => {
    const gen = (await get()).metadata.generation ?? 0;
    assert.equal(gen, 2);
    // Another replica, ahead of us, wrote the status of generation 2.
    const theirs = {
      conditions: [{ ...accepted("from generation 2", 2), lastTransitionTime: "2026-01-01T00:00:00Z" }],
    };
    await cluster.kubectl([
      ...["patch", "gatewayclass", "eg", "--subresource=status", "--type=merge"],
      ...["-p", JSON.stringify({ status: theirs })],
    ]);
    const writer = new StatusWriter(new KubeClient(loadKubeConfig(cluster.kubeconfig)), {
      controllerName: DEFAULT_CONTROLLER_NAME,
      log: silentLogger,
    });
    const update = (message: string, g: number) => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      name: "eg",
      status: { conditions: [accepted(message, g)] },
    });
    // Our translation is of generation 1 (our informer lags behind).
    await writer.write([update("from generation 1", 1)], [await get()]);
    assert.deepEqual((await get()).status, theirs, "the newer status is kept");
    assert.deepEqual(
      { ...writer.stats },
      { writes: 0, unchanged: 0, conflicts: 0, stale: 1, behind: 0, ownWrite: 0, errors: 0, superseded: 0, held: 0 },
    );
    // Caught up: our status of generation 2 is written.
    await writer.write([update("ours at generation 2", 2)], [await get()]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "ours at generation 2");
    assert.equal(writer.stats.writes, 1);
  });

  it("compares a snapshot older than its own last write with that write, and never overwrites anyone else's since", async () => {
    const writer = new StatusWriter(new KubeClient(loadKubeConfig(cluster.kubeconfig)), {
      controllerName: DEFAULT_CONTROLLER_NAME,
      log: silentLogger,
    });
    const update = (message: string) => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      name: "eg",
      status: { conditions: [accepted(message, 2)] },
    });
    const counts = () => ({
      writes: writer.stats.writes,
      ownWrite: writer.stats.ownWrite,
      unchanged: writer.stats.unchanged,
      conflicts: writer.stats.conflicts,
      behind: writer.stats.behind,
    });
    const old = await get();
    await writer.write([update("first")], [old]);
    assert.equal(writer.stats.writes, 1);
    // A pass whose snapshot predates that write (its watch event not delivered yet), same status: compared
    // with our own write, nothing sent (compared with the old copy it would look changed: a PATCH, a 409).
    const patches = await statusPatches(cluster);
    await writer.write([update("first")], [old]);
    assert.equal(await statusPatches(cluster), patches, "no status request reached the API server");
    assert.deepEqual(counts(), { writes: 1, ownWrite: 1, unchanged: 1, conflicts: 0, behind: 0 });
    // The next pass (newer inputs, the same stale copy): written over our own write, at once.
    await writer.write([update("second, newer inputs")], [old]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "second, newer inputs");
    assert.deepEqual(counts(), { writes: 2, ownWrite: 2, unchanged: 1, conflicts: 0, behind: 0 });
    // Someone else changes the object after our write: our write's version no longer holds, the PATCH is
    // refused (409, retried on a later pass) and their change is kept.
    await cluster.kubectl(["patch", "gatewayclass", "eg", "--type=merge", "-p", '{"metadata":{"labels":{"x":"y"}}}']);
    await writer.write([update("third, over a stale copy")], [old]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "second, newer inputs");
    assert.deepEqual(counts(), { writes: 2, ownWrite: 3, unchanged: 1, conflicts: 1, behind: 0 });
    // The snapshot that has their change: written.
    await writer.write([update("third")], [await get()]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "third");
    assert.deepEqual(counts(), { writes: 3, ownWrite: 3, unchanged: 1, conflicts: 1, behind: 0 });
  });
});
