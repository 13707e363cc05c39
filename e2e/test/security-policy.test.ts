/**
 * SecurityPolicy through the Kubernetes tier (issue 15): policies and the Secrets they reference are applied
 * with kubectl, the controller watches both (users files made by the real `htpasswd`), and the Gateway's Envoy pod enforces them. A rotated htpasswd Secret
 * takes effect in the same Envoy process (no restart); a policy whose Secret does not exist yet fails closed
 * (Accepted=False naming the Secret, the route answers 500) until the Secret is created.
 */
import assert from "node:assert/strict";
import { OWNING_GATEWAY_NAME } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Controller } from "../../operator/src/pipeline/controller";
import { htpasswdFile } from "../../test/support/htpasswd";
import { eventually, httpGet, type HttpResult } from "../../test/support/http";
import { httpRouteYaml } from "../../test/support/manifests";
import {
  gatewayAddress,
  prepareCluster,
  quickstartYaml,
  startKubeCluster,
  startTestController,
  testKubelet,
  type KubeCluster,
  type KubeCondition,
  type SimulatedKubelet,
} from "../harness";

const NS = "envoy-gateway-system";
const PORT = 80;

/** Secret `default/<name>` holding `.htpasswd` for `user`, made by the real `htpasswd -cbs` (the `{SHA}` Envoy takes). */
function htpasswdSecretYaml(name: string, user: string, password: string): string {
  const lines = htpasswdFile([{ user, password }]).trim().split("\n");
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
type: Opaque
stringData:
  .htpasswd: |
    ${lines.join("\n    ")}
`;
}

/** SecurityPolicy `default/<name>` with basic auth from Secret `secret` on HTTPRoute `route`. */
function basicAuthPolicyYaml(name: string, route: string, secret: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${route} }]
  basicAuth:
    users: { name: ${secret} }
    forwardUsernameHeader: x-user
`;
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

describe("SecurityPolicy in Kubernetes: watched Secrets, rotation without restart, fail closed (Kubernetes tier)", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let address = "";

  const apply = (yaml: string): Promise<unknown> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "--force-conflicts", "-f", "-"], {
      input: yaml,
    });
  const get = (host: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet(PORT, host, "/", { address, headers });
  const accepted = async (name: string): Promise<KubeCondition | undefined> => {
    const p = await cluster.kubectlJson<{ status?: { ancestors?: { conditions?: KubeCondition[] }[] } }>([
      "get",
      "securitypolicy",
      name,
      "-n",
      "default",
    ]);
    return p.status?.ancestors?.[0]?.conditions?.find((c) => c.type === "Accepted");
  };
  const envoyPod = async (): Promise<{ uid: string; restarts: number }> => {
    type Pod = { metadata: { uid: string }; status?: { containerStatuses?: { restartCount: number }[] } };
    const pods = await cluster.kubectlJson<{ items: Pod[] }>([
      "get",
      "pods",
      "-n",
      NS,
      "-l",
      `${OWNING_GATEWAY_NAME}=eg`,
    ]);
    const p = pods.items[0];
    return { uid: p?.metadata.uid ?? "", restarts: p?.status?.containerStatuses?.[0]?.restartCount ?? -1 };
  };

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    echo = await startEchoBackend({ name: "sp-echo", host: cluster.nodeAddress });
    controller = await startTestController(cluster, NS);
    kubelet = testKubelet(cluster, [NS]);
    await apply(
      [
        quickstartYaml(PORT, cluster.nodeAddress, echo.port),
        httpRouteYaml("later", "later.example.com", "    - backendRefs: [{ name: echo, port: 80 }]"),
        htpasswdSecretYaml("users", "alice", "wonderland"),
        basicAuthPolicyYaml("basic", "web", "users"),
      ].join("---\n"),
    );
    kubelet.start();
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await get("www.example.com")).status === 401,
      120_000,
      `the basic auth policy enforced through ${address}:${PORT}`,
    );
  });

  after(async () => {
    await kubelet?.stop();
    await controller?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("is Accepted; no or wrong credentials get 401, the right ones reach the backend with the user forwarded", async () => {
    assert.equal((await accepted("basic"))?.status, "True");
    assert.equal((await get("www.example.com")).status, 401);
    assert.equal((await get("www.example.com", basic("alice", "nope"))).status, 401);
    const ok = await get("www.example.com", basic("alice", "wonderland"));
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers["x-user"], "alice");
  });

  it("a rotated htpasswd Secret takes effect in the same Envoy process", async () => {
    const before = await envoyPod();
    await apply(htpasswdSecretYaml("users", "bob", "builder"));
    await eventually(
      async () => (await get("www.example.com", basic("bob", "builder"))).status === 200,
      60_000,
      "bob's new credentials accepted",
    );
    assert.equal((await get("www.example.com", basic("alice", "wonderland"))).status, 401, "alice is gone");
    const after = await envoyPod();
    assert.equal(after.uid, before.uid, "the same pod");
    assert.equal(after.restarts, 0, "Envoy was not restarted");
  });

  it("a policy whose Secret does not exist fails closed (500, Accepted=False naming it) until the Secret exists", async () => {
    await apply(basicAuthPolicyYaml("pending", "later", "not-yet"));
    await eventually(async () => (await accepted("pending"))?.status === "False", 60_000, "pending Accepted=False");
    const cond = await accepted("pending");
    assert.equal(cond?.reason, "Invalid");
    assert.match(cond?.message ?? "", /default\/not-yet/);
    await eventually(async () => (await get("later.example.com")).status === 500, 60_000, "the route answers 500");
    await apply(htpasswdSecretYaml("not-yet", "carol", "secret"));
    await eventually(
      async () => (await accepted("pending"))?.status === "True",
      60_000,
      "Accepted once the Secret exists",
    );
    await eventually(
      async () => (await get("later.example.com", basic("carol", "secret"))).status === 200,
      60_000,
      "carol's credentials accepted",
    );
    assert.equal((await get("later.example.com")).status, 401);
  });
});
