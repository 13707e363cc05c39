/**
 * The controller against a real API server: it watches Gateway API resources, applies each Gateway's proxy
 * objects, writes status only on change, and the Envoy pod (run by the simulated kubelet from the Deployment
 * the controller made, in its own network namespace) serves traffic, at the address in the Gateway's status,
 * to a backend of the test on the node address whose EndpointSlice points at it.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { Controller } from "../../operator/src/pipeline/controller";
import { mergedProxyObjectName, OWNING_GATEWAY_CLASS, proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, httpGet, type HttpResult } from "../../test/support/http";
import {
  gatewayAddress,
  quickstartYaml,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  statusPatches,
  type KubeCluster,
  prepareCluster,
  startTestController,
} from "../harness";

const NS = "envoy-gateway-system";
/** The Gateways' HTTP listener port: each proxy has its own address, so the usual port. */
const PORT = 80;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Status {
  conditions?: Condition[];
  addresses?: { type: string; value: string }[];
  listeners?: { name: string; attachedRoutes: number }[];
  parents?: { conditions: Condition[] }[];
}
interface Obj {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec?: Record<string, unknown>;
  status?: Status;
}

/** EnvoyProxy `custom` (the GatewayClass's parameters) with a ClusterIP Service and `kubernetes` settings. */
function envoyProxyYaml(...kubernetes: string[]): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: custom, namespace: ${NS} }
spec:
  provider:
    type: Kubernetes
    kubernetes:
