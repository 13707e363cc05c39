/**
 * The Helm chart with EnvoyGateway `provider.kubernetes.deploy.type: GatewayNamespace`, in a real API server:
 * the Gateway's proxy objects (Deployment, Service, ServiceAccount, ConfigMap and its own xDS certificate
 * Secret) are created in the Gateway's namespace, named as the Gateway (as Envoy Gateway names them), with the
 * chart's RBAC only; the Envoy pod there reaches the controller's xDS Service in envoy-gateway-system over mTLS,
 * presenting the service-account token the kubelet projects for it (as Envoy Gateway's proxies do), serves the
 * quickstart's traffic, and its objects are pruned from that namespace when the Gateway goes. The xDS server
 * reviews the tokens with the API server: a stream with the proxy's own certificate but no token, a token for
 * another audience, or a token of another namespace's service account is refused. The controller runs with the
 * VHDS route layout (EGTS_ROUTE_LAYOUT=vhds through the chart's extraEnv, ADR 0008), so the proxy's virtual hosts
 * come over VHDS streams of their own, each reviewed as the ADS stream is: the quickstart's traffic needs them.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { xdsTokenAudience } from "../../operator/src/config/controller-defaults";
import { tryNodeStream } from "../../test/support/xds-stream";
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

interface PodObj {
  metadata: { name: string };
  status?: { podIP?: string; phase?: string };
}

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
        ...["--set", "deployment.envoyGateway.extraEnv[0].name=EGTS_ROUTE_LAYOUT"],
        ...["--set", "deployment.envoyGateway.extraEnv[0].value=vhds"],
        // quickstartYaml creates GatewayClass eg, as Envoy Gateway's quickstart does.
        ...["--set", "gatewayClass.create=false", "--wait", "--timeout", "4m"],
      ],
      { env: cluster.toolEnv(), timeoutMs: 280_000 },
    );
  });

  /** The running controller pod. */
  async function controllerPod(): Promise<PodObj> {
    const pods = await cluster.kubectlJson<{ items: PodObj[] }>([
      ...["get", "pods", "-n", NS, "-l", "control-plane=envoy-gateway"],
    ]);
    const controller = pods.items.find((p) => p.status?.phase === "Running" && p.status.podIP);
    assert.ok(controller, `a running controller pod: ${JSON.stringify(pods.items.map((p) => p.status))}`);
    return controller;
  }

  async function controllerPodIp(): Promise<string> {
    return (await controllerPod()).status?.podIP ?? "";
  }

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
    // The virtual hosts came over an authorized VHDS stream: the controller counts Envoy's ACKs of them.
    const metrics = await httpGet(19001, "metrics", "/metrics", { address: await controllerPodIp() });
    const acks = /^egts_xds_acks_total\{type="vhds"\} (\d+)/m.exec(metrics.body);
    assert.ok(
      acks && Number(acks[1]) > 0,
      `VirtualHost ACKs in the controller's metrics:\n${metrics.body
        .split("\n")
        .filter((l) => l.startsWith("egts_xds_acks"))
        .join("\n")}`,
    );
  });

  it("reviews the proxies' tokens: no token, another audience or another namespace's service account is refused", async () => {
    const secret = await cluster.kubectlJson<Obj>(["get", "secret", "eg-xds", "-n", GATEWAY_NS]);
    const pem = (k: string): Buffer => Buffer.from(secret.data?.[k] ?? "", "base64");
    const controller = await controllerPod();
    const audience = xdsTokenAudience(NS);
    // The proxy's own client certificate: only the token decides below.
    const target = {
      address: `${controller.status?.podIP}:18000`,
      credentials: grpc.credentials.createSsl(pem("ca.crt"), pem("tls.key"), pem("tls.crt")),
      serverName: audience,
    };
    const node = `${GATEWAY_NS}/eg`;
    const token = async (ns: string, sa: string, aud = audience): Promise<string> =>
      (await cluster.kubectl(["create", "token", sa, "-n", ns, "--audience", aud, "--duration", "10m"])).trim();
    await cluster.kubectl(["create", "namespace", "intruder"]);
    await cluster.kubectl(["create", "serviceaccount", "eg", "-n", "intruder"]);

    const none = await tryNodeStream(target, node);
    assert.equal(none.code, grpc.status.UNAUTHENTICATED, `no token: ${none.details}`);
    const other = await tryNodeStream({ ...target, authorization: `Bearer ${await token("intruder", "eg")}` }, node);
    assert.equal(other.code, grpc.status.PERMISSION_DENIED, `another namespace's service account: ${other.details}`);
    assert.match(other.details, /service account intruder\/eg may not fetch node default\/eg/);
    const apiToken = await token(GATEWAY_NS, "eg", "https://kubernetes.default.svc.cluster.local");
    const wrongAudience = await tryNodeStream({ ...target, authorization: `Bearer ${apiToken}` }, node);
    assert.equal(
      wrongAudience.code,
      grpc.status.UNAUTHENTICATED,
      `the API server's audience: ${wrongAudience.details}`,
    );
    const own = await tryNodeStream({ ...target, authorization: `Bearer ${await token(GATEWAY_NS, "eg")}` }, node);
    assert.equal(own.code, grpc.status.OK, `the proxies' own service account: ${own.details}`);

    const logs = await cluster.kubectl(["logs", "-n", NS, controller.metadata.name]);
    const refusals = logs.split("\n").filter((l) => l.includes("xds stream refused"));
    assert.ok(
      refusals.some((l) => l.includes("PERMISSION_DENIED") && l.includes("intruder/eg")),
      `the controller logs the refusal: ${refusals.join("\n")}`,
    );
    assert.ok(
      refusals.some((l) => l.includes("UNAUTHENTICATED") && l.includes("missing authorization header")),
      "and the missing token",
    );
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
