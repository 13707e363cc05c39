/**
 * EnvoyExtensionPolicy `wasm` in Kubernetes, as Envoy Gateway runs it: the Helm chart installed, the controller
 * pod fetches the module (an HTTP URL on the node) into its cache volume and serves it on port 18002 of the
 * `envoy-gateway` Service, over HTTPS requiring the proxies' xDS client certificates; the Gateway's Envoy pod
 * fetches it from there (`wasm_cluster`) and runs it: the real proxy-wasm module (AssemblyScript, built by the
 * test) adds `x-wasm: <its config>` to responses. A module whose sha256 differs puts both digests in the policy's
 * status and its route answers 500. An OCI image is pulled from a real registry (the distribution registry,
 * `bash scripts/install-registry.sh`, behind a TLS front on the node) with the policy's pull secret, read
 * through the API server; a pull secret of another namespace is refused without a ReferenceGrant. The module
 * server answers nobody without a client certificate of the control plane's CA, and only the paths it put in the
 * proxies' configuration.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { join, resolve } from "node:path";
import { ENVOY_ADMIN_PORT } from "../../constructs/gateway-proxy";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet, type HttpResult } from "../../test/support/http";
import { httpRouteYaml } from "../../test/support/manifests";
import { pushWasmImage, startRegistry, type TestRegistry } from "../../test/support/oci-registry";
import { makeCa, type KeyPair } from "../../test/support/pki";
import { httpsGet } from "../../test/support/tls-client";
import { testWasmModule, TEST_WASM_ROOT_ID, type TestWasmModule } from "../../test/support/wasm-module";
import {
  gatewayAddress,
  gatewayYaml,
  hostServiceYaml,
  podFetch,
  run,
  startKubeCluster,
  testKubelet,
  type KubeCluster,
  type KubeCondition,
  type SimulatedKubelet,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";
/** Gateway `eg`'s HTTP listener port. */
const PORT = 80;
const WRONG_SHA = "ab".repeat(32);
/** The registry's user; the policy's pull secret logs in as it. */
const PULLER = { name: "puller", password: "s3cret" };
/** The module server's name in the proxies' configuration (and in the controller's certificate). */
const WASM_HOST = `envoy-gateway.${NS}.svc.cluster.local`;

/** HTTPRoute `<name>` (host `<name>.example.com`) to Service `echo`, and an EnvoyExtensionPolicy on it. */
function caseYaml(name: string, entry: string): string {
  return `${httpRouteYaml(name, `${name}.example.com`, "    - backendRefs: [{ name: echo, port: 80 }]")}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  wasm:
    - rootID: ${TEST_WASM_ROOT_ID}
      ${entry.trim().split("\n").join("\n      ")}
`;
}

/**
 * A TLS front for the registry (which listens on the host's loopback, where the test pushes): on `host:port`
 * with `pair`, each connection relayed to `target` (`127.0.0.1:<port>`). The controller pod reaches the node's
 * address only, and egts speaks HTTPS to every registry that is not on loopback.
 */
