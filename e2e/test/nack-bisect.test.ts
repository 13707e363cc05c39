/**
 * The controller's NACK bisection against a real API server and the Envoy pod run by the simulated kubelet:
 * a header value with CR passes the HTTPRoute CRD schema (no pattern on values); with the translator's check
 * turned off, Envoy NACKs it, the route is found and quarantined with Envoy's error written to its status by
 * the leader, and the route applied with it serves. And a listener Envoy cannot bind (a port another
 * process in the pod's network namespace holds, as a sidecar could): Programmed=False with Envoy's reason on
 * the listener and the Gateway, written by the leader, while the other listener serves. And an EnvoyPatchPolicy
 * Envoy NACKs (a socket option the kernel refuses; the controller has no Envoy to check patches with): the
 * bisection pins it on the policy, whose Programmed=False with Envoy's reason reaches the API server, and True
 * again once fixed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { Controller } from "../../operator/src/pipeline/controller";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { ListenerType } from "../../operator/src/xds/types";
import { eventually, httpGet, type HttpResult } from "../../test/support/http";
import { eppYaml, socketOption } from "../../test/support/patch-gateway";
import {
  echoRouteYaml,
  gatewayAddress,
  ManagedProcess,
  quickstartYaml,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  type KubeCluster,
  prepareCluster,
  startTestController,
} from "../harness";

const NS = "envoy-gateway-system";
/** Gateway `eg`'s HTTP listener port. */
const PORT = 80;
/** The port a process in the Envoy pod's network namespace holds. */
const BUSY_PORT = 8081;

/**
 * Starts a process in a pod's network namespace (`enter`: the kubelet's nsenter prefix) that listens on
 * 0.0.0.0:`port`; resolves once it listens.
 */
