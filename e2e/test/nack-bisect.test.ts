/**
 * The controller's NACK bisection against a real API server and the Envoy pod run by the simulated kubelet:
 * a header value with CR passes the HTTPRoute CRD schema (no pattern on values); with the translator's check
 * turned off, Envoy NACKs it, the route is found and quarantined with Envoy's error written to its status by
 * the leader, and the route applied with it serves. And a listener Envoy cannot bind (a port another
 * process holds): Programmed=False with Envoy's reason on the listener and the Gateway, written by the
 * leader, while the other listener serves.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Controller } from "../../operator/src/pipeline/controller";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { eventually, freePort, httpGet } from "../../test/support/http";
import {
  echoRouteYaml,
  hostAddress,
  quickstartYaml,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  type KubeCluster,
  prepareCluster,
  startTestController,
} from "../harness";

const NS = "envoy-gateway-system";

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
  let port: number;
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
    const ip = hostAddress();
    echo = await startEchoBackend({ name: "k8s-echo", host: ip });
    port = await freePort();
    controller = await startTestController(cluster, NS);
    kubelet = testKubelet(cluster, [NS]);
    await apply(quickstartYaml(port, ip, echo.port));
    kubelet.start();
    await eventually(
      async () => (await httpGet(port, "www.example.com").catch(() => undefined))?.status === 200,
      90_000,
      "traffic through the host-run Envoy pod",
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
      async () => (await httpGet(port, "fresh.example.com").catch(() => undefined))?.status === 200,
      30_000,
      "the route applied with the NACKed one",
    );
    await eventually(async () => (await accepted("nacked"))?.status === "False", 30_000, "nacked Accepted=False");
    const a = await accepted("nacked");
    assert.equal(a?.reason, "UnsupportedValue");
    assert.match(a?.message ?? "", /^Envoy rejected the configuration: .*does not match regex pattern/);
    assert.doesNotMatch(a?.message ?? "", /virtual_hosts|www\.example\.com/, "no dump of other routes");
    assert.equal((await httpGet(port, "www.example.com")).status, 200);
    assert.equal((await httpGet(port, "nacked.example.com")).status, 404);
    assert.equal((await accepted("fresh"))?.status, "True");

    // Fixing the route brings it back.
    await apply(echoRouteYaml("nacked", "nacked.example.com"));
    await eventually(
      async () => (await httpGet(port, "nacked.example.com").catch(() => undefined))?.status === 200,
      30_000,
      "the fixed route",
    );
    await eventually(async () => (await accepted("nacked"))?.status === "True", 30_000, "nacked Accepted=True");
  });

  it("a listener whose port another process holds: Programmed=False with Envoy's reason; the other listener serves", async () => {
    const busy = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => busy.listen(0, "0.0.0.0", resolve));
    const busyPort = (busy.address() as { port: number }).port;
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
        gateway(`{ name: http, protocol: HTTP, port: ${port} }, { name: busy, protocol: HTTP, port: ${busyPort} }`),
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
      assert.equal((await httpGet(port, "www.example.com")).status, 200, "the other listener serves");

      // Without the listener, the Gateway is programmed again.
      await apply(gateway(`{ name: http, protocol: HTTP, port: ${port} }`));
      await eventually(
        async () => programmed((await gatewayStatus()).conditions)?.status === "True",
        60_000,
        "Gateway Programmed=True again",
      );
    } finally {
      busy.close();
    }
  });
});
