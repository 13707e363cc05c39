/**
 * Kubernetes mode reads objects whatever served apiVersion they were written in: the Gateway API CRDs
 * convert with strategy None (every served version has the same schema), so the API server serves an
 * object created as v1beta1 at v1 too, and the provider's one watch per kind (v1; ReferenceGrant at its
 * storage version v1beta1) sees it. Checked against a real API server with the standard CRDs.
 *
 * A CRD older than the version egts reads (TLSRoute served only as v1alpha2, as Gateway API v1.0-v1.4
 * installed it) is found by API discovery: one warning naming the kind and the served versions, the
 * GatewayClass SupportedVersion=False UnsupportedVersion, and everything else still read.
 */
import assert from "node:assert/strict";
import { filter, firstValueFrom } from "rxjs";
import { silentLogger, type Logger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { kubernetesSnapshots } from "../../operator/src/provider/kubernetes/kubernetes-provider";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { translate } from "../../operator/src/translate/translate";
import { eventually } from "../../test/support/http";
import { gatewayClassYaml, gatewayYaml, startKubeCluster, type KubeCluster } from "../harness";

/** TLSRoute as an old Gateway API install defines it: served as v1alpha2 only. */
const OLD_TLSROUTE_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: tlsroutes.gateway.networking.k8s.io
  annotations:
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/2466
    gateway.networking.k8s.io/bundle-version: v1.0.0
    gateway.networking.k8s.io/channel: experimental
spec:
  group: gateway.networking.k8s.io
  names: { kind: TLSRoute, listKind: TLSRouteList, plural: tlsroutes, singular: tlsroute }
  scope: Namespaced
  versions:
    - name: v1alpha2
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;

const OLD_VERSIONS_YAML = `${gatewayClassYaml("ours", "v1beta1")}---
${gatewayYaml("eg", "[{ name: http, protocol: HTTP, port: 8080 }]", { className: "ours", version: "v1beta1" })}---
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

  it("an older TLSRoute CRD (v1alpha2 only): one warning, GatewayClass SupportedVersion False, the rest read", async () => {
    // Gateway API v1.7.0's install refuses older CRDs with this policy; a cluster that has them has none.
    for (const kind of ["validatingadmissionpolicybinding", "validatingadmissionpolicy"]) {
      await cluster.kubectl(["delete", kind, "safe-upgrades.gateway.networking.k8s.io", "--ignore-not-found"]);
    }
    await cluster.kubectl(["delete", "crd", "tlsroutes.gateway.networking.k8s.io", "--wait"]);
    // The admission plugin drops the deleted policy from its cache a moment later.
    await eventually(
      () =>
        cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: OLD_TLSROUTE_CRD }).then(
          () => true,
          () => false,
        ),
      20_000,
      "the old TLSRoute CRD admitted",
    );
    await cluster.kubectl(["wait", "--for=condition=Established", "crd/tlsroutes.gateway.networking.k8s.io"]);
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const log: Logger = (level, msg, fields) => void logged.push({ level, msg, fields });
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfig));
    const snapshot = await firstValueFrom(
      kubernetesSnapshots(client, {
        controllerName: DEFAULT_CONTROLLER_NAME,
        log,
        debounceMs: 20,
        maxWaitMs: 200,
      }).pipe(filter((s) => s.httpRoutes.length > 0)),
    );
    assert.deepEqual(snapshot.unservedKinds, [
      { kind: "TLSRoute", apiVersion: "gateway.networking.k8s.io/v1", served: ["v1alpha2"] },
    ]);
    const warnings = logged.filter((l) => l.level === "warn");
    assert.deepEqual(
      warnings.map((l) => l.msg),
      [
        "TLSRoute is served only as gateway.networking.k8s.io/v1alpha2; egts reads gateway.networking.k8s.io/v1: upgrade the Gateway API CRDs; TLSRoutes are not read until then",
      ],
      "one warning, naming the kind and the served versions",
    );
    assert.deepEqual(
      snapshot.httpRoutes.map((r) => r.metadata.name),
      ["old"],
      "the other kinds are still read",
    );
    const gc = translate(snapshot, { controllerName: DEFAULT_CONTROLLER_NAME }).statuses.find(
      (u) => u.kind === "GatewayClass",
    );
    const supported = (
      gc?.status as { conditions: { type: string; status: string; reason: string; message: string }[] }
    ).conditions.find((c) => c.type === "SupportedVersion");
    assert.equal(supported?.status, "False");
    assert.equal(supported?.reason, "UnsupportedVersion");
    assert.match(
      supported?.message ?? "",
      /TLSRoute is served as v1alpha2, egts reads gateway\.networking\.k8s\.io\/v1/,
    );
  });
});
