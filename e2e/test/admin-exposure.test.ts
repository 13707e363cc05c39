/**
 * Envoy's admin API is unreachable from outside the pod (issue 11 item 2), through the Kubernetes tier: the
 * controller renders a Gateway's proxy, the simulated kubelet runs its Envoy pod in its own network namespace,
 * and the test talks to the pod's IP (from the host, across the pod bridge) on the ports the pod's spec names:
 * `GET /ready` on the readiness port and `GET /stats/prometheus` on `metrics` answer, every path trick and
 * admin POST on either is refused without admin output, the pod stays Ready and serving, and admin (19000)
 * refuses connections on the pod IP because it binds the pod's loopback only (where it answers, from inside). The
 * shutdown manager's port (19002, the pod's second container) passes on nothing to admin either.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { SHUTDOWN_MANAGER_PORT } from "../../operator/src/infra/shutdown/shutdown-manager";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { Controller } from "../../operator/src/pipeline/controller";
import { assertNoAdminOutput, rawRequest } from "../../test/support/admin-probe";
import { eventually, httpGet } from "../../test/support/http";
import {
  gatewayAddress,
  inPodNetwork,
  podFetch,
  prepareCluster,
  quickstartYaml,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  startTestController,
  type KubeCluster,
} from "../harness";

const NS = "envoy-gateway-system";
/** Envoy's admin port in the pod (bound on 127.0.0.1). */
const ADMIN_PORT = 19000;
/** Gateway `eg`'s HTTP listener port. */
const LISTENER_PORT = 80;

/** The parts of the Envoy pod the test reads. */
interface Pod {
  metadata: { name: string; uid: string };
  spec: {
    containers: {
      ports?: { name?: string; containerPort: number }[];
      readinessProbe?: { httpGet?: { path: string; port: number | string } };
    }[];
  };
  status?: {
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number }[];
  };
}

/** The error code of a TCP connection attempt to host:port, or "connected". */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((done) => {
    const sock = connect(port, host);
    sock.setTimeout(3000, () => {
      sock.destroy();
      done("timeout");
    });
    sock.on("connect", () => {
      sock.destroy();
      done("connected");
    });
    sock.on("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

describe("admin API exposure of a Gateway's Envoy pod (Kubernetes tier)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let address: string;
  let pod: Pod;
  let podIP: string;
  let readyPort: number;
  let statsPort: number;

  const envoyPods = async (): Promise<Pod[]> =>
    (await cluster.kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", NS, "-l", `${OWNING_GATEWAY_NAME}=eg`])).items;
  const isReady = (p: Pod | undefined): boolean =>
    p?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  const serves = async (): Promise<boolean> =>
    (await httpGet(LISTENER_PORT, "www.example.com", "/", { address })).status === 200;

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    echo = await startEchoBackend({ name: "admin-echo", host: cluster.nodeAddress });
    controller = await startTestController(cluster, NS);
    kubelet = testKubelet(cluster, [NS]);
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: quickstartYaml(LISTENER_PORT, cluster.nodeAddress, echo.port),
    });
    kubelet.start();
    await eventually(async () => isReady((await envoyPods())[0]), 90_000, "the Envoy pod Ready", 250);
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(serves, 30_000, `traffic through the Envoy pod at ${address}:${LISTENER_PORT}`);
    const found = (await envoyPods())[0];
    assert.ok(found);
    pod = found;
    podIP = pod.status?.podIP ?? "";
    const container = pod.spec.containers[0];
    const probePort = container?.readinessProbe?.httpGet?.port;
    readyPort = typeof probePort === "number" ? probePort : 0;
    statsPort = container?.ports?.find((p) => p.name === "metrics")?.containerPort ?? 0;
  });

  after(async () => {
    await kubelet?.stop();
    await controller?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("runs the pod with the readiness probe on 19003 and a `metrics` port 19001, on its own pod IP", () => {
    assert.equal(podIP, kubelet.podIp(`${NS}/${pod.metadata.name}`));
    assert.match(podIP, /^198\.18\./);
    assert.equal(readyPort, 19003);
    assert.equal(statsPort, 19001);
  });

  it("answers GET /ready with 200 LIVE and GET /stats/prometheus with metrics on the pod IP", async () => {
    const ready = await rawRequest(readyPort, "GET", "/ready", podIP);
    assert.equal(ready.status, 200);
    assert.match(ready.body, /LIVE/);
    const stats = await rawRequest(statsPort, "GET", "/stats/prometheus", podIP);
    assert.equal(stats.status, 200);
    assert.match(stats.body, /^envoy_server_live\{.*\} 1$/m);
  });

  for (const [name, port] of [
    ["readiness", (): number => readyPort],
    ["stats", (): number => statsPort],
    ["shutdown manager", (): number => SHUTDOWN_MANAGER_PORT],
  ] as const) {
    it(`refuses path tricks and admin POSTs on the ${name} port without admin output; the pod stays Ready and serving`, async () => {
      await assertNoAdminOutput(`the ${name} port of the pod IP`, port(), podIP);
      // POST /quitquitquit did not stop Envoy, POST /healthcheck/fail did not make it drain (admin's /ready
      // would answer 503 DRAINING), and the simulated kubelet did not have to restart it.
      assert.equal((await rawRequest(readyPort, "GET", "/ready", podIP)).status, 200, "still /ready 200");
      const admin = await podFetch(kubelet, `${NS}/${pod.metadata.name}`, `http://127.0.0.1:${ADMIN_PORT}/server_info`);
      assert.match(admin, /"state": "LIVE"/, "admin (on loopback, inside the pod) says LIVE");
      assert.ok(await serves(), "still serving the route");
      const now = (await envoyPods())[0];
      assert.equal(now?.metadata.uid, pod.metadata.uid, "the same pod");
      assert.ok(isReady(now), "the pod is still Ready");
      assert.equal(now?.status?.containerStatuses?.[0]?.restartCount, 0, "never restarted");
      assert.equal(kubelet.started.filter((p) => p === `${NS}/${pod.metadata.name}`).length, 1, "started once");
    });
  }

  it("refuses connections to admin (19000) on the pod IP: admin binds the pod's 127.0.0.1", async () => {
    assert.equal(await connectOutcome(podIP, ADMIN_PORT), "ECONNREFUSED");
    // From inside the pod's network namespace, admin answers on loopback.
    const script =
      "const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');" +
      "s.on('connect', () => { process.stdout.write('connected'); s.destroy(); });" +
      "s.on('error', (e) => process.stdout.write(e.code));";
    const inside = await inPodNetwork(kubelet, `${NS}/${pod.metadata.name}`, [
      ...[process.execPath, "-e", script, String(ADMIN_PORT)],
    ]);
    assert.equal(inside, "connected", "admin is up, on the pod's loopback");
  });
});
