/**
 * The Helm chart installed into a real API server: the certgen pre-install Job issues the xDS
 * certificates, the controller runs (as a host process started by the simulated kubelet) with only the
 * chart's ServiceAccount credentials, so everything it does proves the chart's RBAC suffices; a chainsaw
 * suite then checks the quickstart Gateway end to end, and traffic flows through the Envoy pod over mTLS xDS.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../../test/support/http";
import {
  hostAddress,
  hostServiceYaml,
  run,
  RunError,
  SIMULATED_HOST_HELM_VALUES,
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

/** The chainsaw suite for the quickstart: apply, then assert status and the proxy's objects. */
function writeQuickstartSuite(dir: string, ip: string, echoPort: number, port: number): void {
  const suite = join(dir, "quickstart");
  mkdirSync(suite, { recursive: true });
  writeFileSync(
    join(suite, "resources.yaml"),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: envoy
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
${hostServiceYaml("backend", 3000, ip, echoPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: backend, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [www.example.com]
  rules: [{ backendRefs: [{ name: backend, port: 3000 }] }]
`,
  );
  writeFileSync(
    join(suite, "gateway-programmed.yaml"),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
status:
  (conditions[?type == 'Accepted']):
    - status: "True"
  (conditions[?type == 'Programmed']):
    - status: "True"
  (length(addresses)): 1
  listeners:
    - name: http
      attachedRoutes: 1
`,
  );
  writeFileSync(
    join(suite, "route-accepted.yaml"),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: backend, namespace: default }
status:
  parents:
    - controllerName: gateway.envoyproxy.io/gatewayclass-controller
      (conditions[?type == 'Accepted']):
        - status: "True"
      (conditions[?type == 'ResolvedRefs']):
        - status: "True"
`,
  );
  writeFileSync(
    join(suite, "proxy.yaml"),
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${proxyObjectName("default", "eg")}
  namespace: ${NS}
  labels:
    gateway.envoyproxy.io/owning-gateway-name: eg
    gateway.envoyproxy.io/owning-gateway-namespace: default
status:
  availableReplicas: 1
---
apiVersion: v1
kind: Service
metadata:
  name: ${proxyObjectName("default", "eg")}
  namespace: ${NS}
spec:
  type: LoadBalancer
  ports:
    - port: ${port}
`,
  );
  writeFileSync(
    join(suite, "chainsaw-test.yaml"),
    `apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata: { name: quickstart }
spec:
  namespace: default
  # Keep the quickstart after the suite: the test then sends traffic through it.
  skipDelete: true
  timeouts: { apply: 30s, assert: 120s }
  steps:
    - name: apply the quickstart
      try:
        - apply: { file: resources.yaml }
    - name: the proxy runs and the Gateway is programmed
      try:
        - assert: { file: proxy.yaml }
        - assert: { file: gateway-programmed.yaml }
        - assert: { file: route-accepted.yaml }
`,
  );
}

/** A chainsaw suite for route problems: a missing backend and a listener the route cannot use. */
function writeInvalidRouteSuite(dir: string, port: number): void {
  const suite = join(dir, "invalid-routes");
  mkdirSync(suite, { recursive: true });
  writeFileSync(
    join(suite, "chainsaw-test.yaml"),
    `apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata: { name: invalid-routes }
spec:
  namespace: default
  timeouts: { apply: 30s, assert: 60s }
  steps:
    - name: a route to a missing Service and a route to a missing listener
      try:
        - apply:
            resource:
              apiVersion: gateway.networking.k8s.io/v1
              kind: Gateway
              metadata: { name: eg, namespace: default }
              spec:
                gatewayClassName: envoy
                listeners: [{ name: http, protocol: HTTP, port: ${port} }]
        - apply:
            resource:
              apiVersion: gateway.networking.k8s.io/v1
              kind: HTTPRoute
              metadata: { name: missing-backend, namespace: default }
              spec:
                parentRefs: [{ name: eg }]
                rules: [{ backendRefs: [{ name: nope, port: 80 }] }]
        - apply:
            resource:
              apiVersion: gateway.networking.k8s.io/v1
              kind: HTTPRoute
              metadata: { name: missing-listener, namespace: default }
              spec:
                parentRefs: [{ name: eg, sectionName: https }]
                rules: [{ backendRefs: [{ name: backend, port: 3000 }] }]
        - assert:
            resource:
              apiVersion: gateway.networking.k8s.io/v1
              kind: HTTPRoute
              metadata: { name: missing-backend, namespace: default }
              status:
                parents:
                  - (conditions[?type == 'ResolvedRefs']):
                      - status: "False"
                        reason: BackendNotFound
        - assert:
            resource:
              apiVersion: gateway.networking.k8s.io/v1
              kind: HTTPRoute
              metadata: { name: missing-listener, namespace: default }
              status:
                parents:
                  - (conditions[?type == 'Accepted']):
                      - status: "False"
                        reason: NoMatchingParent
    - name: deleting the Gateway prunes its proxy
      try:
        - delete:
            ref: { apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, name: eg, namespace: default }
        - error:
            resource:
              apiVersion: apps/v1
              kind: Deployment
              metadata: { name: ${proxyObjectName("default", "eg")}, namespace: ${NS} }
`,
  );
}

/** Runs chainsaw on `dir`; a failure carries chainsaw's report (which step, which assertion). */
async function chainsaw(cluster: KubeCluster, dir: string): Promise<string> {
  try {
    const res = await run(cluster.tools.chainsaw, ["test", "--no-color", "--test-dir", dir], {
      env: cluster.toolEnv(),
      timeoutMs: 200_000,
    });
    return res.stdout;
  } catch (err) {
    if (err instanceof RunError) throw new Error(`chainsaw failed:\n${err.stdout.slice(-4000)}`, { cause: err });
    throw err;
  }
}

describe("Helm chart in a real API server, with chainsaw (Kubernetes tier)", function () {
  this.timeout(300_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  const ip = hostAddress();
  const helm = (args: string[]): Promise<string> =>
    run(cluster.tools.helm, args, { env: cluster.toolEnv(), timeoutMs: 280_000 }).then((r) => r.stdout);
  const get = (args: string[]): Promise<Obj> => cluster.kubectlJson<Obj>(["get", ...args]);

  before(async () => {
    cluster = await startKubeCluster();
    echo = await startEchoBackend({ name: "helm-echo", host: ip });
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await helm([
      "install",
      "egts",
      join(REPO, "helm", "egts"),
      "-n",
      NS,
      "--create-namespace",
      "--set",
      `xdsAddress=${ip}:18000`,
      ...SIMULATED_HOST_HELM_VALUES,
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

  it("ran the certgen Job, which created the controller's Secret (with the CA key) and no shared proxy Secret", async () => {
    const s = await get(["secret", "envoy-gateway", "-n", NS]);
    assert.ok(
      s.data?.["tls.crt"] && s.data["tls.key"] && s.data["ca.crt"] && s.data["ca.key"],
      "Secret envoy-gateway has ca.crt, ca.key, tls.crt, tls.key",
    );
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

  it("passes the chainsaw quickstart suite, and Envoy serves the route over mTLS xDS", async () => {
    const port = await freePort();
    const dir = join(cluster.dir, "chainsaw");
    writeQuickstartSuite(dir, ip, echo.port, port);
    assert.match(await chainsaw(cluster, dir), /Passed\s+tests\s+1/);
    await eventually(
      async () => (await httpGet(port, "www.example.com").catch(() => undefined))?.status === 200,
      30_000,
      "traffic through Envoy",
    );
    const r = await httpGet(port, "www.example.com");
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
  listeners: [{ name: http, protocol: HTTP, port: ${await freePort()} }]
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

  it("passes the chainsaw suite for invalid routes and pruning", async () => {
    const dir = join(cluster.dir, "chainsaw-invalid");
    writeInvalidRouteSuite(dir, await freePort());
    assert.match(await chainsaw(cluster, dir), /Passed\s+tests\s+1/);
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
