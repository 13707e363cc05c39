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
    assert.deepEqual({ ...writer.stats }, { writes: 0, unchanged: 0, conflicts: 0, stale: 1, behind: 0, errors: 0 });
    // Caught up: our status of generation 2 is written.
    await writer.write([update("ours at generation 2", 2)], [await get()]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "ours at generation 2");
    assert.equal(writer.stats.writes, 1);
  });

  it("writes nothing from a snapshot older than its own last write, and writes again from a newer one", async () => {
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
    const old = await get();
    await writer.write([update("first")], [old]);
    assert.equal(writer.stats.writes, 1);
    // A pass on a snapshot queued before that write (its copy of the object predates it): no PATCH (it would
    // be a 409, or put back an older status), counted as behind.
    const writes = await statusPatches(cluster);
    await writer.write([update("from a stale snapshot")], [old]);
    assert.equal(await statusPatches(cluster), writes, "no status request reached the API server");
    assert.deepEqual(
      { writes: writer.stats.writes, behind: writer.stats.behind, conflicts: writer.stats.conflicts },
      {
        writes: 1,
        behind: 1,
        conflicts: 0,
      },
    );
    assert.equal((await get()).status?.conditions?.[0]?.message, "first");
    // The snapshot that has our write: a different status is written.
    await writer.write([update("second")], [await get()]);
    assert.equal((await get()).status?.conditions?.[0]?.message, "second");
    assert.equal(writer.stats.writes, 2);
  });
});
