/**
 * EnvoyGateway `provider.kubernetes.deploy.type: GatewayNamespace`: each Gateway's proxy objects render in the
 * Gateway's namespace, named as the Gateway, with their xDS client certificate Secret beside them and a projected
 * service-account token for the xDS server (as Envoy Gateway's); merged proxies (`mergeGateways`) are refused, as
 * Envoy Gateway refuses them in this mode.
 */
import * as assert from "node:assert/strict";
import { renderInfra, renderInfraChecked } from "../../constructs/from-snapshot";
import { XDS_TOKEN_DIR } from "../../constructs/gateway-proxy";
import { MERGED_IN_GATEWAY_NAMESPACE, proxyServiceAccountOf, proxyXdsSecretName } from "../../constructs/render";
import { proxiesToRender } from "../../constructs/from-snapshot";
import { XDS_TOKEN_SDS_FILE } from "../../operator/src/infra/bootstrap-xds-token";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
const RENDER = {
  image: "envoy:test",
  xds: { host: "xds.example", tlsSecretName: "envoy", tokenAudience: "envoy-gateway.system.svc.cluster.local" },
  namespace: "envoy-gateway-system",
  gatewayNamespace: true,
};

/** The parts of a rendered object the token test reads. */
interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    template: {
      spec: {
        automountServiceAccountToken?: boolean;
        volumes: { name: string; projected?: unknown }[];
        containers: { name: string; volumeMounts: { name: string; mountPath: string }[] }[];
      };
    };
  };
}

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

  it("projects a service-account token for the xDS server and sends it on the xDS cluster", () => {
    const snapshot = snapshotFromObjects(objects(false));
    const infra = translate(snapshot).infraIr;
    const manifests = renderInfra(infra, snapshot, RENDER) as unknown as Rendered[];
    const deployment = manifests.find((m) => m.kind === "Deployment" && m.metadata.namespace === "team-a");
    const pod = deployment?.spec?.template.spec;
    assert.equal(pod?.automountServiceAccountToken, false, "no API server token");
    const tokenVolume = pod?.volumes.find((v) => v.projected);
    assert.deepEqual(tokenVolume, {
      name: "sa-token",
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: "envoy-gateway.system.svc.cluster.local",
              expirationSeconds: 3600,
              path: "sa-token",
            },
          },
        ],
      },
    });
    const envoy = pod?.containers.find((c) => c.name === "envoy");
    assert.ok(envoy?.volumeMounts.some((m) => m.name === "sa-token" && m.mountPath === XDS_TOKEN_DIR));
    const shutdown = pod?.containers.find((c) => c.name !== "envoy");
    assert.ok(!shutdown?.volumeMounts?.some((m) => m.name === "sa-token"), "only Envoy sees the token");
    const config = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.namespace === "team-a");
    const sds = JSON.parse(config?.data?.[XDS_TOKEN_SDS_FILE] ?? "{}") as { resources: unknown[] };
    assert.deepEqual(sds.resources, [
      {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
        name: "jwt-sa-bearer",
        generic_secret: { secret: { filename: `${XDS_TOKEN_DIR}/sa-token` } },
      },
    ]);
    const bootstrap = config?.data?.["envoy.json"] ?? "";
    assert.ok(bootstrap.includes("envoy.filters.http.credential_injector"), "the xDS cluster injects the token");
    const sa = manifests.find((m) => m.kind === "ServiceAccount" && m.metadata.namespace === "team-a");
    const proxy = proxiesToRender(infra, snapshot).find((p) => p.namespace === "team-a");
    assert.ok(proxy);
    assert.deepEqual(proxyServiceAccountOf(proxy, RENDER), { namespace: "team-a", name: sa?.metadata.name });
    const plain = renderInfra(infra, snapshot, { ...RENDER, xds: { host: "xds.example", tlsSecretName: "envoy" } });
    assert.ok(!JSON.stringify(plain).includes("sa-token"), "no token without tokenAudience");
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
