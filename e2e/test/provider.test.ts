/**
 * The Kubernetes provider against a real API server: no snapshot before the initial sync (the first one
 * holds everything that existed), changes after it, GatewayClasses of other controllers dropped, and the
 * namespaced and namespace-selector watch modes.
 */
import assert from "node:assert/strict";
import { firstValueFrom, filter, take, toArray, type Observable } from "rxjs";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import {
  kubernetesSnapshots,
  type KubernetesProviderOptions,
} from "../../operator/src/provider/kubernetes/kubernetes-provider";
import { newReflectorStats } from "../../operator/src/provider/kubernetes/reflector";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import type { ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { startKubeCluster, type KubeCluster } from "../harness";

const ROUTES = 40;

function routesYaml(ns: string, count: number, prefix = "r"): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${prefix}${i}, namespace: ${ns} }
spec: { parentRefs: [{ name: eg }], rules: [{ backendRefs: [{ name: svc, port: 80 }] }] }
`,
  ).join("---\n");
}

describe("Kubernetes provider against a real API server", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  let client: KubeClient;
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: yaml });
  const snapshots = (o: Partial<KubernetesProviderOptions> = {}): Observable<ResourceSnapshot> =>
    kubernetesSnapshots(client, {
      controllerName: DEFAULT_CONTROLLER_NAME,
      log: silentLogger,
      debounceMs: 20,
      maxWaitMs: 200,
      ...o,
    });

  before(async () => {
    cluster = await startKubeCluster();
    client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    for (const ns of ["team-a", "team-b"]) await cluster.kubectl(["create", "namespace", ns]);
    await cluster.kubectl(["label", "namespace", "team-a", "gateway=enabled"]);
    await apply(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ours }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: theirs }
spec: { controllerName: example.com/other }
---
${routesYaml("team-a", ROUTES)}---
${routesYaml("team-b", 3)}`);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("emits nothing before the initial sync: the first snapshot holds every object, and no other class", async () => {
    const stats = newReflectorStats();
    const first = await firstValueFrom(snapshots({ stats }));
    assert.equal(first.httpRoutes.filter((r) => r.metadata.namespace === "team-a").length, ROUTES);
    assert.equal(first.httpRoutes.length, ROUTES + 3);
    assert.deepEqual(
      first.gatewayClasses.map((c) => c.metadata.name),
      ["ours"],
      "GatewayClasses of other controllers are dropped",
    );
    assert.ok(stats.lists > 0 && stats.errors === 0, `lists ${stats.lists}, errors ${stats.errors}`);
    assert.equal(
      first.httpRoutes[0]?.apiVersion,
      "gateway.networking.k8s.io/v1",
      "listed items get apiVersion and kind",
    );
    assert.equal((first.httpRoutes[0]?.metadata as { managedFields?: unknown }).managedFields, undefined);
  });

  it("follows changes after the sync: an added and a deleted route", async () => {
    const seen = snapshots().pipe(
      filter(
        (s) =>
          s.httpRoutes.some((r) => r.metadata.name === "late") &&
          !s.httpRoutes.some((r) => r.metadata.name === "r0" && r.metadata.namespace === "team-a"),
      ),
      take(1),
    );
    const done = firstValueFrom(seen);
    await new Promise((r) => setTimeout(r, 500));
    await apply(routesYaml("team-a", 1, "late").replace("late0", "late"));
    await cluster.kubectl(["delete", "httproute", "r0", "-n", "team-a"]);
    const s = await done;
    assert.equal(s.httpRoutes.filter((r) => r.metadata.namespace === "team-a").length, ROUTES);
  });

  it("watches only the listed namespaces", async () => {
    const s = await firstValueFrom(snapshots({ namespaces: ["team-b"] }));
    assert.deepEqual([...new Set(s.httpRoutes.map((r) => r.metadata.namespace))], ["team-b"]);
    assert.equal(s.httpRoutes.length, 3);
  });

  it("reads namespaced objects only from namespaces matching the selector, and follows relabeling", async () => {
    const all = snapshots({ namespaceSelector: { matchLabels: { gateway: "enabled" } } }).pipe(take(2), toArray());
    const done = firstValueFrom(all);
    await new Promise((r) => setTimeout(r, 500));
    await cluster.kubectl(["label", "namespace", "team-b", "gateway=enabled"]);
    const [before, after] = await done;
    assert.deepEqual([...new Set(before?.httpRoutes.map((r) => r.metadata.namespace))], ["team-a"]);
    assert.deepEqual([...new Set(after?.httpRoutes.map((r) => r.metadata.namespace))].sort(), ["team-a", "team-b"]);
  });
});