async function holdPort(enter: readonly string[], port: number, logFile: string): Promise<ManagedProcess> {
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  const [command = "nsenter", ...args] = enter;
  const script =
    "require('net').createServer((s) => s.end()).listen(Number(process.argv[1]), '0.0.0.0', () => " +
    "console.log('listening'))";
  const holder = new ManagedProcess({
    name: `port ${port} holder`,
    command,
    args: [...args, process.execPath, "-e", script, String(port)],
    logFile,
    onOutput: (chunk) => {
      if (chunk.toString().includes("listening")) listening();
    },
  });
  await Promise.race([
    ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`port ${port} holder did not start`)), 10_000)),
  ]);
  return holder;
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe("controller: a route Envoy NACKs is quarantined (Kubernetes tier)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let address: string;
  const get = (host: string): Promise<HttpResult> => httpGet(PORT, host, "/", { address });
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });
  const accepted = async (name: string): Promise<Condition | undefined> => {
    const r = await cluster.kubectlJson<{ status?: { parents?: { conditions: Condition[] }[] } }>([
      "get",
      "httproute",
      name,
      "-n",
      "default",
    ]);
    return r.status?.parents?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    echo = await startEchoBackend({ name: "k8s-echo", host: cluster.nodeAddress });
    controller = await startTestController(cluster, NS, { extensionApis: { enableEnvoyPatchPolicy: true } });
    kubelet = testKubelet(cluster, [NS]);
    await apply(quickstartYaml(PORT, cluster.nodeAddress, echo.port));
    kubelet.start();
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await get("www.example.com")).status === 200,
      90_000,
      `traffic through the Envoy pod at ${address}:${PORT}`,
    );
  });

  after(async () => {
    valueChecks.disabled = new Set();
    await kubelet?.stop();
    await controller?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("finds the route, writes Envoy's error to its status, serves the route applied with it (validation disabled to force a NACK)", async () => {
    valueChecks.disabled = new Set(["text"]);
    await apply(`${echoRouteYaml("fresh", "fresh.example.com")}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: nacked, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [nacked.example.com]
  rules:
    - filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-a, value: "v\\r\\nx-b: 1" }] } }]
      backendRefs: [{ name: echo, port: 80 }]
`);
    await eventually(
      async () => (await get("fresh.example.com")).status === 200,
      30_000,
      "the route applied with the NACKed one",
    );
    await eventually(async () => (await accepted("nacked"))?.status === "False", 30_000, "nacked Accepted=False");
    const a = await accepted("nacked");
    assert.equal(a?.reason, "UnsupportedValue");
    assert.match(a?.message ?? "", /^Envoy rejected the configuration: .*does not match regex pattern/);
    assert.doesNotMatch(a?.message ?? "", /virtual_hosts|www\.example\.com/, "no dump of other routes");
    assert.equal((await get("www.example.com")).status, 200);
    assert.equal((await get("nacked.example.com")).status, 404);
    assert.equal((await accepted("fresh"))?.status, "True");

    // Fixing the route brings it back.
    await apply(echoRouteYaml("nacked", "nacked.example.com"));
    await eventually(async () => (await get("nacked.example.com")).status === 200, 30_000, "the fixed route");
    await eventually(async () => (await accepted("nacked"))?.status === "True", 30_000, "nacked Accepted=True");
  });

  it("an EnvoyPatchPolicy Envoy NACKs: Programmed=False with Envoy's reason on the API server, traffic serves; fixed: True", async () => {
    const programmed = async (): Promise<Condition | undefined> => {
      const r = await cluster.kubectlJson<{ status?: { ancestors?: { conditions: Condition[] }[] } }>([
        ...["get", "envoypatchpolicy", "sockopt", "-n", "default"],
      ]);
      return r.status?.ancestors?.[0]?.conditions.find((c) => c.type === "Programmed");
    };
    const [listener = ""] = controller.cache.getNode("default/eg")?.resources.get(ListenerType.typeUrl)?.keys() ?? [];
    await apply(eppYaml("sockopt", socketOption(listener, 99999, 77)));
    await eventually(async () => (await programmed())?.status === "False", 30_000, "sockopt Programmed=False");
    const p = await programmed();
    assert.equal(p?.reason, "Invalid");
    assert.match(
      p?.message ?? "",
      /^Envoy rejected the patched resources: .*socket option.*left out until it changes\.$/s,
    );
    assert.equal((await get("www.example.com")).status, 200);

    const SOL_SOCKET = 1;
    const SO_KEEPALIVE = 9;
    await apply(eppYaml("sockopt", socketOption(listener, SOL_SOCKET, SO_KEEPALIVE)));
    await eventually(async () => (await programmed())?.status === "True", 30_000, "the fixed policy Programmed=True");
    assert.equal((await get("www.example.com")).status, 200);
    await cluster.kubectl(["delete", "envoypatchpolicy", "sockopt", "-n", "default"]);
  });

  it("a listener whose port another process in the pod holds: Programmed=False with Envoy's reason; the other listener serves", async () => {
    // The port is held in every Envoy pod of the Gateway: the running one, and those the new listener's
    // rollout starts (before their Envoy starts).
    const holders: ManagedProcess[] = [];
    const hold = async (enter: readonly string[]): Promise<void> => {
      holders.push(await holdPort(enter, BUSY_PORT, join(cluster.dir, `holder-${holders.length}.log`)));
    };
    kubelet.beforeContainerStart = async (pod, sandbox) => {
      if (pod.namespace === NS) await hold(sandbox.enter);
    };
    const pods = await cluster.kubectlJson<{ items: { metadata: { name: string } }[] }>([
      ...["get", "pods", "-n", NS, "-l", `${OWNING_GATEWAY_NAME}=eg`],
    ]);
    for (const p of pods.items) {
      const enter = kubelet.podEnter(`${NS}/${p.metadata.name}`);
      if (enter) await hold(enter);
    }
    const busyPort = BUSY_PORT;
    type GatewayStatus = { conditions?: Condition[]; listeners?: { name: string; conditions: Condition[] }[] };
    const gatewayStatus = async (): Promise<GatewayStatus> =>
      (await cluster.kubectlJson<{ status?: GatewayStatus }>(["get", "gateway", "eg", "-n", "default"])).status ?? {};
    const programmed = (conditions: Condition[] | undefined): Condition | undefined =>
      conditions?.find((c) => c.type === "Programmed");
    const gateway = (listeners: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [${listeners}]
`;
    try {
      await apply(
        gateway(`{ name: http, protocol: HTTP, port: ${PORT} }, { name: busy, protocol: HTTP, port: ${busyPort} }`),
      );
      await eventually(
        async () =>
          programmed((await gatewayStatus()).listeners?.find((l) => l.name === "busy")?.conditions)?.status === "False",
        60_000,
        "listener busy Programmed=False",
      );
      const status = await gatewayStatus();
      const listener = programmed(status.listeners?.find((l) => l.name === "busy")?.conditions);
      assert.equal(listener?.reason, "Invalid");
      assert.match(
        listener?.message ?? "",
        new RegExp(
          `^Envoy could not program the listener: cannot bind '[0-9.:]+:${busyPort}': Address already in use$`,
        ),
      );
      assert.equal(programmed(status.listeners?.find((l) => l.name === "http")?.conditions)?.status, "True");
      assert.equal(programmed(status.conditions)?.status, "False");
      assert.match(
        programmed(status.conditions)?.message ?? "",
        /^Envoy could not program 1 of 2 listeners: busy \(cannot bind/,
      );
      assert.equal((await get("www.example.com")).status, 200, "the other listener serves");

      // Without the listener, the Gateway is programmed again.
      await apply(gateway(`{ name: http, protocol: HTTP, port: ${PORT} }`));
      await eventually(
        async () => programmed((await gatewayStatus()).conditions)?.status === "True",
        60_000,
        "Gateway Programmed=True again",
      );
    } finally {
      kubelet.beforeContainerStart = undefined;
      await Promise.all(holders.map((h) => h.stop()));
    }
  });
});
