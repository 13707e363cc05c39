/**
 * The Helm chart installed into a real API server: the certgen pre-install Job issues the xDS
 * certificates, the controller runs (in its own pod network namespace, started by the simulated kubelet) with
 * only the chart's ServiceAccount credentials, so everything it does proves the chart's RBAC suffices; the
 * Envoy pods reach its xDS Service by name, as in a cluster (the chart's defaults, nothing overridden); the
 * chainsaw suites for the quickstart and route status (e2e/chainsaw) pass against the chart's GatewayClass,
 * and traffic flows through the quickstart's Envoy pod, at its Gateway's address, over mTLS xDS. The controller's
 * pod is Ready through Envoy Gateway's probes on port 8081.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, httpGet } from "../../test/support/http";
import {
  gatewayAddress,
  quickstartYaml,
  run,
  runChainsaw,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  type KubeCluster,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";

interface Obj {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { holderIdentity?: string };
  status?: { conditions?: { type: string; status: string; reason: string }[]; succeeded?: number };
  data?: Record<string, string>;
}

describe("Helm chart in a real API server, with chainsaw (Kubernetes tier)", function () {
  this.timeout(300_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  const helm = (args: string[]): Promise<string> =>
    run(cluster.tools.helm, args, { env: cluster.toolEnv(), timeoutMs: 280_000 }).then((r) => r.stdout);
  const get = (args: string[]): Promise<Obj> => cluster.kubectlJson<Obj>(["get", ...args]);

  before(async () => {
    cluster = await startKubeCluster();
    echo = await startEchoBackend({ name: "helm-echo", host: cluster.nodeAddress });
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await helm([
      "install",
      "egts",
      join(REPO, "helm", "egts"),
      "-n",
      NS,
      "--create-namespace",
      "--wait",
      "--timeout",
      "4m",
    ]);
  });

  after(async () => {
    await kubelet?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("ran the certgen Job, which created the controller's Secret (with the CA key), the OIDC HMAC Secret and no shared proxy Secret", async () => {
    const s = await get(["secret", "envoy-gateway", "-n", NS]);
    assert.ok(
      s.data?.["tls.crt"] && s.data["tls.key"] && s.data["ca.crt"] && s.data["ca.key"],
      "Secret envoy-gateway has ca.crt, ca.key, tls.crt, tls.key",
    );
    const hmac = await get(["secret", "envoy-oidc-hmac", "-n", NS]);
    assert.equal(Buffer.from(hmac.data?.["hmac-secret"] ?? "", "base64").length, 32, "32 random bytes");
    const shared = await get(["secret", "envoy", "-n", NS]).catch(() => undefined);
    assert.equal(shared, undefined, "no shared `envoy` client certificate Secret");
    assert.ok(
      kubelet.started.some((p) => p.startsWith(`${NS}/envoy-gateway-certgen-`)),
      "the certgen pod ran",
    );
  });

  it("runs the controller with the chart's ServiceAccount: it leads and GatewayClass envoy is Accepted", async () => {
    await eventually(
      async () =>
        (
          await get(["lease", "egts-controller-leader", "-n", NS]).catch(() => undefined)
        )?.spec?.holderIdentity?.startsWith("envoy-gateway-") ?? false,
      60_000,
      "the controller pod holds the Lease",
    );
    await eventually(
      async () =>
        (await get(["gatewayclass", "envoy"])).status?.conditions?.find((c) => c.type === "Accepted")?.status ===
        "True",
      60_000,
      "GatewayClass envoy Accepted",
    );
    // What the controller's ServiceAccount may do is what the chart's RBAC grants, no more.
    const canI = (verb: string, what: string, ns: string, subresource?: string): Promise<boolean> =>
      cluster
        .kubectl([
          "auth",
          "can-i",
          verb,
          what,
          "-n",
          ns,
          ...(subresource ? [`--subresource=${subresource}`] : []),
          `--as=system:serviceaccount:${NS}:envoy-gateway`,
        ])
        .then(
          (out) => out.trim() === "yes",
          () => false,
        );
    assert.equal(await canI("patch", "gateways.gateway.networking.k8s.io", "default"), false);
    assert.equal(await canI("patch", "gateways.gateway.networking.k8s.io", "default", "status"), true);
    assert.equal(await canI("create", "deployments.apps", NS), true);
    assert.equal(await canI("create", "deployments.apps", "default"), false);
    assert.equal(await canI("delete", "secrets", NS), false);
  });

  it("makes the controller Ready through Envoy Gateway's probes on 8081 (/healthz, /readyz); 19001 keeps /metrics", async () => {
    type Probe = { httpGet?: { path: string; port: number | string } };
    const d = await cluster.kubectlJson<{
      spec: { template: { spec: { containers: Record<string, Probe>[] } } };
      status?: { readyReplicas?: number };
    }>(["get", "deployment", "envoy-gateway", "-n", NS]);
    const c = d.spec.template.spec.containers[0] ?? {};
    const probes = ["startupProbe", "livenessProbe", "readinessProbe"].map((k) => {
      const get = c[k]?.httpGet;
      return { path: get?.path, port: get?.port };
    });
    assert.deepEqual(probes, [
      { path: "/healthz", port: 8081 },
      { path: "/healthz", port: 8081 },
      { path: "/readyz", port: 8081 },
    ]);
    // The simulated kubelet marks the pod Ready only once its readinessProbe (8081 /readyz) answers 200.
    assert.equal(d.status?.readyReplicas, 1, "the Deployment is Ready");
    const pods = await cluster.kubectlJson<{
      items: { status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
    }>(["get", "pods", "-n", NS, "-l", "control-plane=envoy-gateway"]);
    const pod = pods.items.find((p) => p.status.conditions?.some((x) => x.type === "Ready" && x.status === "True"));
    const address = pod?.status.podIP ?? "";
    assert.ok(address, "a Ready controller pod with an address");
    assert.equal((await httpGet(8081, "probe", "/healthz", { address })).status, 200);
    const readyz = await httpGet(8081, "probe", "/readyz", { address });
    assert.deepEqual([readyz.status, readyz.body], [200, "ok\n"]);
    assert.equal((await httpGet(8081, "probe", "/metrics", { address })).status, 404, "only probes on 8081");
    const metrics = await httpGet(19001, "probe", "/metrics", { address });
    assert.match(metrics.body, /^egts_ready 1$/m, "the metrics port still serves /metrics");
  });

  it("passes the chainsaw suites quickstart and route-status (e2e/chainsaw) with the chart's GatewayClass", async () => {
    const out = await runChainsaw(
      cluster,
      { gatewayClassName: "envoy", controllerNamespace: NS, httpPort: 80, httpsPort: 443 },
      { suites: ["quickstart", "route-status"] },
    );
    assert.match(out, /Passed\s+tests\s+2\b/, out);
  });

  it("serves the quickstart through the Envoy pod over mTLS xDS, with the proxy's own certificate Secret", async () => {
    const port = 80;
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], {
      input: quickstartYaml(port, cluster.nodeAddress, echo.port),
    });
    const address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await httpGet(port, "www.example.com", "/", { address })).status === 200,
      60_000,
      `traffic through Envoy at ${address}:${port}`,
    );
    const r = await httpGet(port, "www.example.com", "/", { address });
    assert.equal((JSON.parse(r.body) as { backend: string }).backend, "helm-echo");
    // The proxy pod mounts its own certificate Secret, which names its node id and nothing else.
    const name = proxyObjectName("default", "eg");
    const deploy = (await cluster.kubectlJson(["get", "deployment", name, "-n", NS])) as {
      spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } };
    };
    const secrets = deploy.spec.template.spec.volumes.flatMap((v) => (v.secret ? [v.secret.secretName] : []));
    assert.deepEqual(secrets, [`${name}-xds`]);
    const own = await get(["secret", `${name}-xds`, "-n", NS]);
    const cert = new X509Certificate(Buffer.from(own.data?.["tls.crt"] ?? "", "base64"));
    assert.equal(cert.subjectAltName, "URI:spiffe://gateway.envoyproxy.io/node/default/eg");
    assert.equal(own.data?.["ca.key"], undefined, "the CA key never reaches a proxy");
  });

  it("keeps Backend off as the chart's config.envoyGateway says: route UnsupportedValue, Backend Accepted=False", async () => {
    type Cond = { type: string; status: string; reason: string; message: string };
    const yaml = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: backend-off, namespace: default }
spec:
  gatewayClassName: envoy
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: to-backend, namespace: default }
spec:
  parentRefs: [{ name: backend-off }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ext }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ext, namespace: default }
spec:
  endpoints: [{ ip: { address: 10.0.0.5, port: 8080 } }]
`;
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: yaml });
    try {
      const resolvedRefs = async (): Promise<Cond | undefined> => {
        const route = await cluster.kubectlJson<{ status?: { parents?: { conditions: Cond[] }[] } }>([
          "get",
          "httproute",
          "to-backend",
          "-n",
          "default",
        ]);
        return route.status?.parents?.[0]?.conditions.find((c) => c.type === "ResolvedRefs");
      };
      await eventually(async () => (await resolvedRefs())?.reason === "UnsupportedValue", 60_000, "the route's status");
      assert.match((await resolvedRefs())?.message ?? "", /Backend is disabled in Envoy Gateway configuration/);
      // The controller may write Backend status (the chart's RBAC grants backends/status).
      await eventually(
        async () => {
          const be = await cluster.kubectlJson<{ status?: { conditions?: Cond[] } }>([
            "get",
            "backends.gateway.envoyproxy.io",
            "ext",
            "-n",
            "default",
          ]);
          const accepted = be.status?.conditions?.find((c) => c.type === "Accepted");
          return accepted?.status === "False" && accepted.reason === "Invalid";
        },
        30_000,
        "Backend ext Accepted=False Invalid",
      );
    } finally {
      await cluster.kubectl(["delete", "-f", "-", "--wait=false"], { input: yaml });
    }
  });

  it("egts certgen --overwrite replaces the controller's certificates (rotation); without it they are kept", async () => {
    const before = await get(["secret", "envoy-gateway", "-n", NS]);
    const certgen = (extra: string[]): Promise<string> =>
      run(process.execPath, [
        join(REPO, "bin", "egts.js"),
        "certgen",
        "--namespace",
        NS,
        "--kubeconfig",
        cluster.kubeconfig,
        ...extra,
      ]).then((r) => r.stdout);
    assert.match(await certgen([]), /exists; left as is/);
    assert.equal((await get(["secret", "envoy-gateway", "-n", NS])).data?.["ca.crt"], before.data?.["ca.crt"]);
    assert.match(await certgen(["--overwrite"]), /replaced/);
    const after = await get(["secret", "envoy-gateway", "-n", NS]);
    assert.notEqual(after.data?.["ca.crt"], before.data?.["ca.crt"], "a new CA");
    assert.ok(after.data?.["ca.key"] && after.data["tls.crt"] && after.data["tls.key"]);
  });
});