${[...kubernetes, "envoyService: { type: ClusterIP }"].map((k) => `      ${k}\n`).join("")}`;
}

function cond(s: Status | undefined, type: string): Condition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

describe("controller against a real API server (Kubernetes tier)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  const proxyName = proxyObjectName("default", "eg");
  const get = (args: string[]): Promise<Obj> => cluster.kubectlJson<Obj>(["get", ...args]);
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });
  /** A request for `host` to Gateway `eg` at the address its status names now. */
  const gatewayGet = async (host: string): Promise<HttpResult> =>
    httpGet(PORT, host, "/", { address: await gatewayAddress(cluster, "eg", { timeoutMs: 5000 }) });

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    echo = await startEchoBackend({ name: "k8s-echo", host: cluster.nodeAddress });
    controller = await startTestController(cluster, NS);
    kubelet = testKubelet(cluster, [NS]);
    await apply(quickstartYaml(PORT, cluster.nodeAddress, echo.port));
  });

  after(async () => {
    await kubelet?.stop();
    await controller?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("accepts the GatewayClass and writes its status", async () => {
    await eventually(
      async () => cond((await get(["gatewayclass", "eg"])).status, "Accepted")?.status === "True",
      30_000,
      "GatewayClass Accepted",
    );
  });

  it("applies the proxy's Deployment, Service, ServiceAccount and ConfigMap with Envoy Gateway's labels", async () => {
    for (const kind of ["deployment", "service", "serviceaccount", "configmap"]) {
      await eventually(
        async () => Boolean(await get([kind, proxyName, "-n", NS]).catch(() => undefined)),
        30_000,
        `${kind} ${proxyName}`,
      );
      const o = await get([kind, proxyName, "-n", NS]);
      assert.equal(o.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"], "eg");
      assert.equal(o.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-namespace"], "default");
      const owner = o.metadata.ownerReferences?.[0];
      assert.deepEqual([owner?.kind, owner?.name], ["GatewayClass", "eg"], `${kind} is owned by its GatewayClass`);
      assert.equal(owner?.uid, (await get(["gatewayclass", "eg"])).metadata.uid);
    }
  });

  it("keeps the Gateway Programmed False (Pending) until the Envoy Deployment has an available replica", async () => {
    await eventually(
      async () => cond((await get(["gateway", "eg", "-n", "default"])).status, "Programmed")?.reason === "Pending",
      30_000,
      "Programmed Pending",
    );
  });

  it("is Programmed with the Service's LoadBalancer address once the Envoy pod runs, and Envoy serves the route there", async () => {
    kubelet.start();
    await eventually(
      async () => cond((await get(["gateway", "eg", "-n", "default"])).status, "Programmed")?.status === "True",
      90_000,
      "Gateway Programmed True",
    );
    const address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    const svc = (await get(["service", proxyName, "-n", NS])) as unknown as {
      spec: { type: string };
      status?: { loadBalancer?: { ingress?: { ip: string }[] } };
    };
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(address, svc.status?.loadBalancer?.ingress?.[0]?.ip);
    assert.deepEqual((await get(["gateway", "eg", "-n", "default"])).status?.addresses, [
      { type: "IPAddress", value: address },
    ]);
    await eventually(
      async () => (await httpGet(PORT, "www.example.com", "/", { address })).status === 200,
      30_000,
      `traffic through the Envoy pod at ${address}:${PORT}`,
    );
    const r = await httpGet(PORT, "www.example.com", "/", { address });
    assert.equal((JSON.parse(r.body) as { backend: string }).backend, "k8s-echo");
  });

  it("reports route status and attachedRoutes, and an invalid route's reason", async () => {
    const route = await get(["httproute", "web", "-n", "default"]);
    assert.equal(cond(route.status?.parents?.[0], "Accepted")?.status, "True");
    assert.equal((await get(["gateway", "eg", "-n", "default"])).status?.listeners?.[0]?.attachedRoutes, 1);
    await apply(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: broken, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ name: missing, port: 80 }] }]
`);
    await eventually(
      async () =>
        cond((await get(["httproute", "broken", "-n", "default"])).status?.parents?.[0], "ResolvedRefs")?.reason ===
        "BackendNotFound",
      30_000,
      "BackendNotFound",
    );
    await eventually(
      async () => (await get(["gateway", "eg", "-n", "default"])).status?.listeners?.[0]?.attachedRoutes === 2,
      30_000,
      "attachedRoutes 2",
    );
    await cluster.kubectl(["delete", "httproute", "broken", "-n", "default"]);
    await eventually(
      async () => (await get(["gateway", "eg", "-n", "default"])).status?.listeners?.[0]?.attachedRoutes === 1,
      30_000,
      "attachedRoutes back to 1",
    );
  });

  it("does not rewrite unchanged status (status writes counted by the API server)", async () => {
    await new Promise((r) => setTimeout(r, 2000)); // let the last change settle
    const before = await statusPatches(cluster);
    // Touch unrelated objects: new snapshots, same statuses.
    for (let i = 0; i < 5; i++)
      await cluster.kubectl(["label", "service", "echo", "-n", "default", `touch=${i}`, "--overwrite"]);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await statusPatches(cluster), before, "no status PATCH for snapshots that change no status");
    assert.ok(controller.statusWriter.stats.unchanged > 0, "the writer compared and skipped");
  });

  it("updates the Deployment in place when the EnvoyProxy changes", async () => {
    const uid = (await get(["deployment", proxyName, "-n", NS])).metadata.uid;
    await apply(`${envoyProxyYaml("envoyDeployment: { replicas: 2 }")}---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec:
  controllerName: ${DEFAULT_CONTROLLER_NAME}
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: custom, namespace: ${NS} }
`);
    await eventually(
      async () => (await get(["deployment", proxyName, "-n", NS])).spec?.replicas === 2,
      30_000,
      "replicas 2",
    );
    assert.equal((await get(["deployment", proxyName, "-n", NS])).metadata.uid, uid, "same object, updated in place");
    assert.equal((await get(["service", proxyName, "-n", NS])).spec?.type, "ClusterIP");
  });

  it("runs the proxies as a DaemonSet with a PodDisruptionBudget when the EnvoyProxy says so, and serves from it", async () => {
    await apply(envoyProxyYaml("envoyDaemonSet: {}", "envoyPDB: { minAvailable: 1 }"));
    await eventually(
      async () => Boolean(await get(["daemonset", proxyName, "-n", NS]).catch(() => undefined)),
      30_000,
      "DaemonSet created",
    );
    await eventually(
      async () => !(await get(["deployment", proxyName, "-n", NS]).catch(() => undefined)),
      30_000,
      "Deployment pruned",
    );
    const ds = await get(["daemonset", proxyName, "-n", NS]);
    assert.equal(ds.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"], "eg");
    // The Deployment's pods go (their Envoy processes too), leaving only the DaemonSet's.
    type PodItem = {
      metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
      spec: { nodeName?: string };
      status?: { phase?: string };
    };
    let seen = "";
    await eventually(
      async () => {
        const pods = await cluster.kubectlJson<{ items: PodItem[] }>([
          ...["get", "pods", "-n", NS, "-l", "gateway.envoyproxy.io/owning-gateway-name=eg"],
        ]);
        seen = pods.items
          .map((p) => {
            const { name, deletionTimestamp, ownerReferences } = p.metadata;
            const deleting = deletionTimestamp ? " deleting" : "";
            return `${name} (${ownerReferences?.[0]?.kind}, ${p.status?.phase}, node ${p.spec.nodeName}${deleting})`;
          })
          .join(", ");
        const owners = pods.items.map((p) => p.metadata.ownerReferences?.[0]?.kind);
        return owners.length === 1 && owners[0] === "DaemonSet";
      },
      // The Deployment's pod drains first (its shutdown manager's preStop): up to drainTimeout (60 s) while a
      // client of this test keeps an idle keep-alive connection to it.
      120_000,
      "only the DaemonSet's pod left",
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; pods: ${seen}`);
    });
    // The DaemonSet controller made a pod for the simulated node; once it is Ready, the Gateway is Programmed
    // because of the DaemonSet (there is no Deployment left), and Envoy in that pod serves the route.
    await eventually(
      async () => {
        const d = (await get(["daemonset", proxyName, "-n", NS])) as unknown as {
          status?: { numberAvailable?: number };
        };
        return d.status?.numberAvailable === 1;
      },
      90_000,
      "DaemonSet numberAvailable 1",
    );
    await eventually(
      async () => cond((await get(["gateway", "eg", "-n", "default"])).status, "Programmed")?.status === "True",
      30_000,
      "Gateway Programmed True with the DaemonSet",
    );
    await eventually(
      async () => (await gatewayGet("www.example.com").catch(() => undefined))?.status === 200,
      30_000,
      "traffic through the DaemonSet's Envoy pod",
    );
    // The disruption controller counts the pods the PDB selects: the DaemonSet's.
    await eventually(
      async () => {
        const pdb = (await get(["pdb", proxyName, "-n", NS])) as unknown as {
          spec: { minAvailable?: number };
          status?: { expectedPods?: number; currentHealthy?: number };
        };
        return pdb.spec.minAvailable === 1 && pdb.status?.expectedPods === 1 && pdb.status.currentHealthy === 1;
      },
      30_000,
      "PDB selects the Envoy pod",
    );
  });

  it("adds a HorizontalPodAutoscaler for the Deployment and leaves the replica count to it", async () => {
    await apply(envoyProxyYaml("envoyDeployment: {}", "envoyHpa: { minReplicas: 1, maxReplicas: 3 }"));
    await eventually(
      async () => Boolean(await get(["hpa", proxyName, "-n", NS]).catch(() => undefined)),
      30_000,
      "HPA created",
    );
    for (const kind of ["daemonset", "pdb"]) {
      await eventually(
        async () => !(await get([kind, proxyName, "-n", NS]).catch(() => undefined)),
        30_000,
        `${kind} pruned`,
      );
    }
    const hpa = (await get(["hpa", proxyName, "-n", NS])) as unknown as {
      apiVersion: string;
      spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
    };
    assert.equal(hpa.apiVersion, "autoscaling/v2");
    assert.deepEqual(
      [hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name],
      [1, 3, "Deployment", proxyName],
    );
    // Our field manager does not own spec.replicas, so the HPA's changes are not undone by the next apply.
    const deployment = (await get(["deployment", proxyName, "-n", NS, "--show-managed-fields"])) as unknown as {
      metadata: { managedFields: { manager: string; fieldsV1?: { "f:spec"?: Record<string, unknown> } }[] };
    };
    const ours = deployment.metadata.managedFields.find((f) => f.manager === "envoy-gateway");
    assert.ok(ours?.fieldsV1?.["f:spec"], "the Deployment is ours");
    assert.ok(!("f:replicas" in (ours.fieldsV1["f:spec"] ?? {})), "spec.replicas is not ours");
    await eventually(
      async () => (await gatewayGet("www.example.com").catch(() => undefined))?.status === 200,
      60_000,
      "traffic through the Deployment's Envoy pod again",
    );
  });

  it("prunes the proxy objects when the Gateway is deleted", async () => {
    await cluster.kubectl(["delete", "gateway", "eg", "-n", "default"]);
    for (const kind of ["deployment", "service", "serviceaccount", "configmap", "hpa"]) {
      await eventually(
        async () => !(await get([kind, proxyName, "-n", NS]).catch(() => undefined)),
        30_000,
        `${kind} pruned`,
      );
    }
  });

  it("serves every Gateway of a class with mergeGateways from one proxy, whose Service address they all report", async () => {
    const [port, port2] = [PORT, 8080];
    const merged = mergedProxyObjectName("eg");
    await apply(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: custom, namespace: ${NS} }
spec:
  mergeGateways: true
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment: { replicas: 1 }
      envoyService: { type: ClusterIP }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: m1, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: m2, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port2} }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: merged-web, namespace: default }
spec:
  parentRefs: [{ name: m1 }, { name: m2 }]
  hostnames: [merged.example.com]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`);
    await eventually(
      async () => Boolean(await get(["service", merged, "-n", NS]).catch(() => undefined)),
      30_000,
      `service ${merged}`,
    );
    const svc = await get(["service", merged, "-n", NS]);
    assert.equal(svc.metadata.labels?.[OWNING_GATEWAY_CLASS], "eg");
    const ports = (svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port).sort((a, b) => a - b);
    assert.deepEqual(
      ports,
      [port, port2].sort((a, b) => a - b),
      "the union of the Gateways' ports",
    );
    const deployment = await get(["deployment", merged, "-n", NS]);
    assert.equal(deployment.metadata.labels?.[OWNING_GATEWAY_CLASS], "eg");
    assert.ok(!(await get(["deployment", proxyObjectName("default", "m1"), "-n", NS]).catch(() => undefined)));
    const address = [{ type: "IPAddress", value: (svc.spec as { clusterIP: string }).clusterIP }];
    for (const name of ["m1", "m2"]) {
      await eventually(
        async () => cond((await get(["gateway", name, "-n", "default"])).status, "Programmed")?.status === "True",
        90_000,
        `Gateway ${name} Programmed True`,
      );
      assert.deepEqual((await get(["gateway", name, "-n", "default"])).status?.addresses, address);
    }
    for (const p of [port, port2]) {
      await eventually(
        async () => (await httpGet(p, "merged.example.com", "/", { address: address[0]?.value })).status === 200,
        30_000,
        `traffic on port ${p} through the merged Envoy pod`,
      );
    }
  });
});
