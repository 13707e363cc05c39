/**
 * Real `kubectl port-forward` through the API server to pods the simulated kubelet runs (the Helm chart's
 * controller and Gateway `eg`'s Envoy), as Envoy Gateway's docs have users do: kubectl speaks SPDY/3.1 (tunnelled
 * in a WebSocket to the API server by default, or directly), the API server upgrades to SPDY/3.1 at the kubelet,
 * and the kubelet's SPDY port-forward (harness/kubelet-port-forward-spdy.ts) pipes each connection's data stream
 * to the pod's port. egts's own client keeps using the kubelet's WebSocket port-forward (checked last).
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { egtsAsync } from "../../test/support/egts-cli";
import { freePort, httpGet, type HttpResult } from "../../test/support/http";
import { CHART_NS as NS, startChartStack, type ChartStack } from "../harness/chart-stack";
import { startKubectlPortForward, type KubectlPortForward } from "../harness/kubectl-port-forward";

/** Gateway `eg`'s HTTP listener port (the Envoy container binds 10080). */
const LISTENER_PORT = 80;
/** Envoy's admin port in the proxy pod, and the controller's admin port in its pod (both on the pod's loopback). */
const ADMIN_PORT = 19000;
/** More than 1 MiB, so the bodies span many SPDY DATA frames and socket buffers. */
const LARGE = 1_500_000;

/** One request on a connection of its own (no keep-alive), so each one is a new port-forward stream pair. */
const fresh = (
  port: number,
  host: string,
  path: string,
  opts: { method?: string; body?: string } = {},
): Promise<HttpResult> => httpGet(port, host, path, { ...opts, agent: new Agent({ keepAlive: false }) });

/** kubectl's count of forwarded connections ("Handling connection for <port>"). */
const handled = (pf: KubectlPortForward): number => pf.output().match(/Handling connection for/g)?.length ?? 0;

/** The API server's count of SPDY-over-WebSocket tunnels it upgraded (apiserver_stream_tunnel_requests_total). */
async function tunnels(stack: ChartStack): Promise<number> {
  const metrics = await stack.cluster.kubectl(["get", "--raw", "/metrics"]);
  const line = /^apiserver_stream_tunnel_requests_total\{code="101"\} (\d+)$/m.exec(metrics);
  return Number(line?.[1] ?? 0);
}

