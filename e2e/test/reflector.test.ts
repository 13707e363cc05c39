/**
 * The reflector's relist on 410 Gone, caused for real: a quiet collection's watch holds an old
 * resourceVersion, etcd is compacted past it and the API server restarted, so resuming the watch is refused
 * with 410 and the reflector lists again, keeping its view complete. And its retries while the API server
 * is down: no abort listener left behind per retry, and errors that name the address and errno.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { newReflectorStats, reflect, type ReflectorEvent } from "../../operator/src/provider/kubernetes/reflector";
import { eventually } from "../../test/support/http";
import { startKubeCluster, type KubeCluster } from "../harness";

describe("reflector against a real API server: 410 Gone, and retries while it is down", function () {
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

  it("retries more than 11 times while the API server is down without leaking listeners, logging errno and address", async () => {
    const kc = loadKubeConfig(cluster.kubeconfig);
    const server = new URL(kc.server);
    const address = `${server.hostname}:${server.port}`;
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on("warning", onWarning);
    const failures: string[] = [];
    const stats = newReflectorStats();
    const names = new Set<string>();
    const sub = reflect(new KubeClient(kc), "/api/v1/namespaces/quiet/configmaps", {
      log: (_level, msg, fields) => {
        if (msg === "list/watch failed; retrying") failures.push(String(fields?.error));
      },
      stats,
      initialBackoffMs: 20,
      unavailableMaxBackoffMs: 100,
      stamp: { apiVersion: "v1", kind: "ConfigMap" },
    }).subscribe((e) => {
      if (e.type === "sync") for (const o of e.items) names.add(o.metadata.name);
      else if (e.type === "upsert") names.add(e.object.metadata.name);
    });
    try {
      await eventually(async () => stats.open === 1, 30_000, "the watch open");
      const before = stats.errors;
      await cluster.restartApiServer({ graceMs: 2000, downMs: 4000 });
      const retries = stats.errors - before;
      assert.ok(retries > 11, `${retries} retries while the API server was down`);
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      assert.deepEqual(
        warnings.map((w) => `${w.name}: ${w.message}`),
        [],
        "no MaxListenersExceededWarning",
      );
      assert.equal(stats.maxAbortListeners, 0, "no abort listener left on the signal after a retry's wait");
      const refused = failures.filter((f) => f.includes(`ECONNREFUSED ${address}`));
      assert.ok(refused.length > 10, `connection errors name errno and address ${address}:\n${failures.join("\n")}`);
      await cluster.kubectl(["create", "configmap", "after-outage", "-n", "quiet"]);
      await eventually(async () => names.has("after-outage"), 30_000, "watching again after the outage");
    } finally {
      sub.unsubscribe();
      process.off("warning", onWarning);
    }
  });
});
