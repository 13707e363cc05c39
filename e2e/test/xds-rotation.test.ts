/**
 * xDS certificate rotation in Kubernetes, without a restart: the Helm chart installed, a Gateway's Envoy pod
 * serving traffic over mTLS xDS, then `egts certgen --overwrite` (a new CA). The simulated kubelet updates
 * the controller's `envoy-gateway` Secret volume; the controller (same process) re-reads its server
 * certificate and re-issues the proxy's `<proxy>-xds` Secret from the new CA; the kubelet updates the Envoy
 * pod's volume (atomic `..data` swap); the same Envoy process loads the new client certificate over SDS,
 * reconnects with it, and a route change made after the rotation reaches it.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { ENVOY_ADMIN_PORT } from "../../constructs/gateway-proxy";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, httpGet } from "../../test/support/http";
import {
  gatewayAddress,
  hostServiceYaml,
  inPodNetwork,
  podFetch,
  run,
  SimulatedKubelet,
  testKubelet,
  startKubeCluster,
  type KubeCluster,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";
const XDS_PORT = 18000;
/** Gateway `eg`'s HTTP listener port. */
const PORT = 80;

interface SecretObj {
  data?: Record<string, string>;
}
interface PodObj {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { containerStatuses?: { restartCount: number }[] };
}

