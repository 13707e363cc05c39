/**
 * Kubernetes mode reads objects whatever served apiVersion they were written in: the Gateway API CRDs
 * convert with strategy None (every served version has the same schema), so the API server serves an
 * object created as v1beta1 at v1 too, and the provider's one watch per kind (v1; ReferenceGrant at its
 * storage version v1beta1) sees it. Checked against a real API server with the standard CRDs.
 */
import assert from "node:assert/strict";
import { filter, firstValueFrom } from "rxjs";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { kubernetesSnapshots } from "../../operator/src/provider/kubernetes/kubernetes-provider";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { startKubeCluster, type KubeCluster } from "../harness";

const OLD_VERSIONS_YAML = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: GatewayClass
metadata: { name: ours }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: ours
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: { name: old, namespace: default }
spec: { parentRefs: [{ name: eg }], rules: [{ backendRefs: [{ name: svc, port: 80 }] }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: { name: grant, namespace: default }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other }]
  to: [{ group: "", kind: Service }]
`;

describe("Kubernetes provider: objects written in older served apiVersions (real API server)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;

  before(async () => {
    cluster = await startKubeCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  it("reads a v1beta1 GatewayClass, Gateway and HTTPRoute and a v1 ReferenceGrant", async () => {
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: OLD_VERSIONS_YAML });
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    const snapshot = await firstValueFrom(
      kubernetesSnapshots(client, {
        controllerName: DEFAULT_CONTROLLER_NAME,
        log: silentLogger,
        debounceMs: 20,
        maxWaitMs: 200,
      }).pipe(filter((s) => s.httpRoutes.length > 0 && s.referenceGrants.length > 0)),
    );
    assert.deepEqual(
      snapshot.gatewayClasses.map((c) => [c.apiVersion, c.metadata.name]),
      [["gateway.networking.k8s.io/v1", "ours"]],
    );
    assert.deepEqual(
      snapshot.gateways.map((g) => g.metadata.name),
      ["eg"],
    );
    assert.deepEqual(
      snapshot.httpRoutes.map((r) => [r.apiVersion, r.metadata.name]),
      [["gateway.networking.k8s.io/v1", "old"]],
    );
    assert.deepEqual(
      snapshot.referenceGrants.map((g) => g.metadata.name),
      ["grant"],
    );
    assert.deepEqual(
      snapshot.unknown.filter((o) => o.kind !== "EnvoyProxy"),
      [],
      "nothing left unread",
    );
  });
});
