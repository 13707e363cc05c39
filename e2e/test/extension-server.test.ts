/**
 * The extension server in the Kubernetes controller (EnvoyGateway `extensionManager`), against a real API server,
 * the Envoy pod run by the simulated kubelet and a real gRPC extension server on this host
 * (test/support/extension-server.ts) reached over TLS, its CA read from a Secret of the controller's namespace
 * through the API server: objects of an extension-owned CRD (discovered and watched through the API server) are
 * an HTTPRoute's ExtensionRef filter and, for a policy kind (`policyResources`), target the route; the Route hook
 * changes the route on the wire (two response headers); the policies get their status on the API server as Envoy
 * Gateway v1.9.1 writes it (Accepted under the route's Gateway; TargetNotFound for a rule that does not exist),
 * written once (the policy's resourceVersion stays while nothing changes); a failing server without failOpen keeps
 * the last good configuration (a route added meanwhile is not served, the changed route still is) until it answers
 * again.
 */
import assert from "node:assert/strict";
import { parseEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Controller } from "../../operator/src/pipeline/controller";
import { startExtensionServer, type TestExtensionServer } from "../../test/support/extension-server";
import { eventually, freePort, httpGet, type HttpResult } from "../../test/support/http";
import { httpRouteYaml } from "../../test/support/manifests";
import { makeCa } from "../../test/support/pki";
import {
  echoRouteYaml,
  gatewayAddress,
  prepareCluster,
  quickstartYaml,
  startKubeCluster,
  startTestController,
  testKubelet,
  type KubeCluster,
  type SimulatedKubelet,
} from "../harness";

const NS = "envoy-gateway-system";

/** The parts of a policy object the test reads. */
interface PolicyObject {
  readonly metadata: { readonly resourceVersion: string };
  readonly status?: {
    readonly ancestors?: readonly {
      readonly ancestorRef: Record<string, string>;
      readonly controllerName: string;
      readonly conditions: readonly {
        type: string;
        status: string;
        reason: string;
        message: string;
        lastTransitionTime?: string;
      }[];
    }[];
  };
}
const PORT = 80;
const GROUP = "example.extensions.io";

/** A namespaced CRD of `GROUP` whose spec (and status, a subresource unless `status` is false) is kept as written. */
const crdYaml = (kind: string, plural: string, status = true): string => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${plural}.${GROUP} }
spec:
  group: ${GROUP}
  scope: Namespaced
  names: { kind: ${kind}, plural: ${plural}, singular: ${kind.toLowerCase()}, listKind: ${kind}List }
  versions:
    - name: v1alpha1
      served: true
      storage: true
${status ? "      subresources: { status: {} }\n" : ""}      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
            status: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

const EXTENSION_OBJECTS = `apiVersion: ${GROUP}/v1alpha1
kind: HeaderTag
metadata: { name: tag-k8s, namespace: default }
spec: { note: from the API server }
---
apiVersion: ${GROUP}/v1alpha1
kind: RoutePolicy
metadata: { name: rp-k8s, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ext }]
---
apiVersion: ${GROUP}/v1alpha1
kind: RoutePolicy
metadata: { name: rp-no-rule, namespace: default }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: HTTPRoute, name: ext, sectionName: nope }
---
${httpRouteYaml(
  "ext",
  "ext.example.com",
  `    - filters: [{ type: ExtensionRef, extensionRef: { group: ${GROUP}, kind: HeaderTag, name: tag-k8s } }]
      backendRefs: [{ name: echo, port: 80 }]`,
)}`;