/** Gateway `eg`, a Service backed by the echo server, and HTTPRoute `app` (optionally adding a header). */
function appYaml(port: number, ip: string, echoPort: number, header?: string): string {
  const filters = header
    ? `\n      filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-rotated, value: "${header}" }] } }]`
    : "";
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: envoy
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
${hostServiceYaml("backend", 3000, ip, echoPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [www.example.com]
  rules:
    - backendRefs: [{ name: backend, port: 3000 }]${filters}
`;
}

/** GET `path` on the Envoy admin of pod `pod` (on the pod's loopback, so from inside its network namespace). */
function envoyAdmin(kubelet: SimulatedKubelet, pod: string, path: string): Promise<string> {
  return podFetch(kubelet, pod, `http://127.0.0.1:${ENVOY_ADMIN_PORT}${path}`);
}

/** Serial numbers of the xDS client certificate and CA the Envoy pod uses now (admin /certs). */
async function envoyCertSerials(kubelet: SimulatedKubelet, pod: string): Promise<{ cert: string; ca: string }> {
  type Entry = { serial_number: string };
  const body = JSON.parse(await envoyAdmin(kubelet, pod, "/certs")) as {
    certificates: { ca_cert?: Entry[]; cert_chain?: Entry[] }[];
  };
  const first = body.certificates.find((c) => (c.cert_chain?.length ?? 0) > 0);
  return { cert: first?.cert_chain?.[0]?.serial_number ?? "", ca: first?.ca_cert?.[0]?.serial_number ?? "" };
}

/** An Envoy admin counter or gauge of the xDS connection. */
async function envoyStat(kubelet: SimulatedKubelet, pod: string, name: string): Promise<number> {
  const m = /: (\d+)/.exec(await envoyAdmin(kubelet, pod, `/stats?filter=^${name.replace(/\./g, "\\.")}$`));
  return m ? Number(m[1]) : Number.NaN;
}

const pem = (s: SecretObj | undefined, key: string): string => Buffer.from(s?.data?.[key] ?? "", "base64").toString();
const serialOf = (certPem: string): string => new X509Certificate(certPem).serialNumber.toLowerCase();

describe("xDS certificate rotation in Kubernetes (certgen --overwrite, kubelet volume updates, no restart)", function () {
  this.timeout(300_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let address: string;
  const proxy = proxyObjectName("default", "eg");
  const secret = (name: string): Promise<SecretObj | undefined> =>
    cluster.kubectlJson<SecretObj>(["get", "secret", name, "-n", NS]).catch(() => undefined);
  const pods = async (): Promise<PodObj[]> =>
    (await cluster.kubectlJson<{ items: PodObj[] }>(["get", "pods", "-n", NS])).items;
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });

  before(async () => {
    cluster = await startKubeCluster();
    echo = await startEchoBackend({ name: "rotation-echo", host: cluster.nodeAddress });
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    await run(
      cluster.tools.helm,
      ["install", "egts", join(REPO, "helm", "egts"), "-n", NS, "--create-namespace"].concat([
        "--wait",
        "--timeout",
        "4m",
      ]),
      { env: cluster.toolEnv(), timeoutMs: 280_000 },
    );
    await apply(appYaml(PORT, cluster.nodeAddress, echo.port));
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    await eventually(
      async () => (await httpGet(PORT, "www.example.com", "/", { address })).status === 200,
      90_000,
      `traffic through the Envoy pod at ${address}:${PORT} over mTLS xDS`,
    );
  });

  after(async () => {
    await kubelet?.stop();
    await echo?.close();
    await cluster?.stop();
  });

  it("re-issues the proxy Secret from the new CA, the same Envoy reloads it over SDS, reconnects, and gets a route change", async () => {
    const started = Date.now();
    const podOf = (prefix: string, all: PodObj[]): PodObj | undefined =>
      all.find((p) => p.metadata.name.startsWith(prefix) && !p.metadata.name.includes("certgen"));
    const before = await pods();
    const controllerPod = `${NS}/${podOf("envoy-gateway-", before)?.metadata.name}`;
    const envoyPod = `${NS}/${podOf(`${proxy}-`, before)?.metadata.name}`;
    const controllerPid = kubelet.pid(controllerPod);
    const envoyPid = kubelet.pid(envoyPod);
    assert.ok(controllerPid && envoyPid, `both pods run (${controllerPod}, ${envoyPod})`);
    const oldCa = pem(await secret("envoy-gateway"), "ca.crt");
    const oldSerials = await envoyCertSerials(kubelet, envoyPod);
    assert.equal(oldSerials.ca, serialOf(oldCa), "Envoy trusts the chart's CA before the rotation");
    const connections = await envoyStat(kubelet, envoyPod, "cluster.xds_cluster.upstream_cx_total");

    // The rotation: a new CA and controller certificate in the envoy-gateway Secret.
    const out = await run(process.execPath, [
      join(REPO, "bin", "egts.js"),
      "certgen",
      "--namespace",
      NS,
      "--kubeconfig",
      cluster.kubeconfig,
      "--overwrite",
    ]);
    assert.match(out.stdout, /replaced/);
    const newCa = new X509Certificate(pem(await secret("envoy-gateway"), "ca.crt"));
    assert.notEqual(newCa.serialNumber.toLowerCase(), oldSerials.ca, "certgen made a new CA");

    // The controller (its Secret volume updated by the kubelet) re-issues the proxy's Secret from the new CA.
    let issued: X509Certificate | undefined;
    await eventually(
      async () => {
        const s = await secret(`${proxy}-xds`);
        const cert = new X509Certificate(pem(s, "tls.crt"));
        issued = cert.checkIssued(newCa) && cert.verify(newCa.publicKey) ? cert : undefined;
        return issued !== undefined && pem(s, "ca.crt") === newCa.toString();
      },
      30_000,
      `Secret ${proxy}-xds re-issued, signed by the new CA`,
      500,
    );
    assert.ok(issued);
    assert.equal(issued.subjectAltName, "URI:spiffe://gateway.envoyproxy.io/node/default/eg");

    // The kubelet swaps the Envoy pod's volume; Envoy loads the new certificate and CA over SDS.
    const newSerials = { cert: issued.serialNumber.toLowerCase(), ca: newCa.serialNumber.toLowerCase() };
    await eventually(
      async () => JSON.stringify(await envoyCertSerials(kubelet, envoyPod)) === JSON.stringify(newSerials),
      20_000,
      "Envoy to load the re-issued client certificate and the new CA over SDS",
      500,
    );

    // Envoy's xDS connection was made with the old certificates and outlives the rotation: drop it (an
    // injected network fault, `ss -K`) so that Envoy must reconnect with the new client certificate to the
    // controller, which must now serve its new certificate and trust only the new CA. The socket is in the
    // Envoy pod's network namespace (to the xDS Service's ClusterIP), so `ss` runs there.
    await inPodNetwork(kubelet, envoyPod, ["ss", "-K", "dport", "=", String(XDS_PORT)]);
    await apply(appYaml(PORT, cluster.nodeAddress, echo.port, "yes"));
    await eventually(
      async () => (await httpGet(PORT, "www.example.com", "/", { address })).headers["x-rotated"] === "yes",
      30_000,
      "the route change made after the rotation reaching the Envoy pod",
      500,
    );
    assert.ok(
      (await envoyStat(kubelet, envoyPod, "cluster.xds_cluster.upstream_cx_total")) > connections,
      "a new xDS connection",
    );
    assert.equal(await envoyStat(kubelet, envoyPod, "control_plane.connected_state"), 1);

    // Nothing was restarted.
    assert.equal(kubelet.pid(controllerPod), controllerPid, "the same controller process");
    assert.equal(kubelet.pid(envoyPod), envoyPid, "the same Envoy process");
    const after = await pods();
    for (const name of [controllerPod, envoyPod]) {
      const p = after.find((x) => `${NS}/${x.metadata.name}` === name);
      assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 0, `${name} restartCount`);
    }
    assert.ok(kubelet.volumeUpdates >= 2, "the kubelet swapped the controller's and the proxy's volumes");
    process.stderr.write(`      rotation to traffic after the route change: ${Date.now() - started} ms\n`);
  });
});
