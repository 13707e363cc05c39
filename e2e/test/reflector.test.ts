/**
 * The reflector's relist on 410 Gone, caused for real: a quiet collection's watch holds an old
 * resourceVersion, etcd is compacted past it and the API server restarted, so resuming the watch is refused
 * with 410 and the reflector lists again, keeping its view complete.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { newReflectorStats, reflect, type ReflectorEvent } from "../../operator/src/provider/kubernetes/reflector";
import { eventually } from "../../test/support/http";
import { startKubeCluster, type KubeCluster } from "../harness";

describe("reflector against a real API server: 410 Gone", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;

  before(async () => {
    cluster = await startKubeCluster();
    await cluster.kubectl(["create", "namespace", "quiet"]);
    await cluster.kubectl(["create", "configmap", "before", "-n", "quiet", "--from-literal=a=1"]);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("lists again when its resourceVersion was compacted away, and misses nothing", async () => {
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    const stats = newReflectorStats();
    const names = new Set<string>();
    const events: ReflectorEvent["type"][] = [];
    const sub = reflect(client, "/api/v1/namespaces/quiet/configmaps", {
      log: silentLogger,
      stats,
      stamp: { apiVersion: "v1", kind: "ConfigMap" },
    }).subscribe((e) => {
      events.push(e.type);
      if (e.type === "sync") {
        names.clear();
        for (const o of e.items) names.add(o.metadata.name);
      } else if (e.type === "upsert") names.add(e.object.metadata.name);
      else names.delete(e.object.metadata.name);
    });
    try {
      await eventually(async () => names.has("before"), 30_000, "initial list");
      // Advance etcd's revision elsewhere, so the quiet watch's resourceVersion falls behind.
      for (let i = 0; i < 5; i++) await cluster.kubectl(["create", "configmap", `other-${i}`, "-n", "default"]);
      await cluster.compactEtcd();
      const gone = stats.relistsOnGone;
      await cluster.restartApiServer({ graceMs: 2000 });
      // While the watch was down, a change in the quiet namespace: only a relist can show it.
      await cluster.kubectl(["create", "configmap", "during", "-n", "quiet", "--from-literal=b=2"]);
      await eventually(async () => stats.relistsOnGone > gone, 60_000, "a relist after 410 Gone");
      await eventually(async () => names.has("during") && names.has("before"), 30_000, "the view after the relist");
      assert.ok(events.filter((t) => t === "sync").length >= 2, "a second full list replaced the view");
      await cluster.kubectl(["create", "configmap", "after", "-n", "quiet"]);
      await eventually(async () => names.has("after"), 30_000, "watching again after the relist");
    } finally {
      sub.unsubscribe();
    }
  });
});
