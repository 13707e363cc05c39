/**
 * The simulated kubelet tries again a pod whose start failed because its Secret volume's Secret did not exist
 * yet, as the kubelet does: the conformance suite creates its Deployments before the Secrets they mount
 * (tls-backend, and an HTTPS Gateway's Envoy before the controller wrote its xDS Secret), and those pods
 * never started. Real kube-apiserver, real echo-basic pod.
 */
import assert from "node:assert/strict";
import { eventually } from "../../test/support/http";
import { requireEchoBasic, SimulatedKubelet, startKubeCluster, testKubelet, type KubeCluster } from "../harness";

const NS = "retry";

interface Pod {
  status?: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: { waiting?: { reason?: string } } }[];
  };
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: late-secret, namespace: ${NS} }
spec:
  replicas: 1
  selector: { matchLabels: { app: late-secret } }
  template:
    metadata: { labels: { app: late-secret } }
    spec:
      containers:
        - name: echo
          image: registry.k8s.io/gateway-api/conformance/echo-basic:v0.1.0
          volumeMounts: [{ name: cert, mountPath: /etc/late-secret }]
      volumes: [{ name: cert, secret: { secretName: late } }]
`;

describe("simulated kubelet: a pod whose Secret comes later (Kubernetes tier)", function () {
  this.timeout(120_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;

  before(async function () {
    requireEchoBasic();
    cluster = await startKubeCluster();
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await cluster.kubectl(["create", "namespace", NS]);
  });

  after(async function () {
    await kubelet?.stop();
    await cluster?.stop();
  });

  it("waits in ContainerCreating while the Secret is missing, then starts the pod once it exists", async function () {
    await cluster.kubectl(["apply", "-f", "-"], { input: DEPLOYMENT });
    const pod = async (): Promise<Pod | undefined> =>
      (await cluster.kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", NS, "-l", "app=late-secret"])).items[0];
    await eventually(
      async () => (await pod())?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ContainerCreating",
      30_000,
      "the pod waits in ContainerCreating",
      250,
    );
    await cluster.kubectl(["create", "secret", "generic", "late", "-n", NS, "--from-literal=tls.crt=x"]);
    await eventually(
      async () => (await pod())?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
      30_000,
      "the pod is Ready after its Secret was created",
      250,
    );
    assert.ok(kubelet.started.some((p) => p.startsWith(`${NS}/late-secret-`)));
  });
});
