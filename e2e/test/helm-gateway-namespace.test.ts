/**
 * The Helm chart with EnvoyGateway `provider.kubernetes.deploy.type: GatewayNamespace`, in a real API server:
 * the Gateway's proxy objects (Deployment, Service, ServiceAccount, ConfigMap and its own xDS certificate
 * Secret) are created in the Gateway's namespace, named as the Gateway (as Envoy Gateway names them), with the
 * chart's RBAC only; the Envoy pod there reaches the controller's xDS Service in envoy-gateway-system over mTLS,
 * serves the quickstart's traffic, and its objects are pruned from that namespace when the Gateway goes.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, httpGet } from "../../test/support/http";
import {
  gatewayAddress,
  quickstartYaml,
  run,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  type KubeCluster,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";
/** Where quickstartYaml puts the Gateway `eg`. */
const GATEWAY_NS = "default";

interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

describe("Helm chart with deploy.type GatewayNamespace: proxies in the Gateway's namespace (Kubernetes tier)", function () {
  this.timeout(300_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;

  before(async () => {
    cluster = await startKubeCluster();
    echo = await startEchoBackend({ name: "gwns-echo", host: cluster.nodeAddress });
    kubelet = testKubelet(cluster, [NS, GATEWAY_NS]);
    kubelet.start();
    await run(
      cluster.tools.helm,
      [
        ...["install", "egts", join(REPO, "helm", "egts"), "-n", NS, "--create-namespace"],
        ...["--set", "config.envoyGateway.provider.kubernetes.deploy.type=GatewayNamespace"],
        // quickstartYaml creates GatewayClass eg, as Envoy Gateway's quickstart does.
        ...["--set", "gatewayClass.create=false", "--wait", "--timeout", "4m"],
      ],
      { env: cluster.toolEnv(), timeoutMs: 280_000 },
    );
  });

  after(async () => {
    await kubelet?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("creates the Gateway's proxy objects in its namespace, named as the Gateway, and serves the quickstart over mTLS xDS", async () => {
    const port = 80;
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: quickstartYaml(port, cluster.nodeAddress, echo.port),
    });
    const address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await httpGet(port, "www.example.com", "/", { address })).status === 200,
      90_000,
      `traffic through the Envoy pod in ${GATEWAY_NS} at ${address}:${port}`,
    );
    const r = await httpGet(port, "www.example.com", "/", { address });
    assert.equal((JSON.parse(r.body) as { backend: string }).backend, "gwns-echo");
    for (const kind of ["deployment", "service", "serviceaccount", "configmap"]) {
      const o = await cluster.kubectlJson<Obj>(["get", kind, "eg", "-n", GATEWAY_NS]);
      assert.equal(o.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"], "eg", kind);
    }
    const own = await cluster.kubectlJson<Obj>(["get", "secret", "eg-xds", "-n", GATEWAY_NS]);
    const cert = new X509Certificate(Buffer.from(own.data?.["tls.crt"] ?? "", "base64"));
    assert.equal(cert.subjectAltName, `URI:spiffe://gateway.envoyproxy.io/node/${GATEWAY_NS}/eg`);
    assert.ok(
      kubelet.started.some((p) => p.startsWith(`${GATEWAY_NS}/eg-`)),
      `an Envoy pod ran in ${GATEWAY_NS}: ${kubelet.started.join(", ")}`,
    );
    const inControllerNs = await cluster.kubectlJson<{ items: Obj[] }>([
      "get",
      "deployments",
      "-n",
      NS,
      "-l",
      "app.kubernetes.io/component=proxy",
    ]);
    assert.deepEqual(inControllerNs.items, [], "no proxy Deployment in the controller's namespace");
  });

  it("prunes the proxy objects from the Gateway's namespace when the Gateway is deleted", async () => {
    await cluster.kubectl(["delete", "gateway", "eg", "-n", GATEWAY_NS]);
    await eventually(
      async () => (await cluster.kubectl(["get", "deployment", "eg", "-n", GATEWAY_NS]).catch(() => "gone")) === "gone",
      60_000,
      `Deployment ${GATEWAY_NS}/eg pruned`,
    );
    assert.equal(
      await cluster.kubectl(["get", "service", "eg", "-n", GATEWAY_NS]).catch(() => "gone"),
      "gone",
      "Service pruned",
    );
  });
});
