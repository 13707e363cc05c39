/**
 * A rolling restart of a proxy Deployment under steady traffic loses no request (Kubernetes tier): while a load
 * of ~80 requests/s (half on keep-alive connections, half each on a new one; each answered by the backend after
 * 200 ms, so ~16 are in flight at any time) goes to the Gateway's address, `kubectl rollout restart` replaces the
 * Envoy pod. The GatewayClass's EnvoyProxy sets `shutdown.drainTimeout: 20s` (Envoy Gateway's default, 60 s, is
 * what idle keep-alive connections would hold the drain to) and leaves minDrainDuration at its 10 s default. The new pod becomes Ready, the old one is deleted, and the
 * simulated kubelet stops it the kubelet's way: the shutdown manager's preStop (`egts envoy shutdown`) fails
 * Envoy's health checks (its readiness then fails, every connection is closed after its current request) and
 * waits for connections to end, after at least minDrainDuration (10 s, so the kube-proxy stops sending it new
 * connections first); Envoy's preStop waits for that drain; only then SIGTERM. Zero failures. Then the same
 * restart with the kubelet's preStop hooks switched off (SIGTERM at once, as a pod without the shutdown manager)
 * loses requests, which shows the test can fail.
 */
import assert from "node:assert/strict";
import { proxyObjectName } from "../../constructs/names";
import { eventually } from "../../test/support/http";
import { startLoad, type LoadResult } from "../../test/support/load";
import {
  echoRouteYaml,
  gatewayClassYaml,
  gatewayYaml,
  hostServiceYaml,
  startProxyStack,
  type KubeCluster,
  type ProxyStack,
  type SimulatedKubelet,
} from "../harness";

const NS = "envoy-gateway-system";
const PORT = 80;
const HOST = "www.example.com";
/** What every request asks the echo backend: an answer after 200 ms. */
const PATH = "/delay/200";

/** The quickstart with a GatewayClass whose EnvoyProxy sets a 20 s drain timeout. */
function manifests(echoIp: string, echoPort: number): string {
  const parametersRef = `  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: drain, namespace: ${NS} }\n`;
  return `${gatewayClassYaml().replace(/spec: \{ (.*) \}\n$/, `spec:\n  $1\n${parametersRef}`)}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: drain, namespace: ${NS} }
spec: { shutdown: { drainTimeout: 20s } }
---
${gatewayYaml("eg", `[{ name: http, protocol: HTTP, port: ${PORT} }]`)}---
${hostServiceYaml("echo", 80, echoIp, echoPort)}---
${echoRouteYaml("web", HOST)}`;
}

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

describe("rolling restart of a proxy under load (Kubernetes tier)", function () {
  this.timeout(240_000);
  let stack: ProxyStack | undefined;
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let address: string;
  const deployment = proxyObjectName("default", "eg");

  const pods = async (): Promise<PodList["items"]> =>
    (
      await cluster.kubectlJson<PodList>([
        "get",
        "pods",
        "-n",
        NS,
        "-l",
        `gateway.envoyproxy.io/owning-gateway-name=eg`,
      ])
    ).items;

  before(async () => {
    stack = await startProxyStack({
      namespace: NS,
      echoName: "rolling-echo",
      manifests: (c, echo) => manifests(c.nodeAddress, echo.port),
      probe: { port: PORT, host: HOST },
    });
    ({ cluster, kubelet, address } = stack);
    process.stdout.write(
      `      first proxy pod Ready after ${JSON.stringify(Object.fromEntries(kubelet.startTimes))} ms\n`,
    );
  });

  after(async () => {
    await stack?.stop();
  });

  /** Restarts the Deployment under load; resolves when the old pod is gone and the new one served a while. */
  async function restartUnderLoad(): Promise<LoadResult & { ms: number; oldPodMs: number }> {
    const [old] = await pods();
    assert.ok(old, "a proxy pod");
    const load = startLoad({ address, port: PORT, host: HOST, path: PATH, rps: 80 });
    await new Promise((r) => setTimeout(r, 2000)); // steady first
    const started = Date.now();
    await cluster.kubectl(["rollout", "restart", `deployment/${deployment}`, "-n", NS]);
    let deletedAt = 0;
    await eventually(
      async () => {
        const now = await pods();
        const o = now.find((p) => p.metadata.name === old.metadata.name);
        if (o?.metadata.deletionTimestamp && deletedAt === 0) deletedAt = Date.now();
        return !o && now.some((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      },
      180_000,
      "the old proxy pod gone and a new one Ready",
      200,
    );
    const oldPodMs = Date.now() - deletedAt;
    await new Promise((r) => setTimeout(r, 2000)); // the new pod alone
    const result = await load.stop();
    return { ...result, ms: Date.now() - started, oldPodMs };
  }

  it("loses no request when the old pod drains (preStop: shutdown manager)", async () => {
    const d = await cluster.kubectlJson<{ spec: { template: { spec: Record<string, unknown> } } }>([
      "get",
      "deployment",
      deployment,
      "-n",
      NS,
    ]);
    const pod = d.spec.template.spec as { terminationGracePeriodSeconds: number; containers: { name: string }[] };
    assert.equal(pod.terminationGracePeriodSeconds, 320, "drainTimeout + 300 s");
    assert.deepEqual(
      pod.containers.map((c) => c.name),
      ["envoy", "shutdown-manager"],
    );
    const r = await restartUnderLoad();
    process.stdout.write(
      `      rollout restart with drain: ${r.total} requests, ${r.failures} failures ${JSON.stringify(r.errors)}; ` +
        `rollout ${r.ms} ms, old pod terminating ${r.oldPodMs} ms\n`,
    );
    assert.ok(r.total > 500, `a real load (${r.total} requests)`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.ok(r.oldPodMs >= 10_000, `the old pod drained at least minDrainDuration (${r.oldPodMs} ms)`);
    assert.ok(r.oldPodMs < 35_000, `and at most about drainTimeout (${r.oldPodMs} ms)`);
  });

  it("loses requests without the preStop hooks (the control: the test can fail)", async () => {
    kubelet.runsPreStopHooks = false;
    try {
      const r = await restartUnderLoad();
      process.stdout.write(
        `      rollout restart without drain: ${r.total} requests, ${r.failures} failures ${JSON.stringify(r.errors)}\n`,
      );
      assert.ok(r.failures > 0, "SIGTERM at once cuts requests");
    } finally {
      kubelet.runsPreStopHooks = true;
    }
  });
});
