/**
 * The Kubernetes provider against a real API server: no snapshot before the initial sync (the first one
 * holds everything that existed), changes after it, GatewayClasses of other controllers dropped, and the
 * namespaced and namespace-selector watch modes; a status-only change starts no snapshot unless one is asked for.
 */
import assert from "node:assert/strict";
import { firstValueFrom, filter, Subject, take, toArray, type Observable } from "rxjs";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import {
  kubernetesSnapshots,
  type KubernetesProviderOptions,
} from "../../operator/src/provider/kubernetes/kubernetes-provider";
import { newReflectorStats } from "../../operator/src/provider/kubernetes/reflector";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import type { ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { eventually } from "../../test/support/http";
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

/** Waits (up to 20 s) until `ok()`. */
function waitFor(ok: () => boolean, what: string): Promise<number> {
  return eventually(() => Promise.resolve(ok()), 20_000, what);
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

  it("stores a status-only change without a snapshot, and emits it when a pass is asked for", async () => {
    const stats = newReflectorStats();
    const passRequests = new Subject<void>();
    const seen: ResourceSnapshot[] = [];
    const sub = snapshots({ stats, passRequests }).subscribe((s) => seen.push(s));
    try {
      await waitFor(() => seen.length === 1, "the first snapshot");
      const status = {
        parents: [
          {
            parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" },
            controllerName: DEFAULT_CONTROLLER_NAME,
            conditions: [
              {
                type: "Accepted",
                status: "True",
                reason: "Accepted",
                message: "status-only",
                lastTransitionTime: "2026-01-01T00:00:00Z",
              },
            ],
          },
        ],
      };
      await cluster.kubectl([
        ...["patch", "httproute", "r1", "-n", "team-a", "--subresource=status", "--type=merge"],
        ...["-p", JSON.stringify({ status })],
      ]);
      await waitFor(() => stats.statusOnly >= 1, "the status-only watch event");
      await new Promise((r) => setTimeout(r, 500)); // longer than the debounce
      assert.equal(seen.length, 1, "a status-only change emits no snapshot");
      passRequests.next();
      await waitFor(() => seen.length === 2, "the snapshot asked for");
      const r1 = seen[1].httpRoutes.find((r) => r.metadata.name === "r1" && r.metadata.namespace === "team-a");
      assert.deepEqual((r1 as { status?: unknown } | undefined)?.status, status, "it carries the stored status");
      passRequests.next(); // nothing stored since: the next status-only change is emitted
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 2, "no snapshot without a stored change");
      status.parents[0].conditions[0].message = "status-only, again";
      await cluster.kubectl([
        ...["patch", "httproute", "r1", "-n", "team-a", "--subresource=status", "--type=merge"],
        ...["-p", JSON.stringify({ status })],
      ]);
      await waitFor(() => seen.length === 3, "the next status-only change, asked for before it");
      // A Service's status is read (its load balancer ingress gives a Gateway's addresses): it starts a snapshot.
      await cluster.kubectl(["create", "service", "loadbalancer", "svc", "-n", "team-a", "--tcp=80:80"]);
      const lbOf = (snapshot: ResourceSnapshot | undefined): unknown =>
        (
          snapshot?.services.find((x) => x.metadata.name === "svc" && x.metadata.namespace === "team-a") as
            { status?: { loadBalancer?: { ingress?: unknown } } } | undefined
        )?.status?.loadBalancer?.ingress;
      await waitFor(() => seen.some((x) => x.services.some((v) => v.metadata.name === "svc")), "the new Service");
      await cluster.kubectl([
        ...["patch", "service", "svc", "-n", "team-a", "--subresource=status", "--type=merge"],
        ...["-p", JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: "198.51.100.7" }] } } })],
      ]);
      // (The API server adds `ipMode: VIP` to the ingress.)
      await waitFor(
        () => (lbOf(seen.at(-1)) as { ip?: string }[] | undefined)?.[0]?.ip === "198.51.100.7",
        "a snapshot for the Service's status",
      );
    } finally {
      sub.unsubscribe();
    }
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