describe("controller: extension server hooks (Kubernetes tier, real Envoy, TLS to the extension server)", function () {
  this.timeout(150_000);
  let cluster: KubeCluster;
  let controller: Controller;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let ext: TestExtensionServer;
  let address: string;
  const get = (host: string): Promise<HttpResult> => httpGet(PORT, host, "/", { address });
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    await apply(`${crdYaml("HeaderTag", "headertags", false)}---\n${crdYaml("RoutePolicy", "routepolicies")}`);
    await cluster.kubectl(["wait", "--for=condition=Established", "--timeout=30s", `crd/headertags.${GROUP}`]);
    await cluster.kubectl(["wait", "--for=condition=Established", "--timeout=30s", `crd/routepolicies.${GROUP}`]);
    const ca = makeCa("egts extension e2e CA");
    const extPort = await freePort();
    ext = await startExtensionServer({ address: `127.0.0.1:${extPort}`, tls: ca.issue("localhost") });
    // The CA that signs the server's certificate, in the controller's namespace (service.tls.certificateRef).
    await cluster.kubectl(["create", "secret", "generic", "ext-ca", "-n", NS, `--from-literal=tls.crt=${ca.cert}`]);
    const config = parseEnvoyGatewayConfig(
      "eg.yaml",
      `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionManager:
  resources: [{ group: ${GROUP}, version: v1alpha1, kind: HeaderTag }]
  policyResources: [{ group: ${GROUP}, version: v1alpha1, kind: RoutePolicy }]
  hooks: { xdsTranslator: { post: [Route] } }
  service:
    fqdn: { hostname: localhost, port: ${extPort} }
    tls: { certificateRef: { name: ext-ca } }
  failOpen: false
`,
    );
    echo = await startEchoBackend({ name: "k8s-echo", host: cluster.nodeAddress });
    controller = await startTestController(cluster, NS, {
      ...(config.extensionManagers ? { extensionManagers: config.extensionManagers } : {}),
      extensionTimings: { timeoutMs: 3000, retryMs: 500 },
    });
    kubelet = testKubelet(cluster, [NS]);
    await apply(`${quickstartYaml(PORT, cluster.nodeAddress, echo.port)}---\n${EXTENSION_OBJECTS}`);
    kubelet.start();
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
  });

  after(async () => {
    await kubelet?.stop();
    await controller?.stop();
    await ext?.close();
    await echo?.close();
    await cluster?.stop();
  });

  it("the Route hook changes the route on the wire, with the extension object and policy read through the API server", async () => {
    await eventually(
      async () => (await get("ext.example.com")).headers["x-extension-route"] === "tag-k8s",
      90_000,
      `the Route hook's header through the Envoy pod at ${address}:${PORT}`,
    );
    const r = await get("ext.example.com");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers["x-extension-policy"], "rp-k8s", "the policy targeting the route reached the hook");
    const tag = ext
      .routeObjects()
      .flat()
      .find((o) => o.kind === "HeaderTag");
    assert.deepEqual(tag?.spec, { note: "from the API server" });
    const plain = await get("www.example.com");
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["x-extension-route"], undefined, "a route without extension objects is not sent");
  });

  /** A RoutePolicy as the API server has it. */
  const policy = async (name: string): Promise<PolicyObject> =>
    JSON.parse(
      await cluster.kubectl(["get", `routepolicies.${GROUP}`, name, "-n", "default", "-o", "json"]),
    ) as PolicyObject;

  it("the policies' status is written on the API server as Envoy Gateway writes it, and only when it changes", async () => {
    const gateway = { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "default", name: "eg" };
    // Discovery: the status writer patches the kinds with a status subresource (HeaderTag's CRD has none).
    assert.deepEqual(
      controller.extensions.statusKinds.map((k) => k.kind),
      ["RoutePolicy"],
    );
    await eventually(
      async () => ((await policy("rp-k8s")).status?.ancestors?.length ?? 0) > 0,
      30_000,
      "rp-k8s status",
    );
    const accepted = (await policy("rp-k8s")).status?.ancestors ?? [];
    assert.equal(accepted.length, 1, JSON.stringify(accepted));
    assert.deepEqual(accepted[0].ancestorRef, gateway);
    assert.equal(accepted[0].controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
    const ok = accepted[0].conditions.find((c) => c.type === "Accepted");
    assert.equal(ok?.status, "True");
    assert.equal(ok?.message, "Policy has been accepted.");
    assert.ok(ok?.lastTransitionTime, "lastTransitionTime set");
    await eventually(
      async () => ((await policy("rp-no-rule")).status?.ancestors?.length ?? 0) > 0,
      30_000,
      "rp-no-rule",
    );
    const missing = (await policy("rp-no-rule")).status?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(missing?.status, "False");
    assert.equal(missing?.reason, "TargetNotFound");
    assert.equal(missing?.message, "No section name nope found for HTTPRoute default/ext");
    // Only on change: another route (a new translation pass) leaves the policy's status, so its resourceVersion.
    const before = (await policy("rp-k8s")).metadata.resourceVersion;
    const passes = controller.statusWriter.stats.unchanged;
    await apply(echoRouteYaml("status-probe", "status-probe.example.com"));
    await eventually(async () => (await get("status-probe.example.com")).status === 200, 30_000, "status-probe route");
    assert.ok(controller.statusWriter.stats.unchanged > passes, "later passes compared statuses");
    assert.equal((await policy("rp-k8s")).metadata.resourceVersion, before, "no write of an unchanged status");
  });

  it("a failing server (failOpen false) keeps the last good configuration, then the hooks apply again", async () => {
    ext.failing = true;
    const kept = controller.extensions.stats?.keptLastGood ?? 0;
    await apply(echoRouteYaml("later", "later.example.com"));
    await eventually(
      async () => (controller.extensions.stats?.keptLastGood ?? 0) > kept,
      20_000,
      "a hook run failing without failOpen",
    );
    assert.equal((await get("later.example.com")).status, 404, "the route added meanwhile is not served");
    assert.equal((await get("ext.example.com")).headers["x-extension-route"], "tag-k8s", "the last good one serves");
    ext.failing = false;
    await eventually(async () => (await get("later.example.com")).status === 200, 30_000, "later.example.com");
    assert.equal((await get("ext.example.com")).headers["x-extension-route"], "tag-k8s");
  });
});