async function tlsFront(target: string, pair: KeyPair, host: string, port: number): Promise<TlsServer> {
  const [targetHost, targetPort] = [target.replace(/:\d+$/, ""), Number(target.replace(/^.*:/, ""))];
  const server = createTlsServer(pair, (client) => {
    const upstream = connect(targetPort, targetHost);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  // close() waits for every open connection: the teardown destroys them (a piped one may never end by itself).
  const open = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  frontSockets.set(server, open);
  await new Promise<void>((r) => server.listen(port, host, r));
  return server;
}

/** The open connections of each {@link tlsFront}, destroyed before it is closed. */
const frontSockets = new WeakMap<TlsServer, Set<Socket>>();

/** Closes `server` after destroying its open connections, so the close cannot wait for a client forever. */
function closeFront(server: TlsServer | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  for (const s of frontSockets.get(server) ?? []) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

/** Secret `<namespace>/<name>` with `.dockerconfigjson` logging in to `registry` as `user`. */
function pullSecretYaml(namespace: string, name: string, registry: string, user: typeof PULLER): string {
  const auth = Buffer.from(`${user.name}:${user.password}`).toString("base64");
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '${JSON.stringify({ auths: { [registry]: { auth } } })}'
`;
}

describe("EnvoyExtensionPolicy wasm in Kubernetes: the controller's module cache and server (Helm chart, mTLS)", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let files: Server;
  let registry: TestRegistry | undefined;
  let front: TlsServer | undefined;
  let digest = "";
  let module: TestWasmModule;
  let address = "";
  const proxy = proxyObjectName("default", "eg");

  const send = (name: string): Promise<HttpResult> => httpGet(PORT, `${name}.example.com`, "/", { address });
  const accepted = async (name: string): Promise<KubeCondition | undefined> => {
    const p = await cluster.kubectlJson<{ status?: { ancestors?: { conditions?: KubeCondition[] }[] } }>([
      "get",
      "envoyextensionpolicy",
      name,
      "-n",
      "default",
    ]);
    return p.status?.ancestors?.[0]?.conditions?.find((c) => c.type === "Accepted");
  };
  const secretData = async (name: string, key: string): Promise<string> => {
    const s = await cluster.kubectlJson<{ data?: Record<string, string> }>(["get", "secret", name, "-n", NS]);
    return Buffer.from(s.data?.[key] ?? "", "base64").toString();
  };

  before(async function () {
    this.timeout(300_000);
    module = await testWasmModule();
    cluster = await startKubeCluster();
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    const install = run(
      cluster.tools.helm,
      ["install", "egts", join(REPO, "helm", "egts"), "-n", NS, "--create-namespace", "--wait", "--timeout", "4m"],
      { env: cluster.toolEnv(), timeoutMs: 280_000 },
    );
    echo = await startEchoBackend({ name: "wasm-echo", host: cluster.nodeAddress });
    // The module's origin, on the node: only the controller pod fetches from it.
    files = createServer((req, res) => {
      if (req.url === "/plugin.wasm") res.writeHead(200, { "content-type": "application/wasm" }).end(module.bytes);
      else res.writeHead(404).end("no such module");
    });
    const filesPort = await freePort();
    await new Promise<void>((r) => files.listen(filesPort, cluster.nodeAddress, r));
    const url = `http://${cluster.nodeAddress}:${filesPort}/plugin.wasm`;
    registry = await startRegistry(PULLER);
    digest = await pushWasmImage(registry, { repository: "egts/config-header", tag: "v1" }, module.bytes);
    const registryCa = makeCa("registry-ca");
    const frontPort = await freePort();
    const registryHost = `${cluster.nodeAddress}:${frontPort}`;
    front = await tlsFront(
      registry.host,
      registryCa.issue("registry", [cluster.nodeAddress]),
      cluster.nodeAddress,
      frontPort,
    );
    const image = (secret: string): string =>
      `code: { type: Image, image: { url: "${registryHost}/egts/config-header:v1", sha256: ${digest}, ` +
      `pullSecretRef: ${secret}, tls: { caCertificateRef: { name: registry-ca } } } }`;
    await install;
    await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: [
        gatewayYaml("eg", `[{ name: http, protocol: HTTP, port: ${PORT} }]`, { className: "envoy" }),
        hostServiceYaml("echo", 80, cluster.nodeAddress, echo.port),
        caseYaml("http", `code: { type: HTTP, http: { url: "${url}", sha256: ${module.sha256} } }\nconfig: from-http`),
        caseYaml("mismatch", `code: { type: HTTP, http: { url: "${url}", sha256: ${WRONG_SHA} } }\nconfig: never`),
        `apiVersion: v1
kind: Secret
metadata: { name: registry-ca, namespace: default }
stringData:
  ca.crt: |
    ${registryCa.cert.trim().split("\n").join("\n    ")}
`,
        pullSecretYaml("default", "pull", registryHost, PULLER),
        "apiVersion: v1\nkind: Namespace\nmetadata: { name: tenant-b }\n",
        pullSecretYaml("tenant-b", "pull", registryHost, PULLER),
        caseYaml("oci", `${image("{ name: pull }")}\nconfig: from-oci`),
        caseYaml("foreign-secret", `${image("{ name: pull, namespace: tenant-b }")}\nconfig: never`),
      ].join("---\n"),
    });
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await send("http")).headers["x-wasm"] === "from-http",
      120_000,
      `the Wasm module running in the Envoy pod behind ${address}:${PORT}`,
    );
  });

  after(async () => {
    await kubelet?.stop();
    await echo?.close();
    files?.closeAllConnections();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
    await closeFront(front);
    await registry?.stop();
    await cluster?.stop();
  });

  it("runs a module fetched over HTTP by the controller and served to Envoy by it: its config is on the response", async () => {
    const r = await send("http");
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-wasm"], "from-http");
    assert.equal((await accepted("http"))?.status, "True");
  });

  it("refuses a module whose sha256 differs, naming both digests, and its route answers 500", async () => {
    await eventually(async () => (await accepted("mismatch"))?.status === "False", 30_000, "mismatch Accepted=False");
    const c = await accepted("mismatch");
    assert.equal(c?.reason, "Invalid");
    assert.match(c?.message ?? "", new RegExp(`has checksum ${module.sha256}, which does not match: ${WRONG_SHA}`));
    const r = await send("mismatch");
    assert.equal(r.status, 500);
    assert.equal(r.headers["x-wasm"], undefined);
  });

  it("runs a module the controller pulled from an OCI registry over TLS with the policy's pull secret", async () => {
    await eventually(async () => (await send("oci")).headers["x-wasm"] === "from-oci", 60_000, "the OCI module").catch(
      async (err: Error) => {
        throw new Error(`${err.message}; the policy's Accepted: ${JSON.stringify(await accepted("oci"))}`);
      },
    );
    assert.equal((await accepted("oci"))?.status, "True");
  });

  it("refuses a pull secret of another namespace without a ReferenceGrant (tenant isolation)", async () => {
    await eventually(async () => (await accepted("foreign-secret"))?.status === "False", 30_000, "Accepted=False");
    const c = await accepted("foreign-secret");
    assert.match(c?.message ?? "", /ref to Secret tenant-b\/pull not permitted by any ReferenceGrant/);
    assert.equal((await send("foreign-secret")).status, 500);
  });

  it("serves the module over HTTPS on the Service's port 18002 only to a client certificate of the control plane's CA", async () => {
    const pods = await cluster.kubectlJson<{ items: { metadata: { name: string } }[] }>(["get", "pods", "-n", NS]);
    const envoyPod = pods.items.find((p) => p.metadata.name.startsWith(`${proxy}-`))?.metadata.name;
    const dump = await podFetch(kubelet, `${NS}/${envoyPod}`, `http://127.0.0.1:${ENVOY_ADMIN_PORT}/config_dump`);
    const escaped = WASM_HOST.replace(/\./g, "\\.");
    const servingUrl = new RegExp(`https://${escaped}:18002/[A-Za-z0-9_-]+\\.wasm`).exec(dump)?.[0];
    assert.ok(servingUrl, "Envoy's Wasm filter fetches from the envoy-gateway Service over HTTPS");
    const svc = await cluster.kubectlJson<{ spec: { clusterIP: string } }>(["get", "svc", "envoy-gateway", "-n", NS]);
    const ca = await secretData("envoy-gateway", "ca.crt");
    const client = {
      cert: await secretData(`${proxy}-xds`, "tls.crt"),
      key: await secretData(`${proxy}-xds`, "tls.key"),
    };
    const path = new URL(servingUrl).pathname;
    const at = { address: svc.spec.clusterIP, path };
    const got = await httpsGet(18002, WASM_HOST, ca, { ...at, client });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(module.bytes), "the module's bytes");
    assert.equal((await httpsGet(18002, WASM_HOST, ca, { ...at, path: "/plugin.wasm", client })).status, 404);
    await assert.rejects(httpsGet(18002, WASM_HOST, ca, at), "no client certificate: no answer");
  });
});
