/**
 * EnvoyGateway `provider.kubernetes.deploy.type: GatewayNamespace`: each Gateway's proxy objects render in the
 * Gateway's namespace, named as the Gateway, with their xDS client certificate Secret beside them; merged
 * proxies (`mergeGateways`) are refused, as Envoy Gateway refuses them in this mode.
 */
import * as assert from "node:assert/strict";
import { renderInfra, renderInfraChecked } from "../../constructs/from-snapshot";
import { MERGED_IN_GATEWAY_NAMESPACE, proxyXdsSecretName } from "../../constructs/render";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
const RENDER = {
  image: "envoy:test",
  xds: { host: "xds.example", tlsSecretName: "envoy" },
  namespace: "envoy-gateway-system",
  gatewayNamespace: true,
};

function objects(mergeGateways: boolean): KubeObject[] {
  return [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "eg", uid: "class-uid" },
      spec: {
        controllerName: CONTROLLER,
        ...(mergeGateways
          ? {
              parametersRef: {
                group: "gateway.envoyproxy.io",
                kind: "EnvoyProxy",
                name: "merged",
                namespace: "system",
              },
            }
          : {}),
      },
    },
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyProxy",
      metadata: { name: "merged", namespace: "system" },
      spec: { mergeGateways: true },
    },
    // Distinct ports: merged, their listeners share one proxy.
    ...["team-a", "team-b"].map((namespace, i) => ({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "eg", namespace },
      spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port: 80 + i }] },
    })),
  ];
}

describe("GatewayNamespace deploy mode (constructs/render.ts)", () => {
  it("renders each Gateway's proxy objects in its own namespace, named as the Gateway", () => {
    const snapshot = snapshotFromObjects(objects(false));
    const manifests = renderInfra(translate(snapshot).infraIr, snapshot, RENDER);
    const deployments = manifests.filter((m) => m.kind === "Deployment");
    assert.deepEqual(
      deployments.map((m) => `${m.metadata.namespace}/${m.metadata.name}`),
      ["team-a/eg", "team-b/eg"],
    );
    for (const kind of ["Service", "ServiceAccount", "ConfigMap"]) {
      assert.deepEqual(
        manifests.filter((m) => m.kind === kind).map((m) => m.metadata.namespace),
        ["team-a", "team-b"],
        kind,
      );
    }
    const volumes = (
      deployments[0] as unknown as {
        spec: { template: { spec: { volumes: { secret?: { secretName: string } }[] } } };
      }
    ).spec.template.spec.volumes.flatMap((v) => (v.secret ? [v.secret.secretName] : []));
    assert.deepEqual(volumes, [proxyXdsSecretName("eg")], "the proxy mounts its own Secret, in its namespace");
  });

  it("refuses merged proxies, as Envoy Gateway does in this mode", () => {
    const snapshot = snapshotFromObjects(objects(true));
    const { manifests, problems } = renderInfraChecked(translate(snapshot).infraIr, snapshot, RENDER);
    assert.deepEqual(manifests, []);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.message, MERGED_IN_GATEWAY_NAMESPACE);
    assert.deepEqual(problems[0]?.gateways, ["team-a/eg", "team-b/eg"]);
  });
});