describe("kubectl port-forward through the API server to the simulated kubelet's SPDY port-forward (Kubernetes tier)", function () {
  this.timeout(300_000);
  let stack: ChartStack;
  const forwards: KubectlPortForward[] = [];
  const forward = async (args: string[], opts: { spdyOnly?: boolean } = {}): Promise<KubectlPortForward> => {
    const pf = await startKubectlPortForward(stack.cluster, args, opts);
    forwards.push(pf);
    return pf;
  };

  before(async () => {
    stack = await startChartStack(LISTENER_PORT);
  });

  afterEach(async () => {
    await Promise.all(forwards.splice(0).map((pf) => pf.stop()));
  });

  after(async () => {
    await stack?.stop();
  });

  it("pod/<envoy> <local>:19000 (SPDY tunnelled in a WebSocket): Envoy's /ready, two connections at once", async () => {
    const before = await tunnels(stack);
    const local = await freePort();
    const pf = await forward(["-n", NS, `pod/${stack.proxy.metadata.name}`, `${local}:${ADMIN_PORT}`]);
    assert.match(pf.output(), new RegExp(`Forwarding from 127\\.0\\.0\\.1:${local} -> ${ADMIN_PORT}`));
    const ready = await fresh(local, "localhost", "/ready");
    assert.equal(ready.status, 200, `${ready.error ?? ready.body}\n${pf.output()}`);
    assert.equal(ready.body.trim(), "LIVE");
    const [info, stats] = await Promise.all([
      fresh(local, "localhost", "/server_info"),
      fresh(local, "localhost", "/stats?filter=^server\\.live$"),
    ]);
    assert.equal(info.status, 200, info.error);
    assert.equal((JSON.parse(info.body) as { state: string }).state, "LIVE");
    assert.equal(stats.status, 200, stats.error);
    assert.match(stats.body, /^server\.live: 1$/m);
    assert.equal(handled(pf), 3, pf.output());
    assert.ok((await tunnels(stack)) > before, "kubectl tunnelled SPDY in a WebSocket (the API server counted it)");
    assert.ok(pf.running, pf.output());
  });

  it("svc/<envoy service> <local>:80, both transports: > 1 MB down and up at once through Envoy to the backend", async () => {
    const [svc] = (
      await stack.cluster.kubectlJson<{ items: { metadata: { name: string } }[] }>([
        "get",
        "svc",
        "-n",
        NS,
        "-l",
        `${OWNING_GATEWAY_NAME}=eg`,
      ])
    ).items;
    assert.ok(svc, "Gateway eg's Service");
    for (const spdyOnly of [true, false]) {
      const before = await tunnels(stack);
      const local = await freePort();
      const pf = await forward(["-n", NS, `svc/${svc.metadata.name}`, `${local}:${LISTENER_PORT}`], { spdyOnly });
      const [down, up] = await Promise.all([
        fresh(local, "www.example.com", `/bytes/${LARGE}`),
        fresh(local, "www.example.com", "/upload", { method: "POST", body: "y".repeat(LARGE) }),
      ]);
      const how = spdyOnly ? "kubectl's own SPDY upgrade" : "SPDY tunnelled in a WebSocket";
      assert.equal(down.status, 200, `${how}: ${down.error ?? ""}\n${pf.output()}`);
      assert.equal(down.body.length, LARGE, how);
      assert.ok(/^x+$/.test(down.body), `${how}: every byte of the download arrived intact`);
      assert.equal(up.status, 200, `${how}: ${up.error ?? up.body}\n${pf.output()}`);
      const echoed = JSON.parse(up.body) as { method: string; headers: Record<string, string> };
      assert.equal(echoed.method, "POST");
      assert.equal(echoed.headers["content-length"], String(LARGE), `${how}: the backend read the whole upload`);
      assert.equal(handled(pf), 2, pf.output());
      assert.equal(await tunnels(stack), spdyOnly ? before : before + 1, `${how}: the API server's tunnel count`);
      await pf.stop();
    }
  });

  it("-n envoy-gateway-system deploy/envoy-gateway <local>:19000 (EG's docs): the controller's admin API", async () => {
    const local = await freePort();
    const pf = await forward(["-n", NS, "deploy/envoy-gateway", `${local}:${ADMIN_PORT}`]);
    const r = await fresh(local, "localhost", "/api/server_info");
    assert.equal(r.status, 200, r.error ?? r.body);
    assert.equal((JSON.parse(r.body) as { state: string }).state, "Running");
    assert.equal(handled(pf), 1, pf.output());
  });

  it("a port nothing listens on in the pod: kubectl reports the kubelet's error stream and ends the forward", async () => {
    const local = await freePort();
    const pf = await forward(["-n", NS, `pod/${stack.proxy.metadata.name}`, `${local}:19999`]);
    const r = await fresh(local, "localhost", "/ready");
    assert.equal(r.status, 0, "no HTTP answer");
    await pf.exited(15_000);
    assert.match(
      pf.output(),
      new RegExp(`error forwarding port 19999 to pod ${NS}/${stack.proxy.metadata.name}: connect ECONNREFUSED`),
    );
  });

  it("egts config envoy-proxy still reads the proxy's admin through the kubelet's WebSocket port-forward", async () => {
    const pod = stack.proxy.metadata.name;
    const r = await egtsAsync([
      "config",
      "envoy-proxy",
      "listener",
      pod,
      "-n",
      NS,
      "--kubeconfig",
      stack.cluster.kubeconfig,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, { "@type": string }>>;
    assert.equal(out[NS]?.[pod]?.["@type"], "type.googleapis.com/envoy.admin.v3.ListenersConfigDump");
  });
});
