/**
 * The EnvoyProxy privilege boundary and the applier's ownership rule against a real API server
 * (docs/adr/0003-envoyproxy-privilege-boundary.md): a tenant's EnvoyProxy asking for a privileged proxy with a
 * hostPath volume makes its Gateway InvalidParameters and creates nothing; an object in the controller's
 * namespace with the name a Gateway's proxy would use, not created by us, is not taken over, while another
 * Gateway of the same pass still gets its proxies.
 */
import assert from "node:assert/strict";
import { proxyObjectName } from "../../constructs/names";
import { eventually } from "../../test/support/http";
import {
  CONTROLLER_NS as NS,
  gatewayYaml as harnessGatewayYaml,
  startTenantCluster,
  type TenantCluster,
} from "../harness";

const TENANT = "team-a";

interface Obj {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    managedFields?: { manager: string; operation: string }[];
    resourceVersion: string;
  };
  data?: Record<string, string>;
}
interface ObjList {
  items: Obj[];
}

function gatewayYaml(name: string, listenerPort: number, infra = ""): string {
  return harnessGatewayYaml(name, `[{ name: http, protocol: HTTP, port: ${listenerPort} }]`, {
    namespace: TENANT,
    spec: infra,
  });
}

describe("EnvoyProxy privilege boundary and applier ownership (Kubernetes tier)", function () {
  this.timeout(180_000);
  let k: TenantCluster;
  const get = <T = Obj>(args: string[]): Promise<T> => k.get<T>(args);
  const apply = (yaml: string): Promise<string> => k.apply(yaml);
  const proxyObjects = async (gateway: string): Promise<string[]> =>
    (
      await get<ObjList>([
        "deployment,daemonset,service,serviceaccount,configmap",
        "-n",
        NS,
        "-l",
        `gateway.envoyproxy.io/owning-gateway-name=${gateway}`,
      ])
    ).items.map((o) => o.metadata.name);

  before(async () => {
    k = await startTenantCluster(TENANT);
  });

  after(async () => {
    await k?.stop();
  });

  it("makes a tenant Gateway whose EnvoyProxy asks for privileged + hostPath InvalidParameters and creates no proxy objects", async () => {
    await apply(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: escalate, namespace: ${TENANT} }
spec:
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        pod: { volumes: [{ name: root, hostPath: { path: / } }] }
        container:
          securityContext: { privileged: true }
          volumeMounts: [{ name: root, mountPath: /host }]
---
${gatewayYaml("tenant", 8080, "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: escalate } }\n")}---
${gatewayYaml("neighbour", 8081)}`);
    const accepted = await k.waitForCondition("tenant", "Accepted", (c) => c.reason === "InvalidParameters");
    assert.equal(accepted?.status, "False");
    assert.match(
      accepted?.message ?? "",
      /EnvoyProxy team-a\/escalate .*spec\.provider\.kubernetes\.envoyDeployment\.container\.securityContext\.privileged \(true\) is not allowed in a Gateway's EnvoyProxy/,
    );
    assert.match(accepted?.message ?? "", /envoyDeployment\.pod\.volumes\[root\] \(\["hostPath"\]\)/);
    // The neighbour of the same namespace and pass gets its proxies; by then the tenant's pass has run too.
    await eventually(async () => (await proxyObjects("neighbour")).length === 4, 30_000, "neighbour's proxy objects");
    assert.deepEqual(await proxyObjects("tenant"), []);
  });

  it("does not take over an object it did not create, and still applies another Gateway's proxies in the same pass", async () => {
    const squatted = proxyObjectName(TENANT, "squatted");
    await k.cluster.kubectl(["create", "configmap", squatted, "-n", NS, "--from-literal=owner=someone-else"]);
    const before = await get(["configmap", squatted, "-n", NS]);
    await apply(`${gatewayYaml("squatted", 8090)}---\n${gatewayYaml("valid", 8091)}`);
    const programmed = await k.waitForCondition("squatted", "Programmed", (c) => c.reason === "Invalid");
    assert.equal(programmed?.status, "False");
    assert.match(
      programmed?.message ?? "",
      new RegExp(
        `ConfigMap ${NS}/${squatted} is not applied: it exists without the label app.kubernetes.io/managed-by=envoy-gateway`,
      ),
    );
    await eventually(async () => (await proxyObjects("valid")).length === 4, 30_000, "valid's proxy objects");
    const after = await get(["configmap", squatted, "-n", NS]);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, "the ConfigMap was written");
    assert.deepEqual(after.data, { owner: "someone-else" });
    assert.deepEqual(after.metadata.managedFields, before.metadata.managedFields);
    assert.equal(after.metadata.labels, undefined);
    // None of the squatted Gateway's other objects were applied either.
    assert.deepEqual(await proxyObjects("squatted"), []);
  });

  it("keeps the last proxy objects of a Gateway that still exists when its EnvoyProxy turns invalid (no prune)", async () => {
    const epYaml = (securityContext: string): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: keeper, namespace: ${TENANT} }
spec:
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment: { container: { securityContext: ${securityContext} } }
`;
    const infra =
      "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: keeper } }\n";
    await apply(`${epYaml("{ runAsUser: 1000 }")}---\n${gatewayYaml("keeper", 8095, infra)}`);
    await eventually(async () => (await proxyObjects("keeper")).length === 4, 30_000, "keeper's proxy objects");
    const objects = (await proxyObjects("keeper")).sort();
    await apply(epYaml("{ privileged: true }"));
    await k.waitForCondition("keeper", "Accepted", (c) => c.reason === "InvalidParameters");
    // A later pass (another Gateway's change) must not prune them either.
    await apply(gatewayYaml("later", 8096));
    await eventually(async () => (await proxyObjects("later")).length === 4, 30_000, "later's proxy objects");
    assert.deepEqual((await proxyObjects("keeper")).sort(), objects);
    const deployment = await get<{
      spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
    }>(["deployment", proxyObjectName(TENANT, "keeper"), "-n", NS]);
    assert.notEqual(deployment.spec.template.spec.containers[0]?.securityContext.privileged, true);
  });
});
