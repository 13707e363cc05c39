/**
 * ClientTrafficPolicy http3 through a real API server (Kubernetes tier): the controller applies the proxy's
 * Service with the HTTPS port twice, over TCP and over UDP (Envoy Gateway's `https-443-h3`), both to the
 * container's 10443 (the API server accepts the mixed-protocol LoadBalancer Service), and the container
 * declares the UDP port. No Envoy is needed.
 */
import assert from "node:assert/strict";
import { proxyObjectName } from "../../constructs/names";
import type { Controller } from "../../operator/src/pipeline/controller";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { eventually } from "../../test/support/http";
import { makeCa, tlsSecretYaml } from "../../test/support/pki";
import { prepareCluster, startKubeCluster, startTestController, type KubeCluster } from "../harness";

const NS = "envoy-gateway-system";
const HOST = "h3.example.com";

const MANIFESTS = (secret: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: https, protocol: HTTPS, port: 443, hostname: ${HOST}, tls: { certificateRefs: [{ name: server-cert }] } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: enable-http3, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  http3: {}
---
${secret}`;

interface Port {
  readonly name: string;
  readonly protocol: string;
  readonly port?: number;
  readonly targetPort?: number;
  readonly containerPort?: number;
}

describe("ClientTrafficPolicy http3: the proxy Service's UDP port (Kubernetes tier)", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  let controller: Controller;
  const name = proxyObjectName("default", "eg");

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    controller = await startTestController(cluster, NS);
    const secret = tlsSecretYaml("server-cert", makeCa("egts h3 e2e CA").issue(HOST));
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: MANIFESTS(secret) });
  });

  after(async () => {
    await controller?.stop();
    await cluster?.stop();
  });

  it("the Service exposes 443 over TCP and UDP (https-443-h3); the container declares UDP 10443", async () => {
    const ports = async (): Promise<Port[]> =>
      (
        await cluster
          .kubectlJson<{ spec: { ports: Port[] } }>(["get", "service", name, "-n", NS])
          .catch(() => ({ spec: { ports: [] } }))
      ).spec.ports;
    await eventually(async () => (await ports()).some((p) => p.protocol === "UDP"), 30_000, "the UDP Service port");
    assert.deepEqual(
      (await ports()).map((p) => [p.name, p.protocol, p.port, p.targetPort]),
      [
        ["https-443", "TCP", 443, 10443],
        ["https-443-h3", "UDP", 443, 10443],
      ],
    );
    const deploy = await cluster.kubectlJson<{
      spec: { template: { spec: { containers: { name: string; ports?: Port[] }[] } } };
    }>(["get", "deployment", name, "-n", NS]);
    const envoy = deploy.spec.template.spec.containers[0];
    assert.ok(
      (envoy.ports ?? []).some((p) => p.protocol === "UDP" && p.containerPort === 10443),
      JSON.stringify(envoy.ports),
    );
  });
});
