/**
 * EnvoyProxy `mergeGateways`: every Gateway of the class renders to one set of proxy objects, named and
 * labelled after the GatewayClass, exposing the union of the Gateways' ports and carrying the union of their
 * infrastructure labels and annotations, whose bootstrap asks for the class's xDS node (the one the
 * translator publishes).
 */
import * as assert from "node:assert/strict";
import { renderInfra } from "../../constructs/from-snapshot";
import { mergedProxyObjectName, OWNING_GATEWAY_CLASS, OWNING_GATEWAY_NAME } from "../../constructs/names";
import { proxyObjectNamesByGateway, type Manifest } from "../../constructs/render";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const CLASS = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "eg", uid: "class-uid" },
  spec: {
    controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
    parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "merged", namespace: "system" },
  },
};

const ENVOY_PROXY = {
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "EnvoyProxy",
  metadata: { name: "merged", namespace: "system" },
  spec: { mergeGateways: true, provider: { type: "Kubernetes", kubernetes: { envoyDeployment: { replicas: 2 } } } },
};

function gateway(namespace: string, name: string, listeners: Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace },
    spec: { gatewayClassName: "eg", listeners },
  };
}

const GATEWAYS = [
  gateway("default", "a", [{ name: "http", protocol: "HTTP", port: 80, hostname: "a.example.com" }]),
  gateway("team", "b", [
    { name: "http", protocol: "HTTP", port: 80, hostname: "b.example.com" },
    { name: "tcp", protocol: "TCP", port: 5432 },
    { name: "dns", protocol: "UDP", port: 53 },
  ]),
];

const RENDER = { image: "envoy:test", xds: { host: "xds.example" }, namespace: "envoy-gateway-system" };

function render(snapshot: ResourceSnapshot): Manifest[] {
  return renderInfra(translate(snapshot).infraIr, snapshot, RENDER);
}

function only(manifests: readonly Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}: ${found.map((m) => m.metadata.name).join(", ")}`);
  return found[0];
}

describe("constructs: merged Gateways (EnvoyProxy mergeGateways)", () => {
  const snapshot = snapshotFromObjects([CLASS, ENVOY_PROXY, ...GATEWAYS]);
  const manifests = render(snapshot);
  const name = mergedProxyObjectName("eg");

  it("renders one Deployment and one Service for the class, labelled and owned by it", () => {
    const deployment = only(manifests, "Deployment");
    const service = only(manifests, "Service");
    for (const m of [deployment, service]) {
      assert.equal(m.metadata.name, name);
      assert.equal(m.metadata.labels?.[OWNING_GATEWAY_CLASS], "eg");
      assert.equal(m.metadata.labels?.[OWNING_GATEWAY_NAME], undefined);
      const owners = (m.metadata as { ownerReferences?: { kind: string; name: string }[] }).ownerReferences;
      assert.deepEqual(
        owners?.map((o) => [o.kind, o.name]),
        [["GatewayClass", "eg"]],
      );
    }
    const spec = deployment.spec as { replicas: number; selector: { matchLabels: Record<string, string> } };
    assert.equal(spec.replicas, 2, "the class's EnvoyProxy applies");
    assert.equal(spec.selector.matchLabels[OWNING_GATEWAY_CLASS], "eg");
    assert.deepEqual((service.spec as { selector: unknown }).selector, spec.selector.matchLabels);
  });

  it("exposes the union of the Gateways' ports, a shared port once", () => {
    const ports = (only(manifests, "Service").spec as { ports: { port: number; protocol: string }[] }).ports;
    assert.deepEqual(
      ports.map((p) => `${p.protocol}/${p.port}`),
      ["UDP/53", "TCP/80", "TCP/5432"],
    );
  });

  it("bootstraps Envoy with the node id the translator publishes the class's config under", () => {
    const result = translate(snapshot);
    assert.deepEqual(
      result.xdsIr.map((ir) => ir.name),
      ["eg"],
    );
    const data = (only(manifests, "ConfigMap") as { data?: Record<string, string> }).data ?? {};
    const bootstrap = JSON.parse(data["envoy.json"] ?? "{}") as { node?: { id?: string } };
    assert.equal(bootstrap.node?.id, "eg");
  });

  it("maps every Gateway of the class to the merged objects (the controller reads their Service)", () => {
    const names = proxyObjectNamesByGateway(translate(snapshot).infraIr);
    assert.deepEqual(
      [...names.entries()],
      [
        ["default/a", name],
        ["team/b", name],
      ],
    );
  });

  it("puts the union of the Gateways' infrastructure labels and annotations on every object, the older Gateway's value winning", () => {
    const withInfra = (gw: KubeObject, created: string, infrastructure: Record<string, unknown>): KubeObject => {
      const g = gw as KubeObject & { spec: Record<string, unknown> };
      return { ...g, metadata: { ...g.metadata, creationTimestamp: created }, spec: { ...g.spec, infrastructure } };
    };
    const [a, b] = GATEWAYS;
    const out = render(
      snapshotFromObjects([
        CLASS,
        ENVOY_PROXY,
        // b is older than a, although a sorts first by name
        withInfra(a, "2026-01-02T00:00:00Z", {
          labels: { "cost-center": "from-a", tier: "edge", [OWNING_GATEWAY_CLASS]: "not-ours" },
          annotations: { "example.com/contact": "team-a" },
        }),
        withInfra(b, "2026-01-01T00:00:00Z", { labels: { "cost-center": "from-b", owner: "team-b" } }),
      ]),
    );
    const deployment = only(out, "Deployment");
    for (const m of [deployment, only(out, "Service"), only(out, "ServiceAccount"), only(out, "ConfigMap")]) {
      const labels = m.metadata.labels ?? {};
      assert.deepEqual(
        [labels["cost-center"], labels.tier, labels.owner, labels[OWNING_GATEWAY_CLASS]],
        ["from-b", "edge", "team-b", "eg"],
        `${m.kind} labels`,
      );
      assert.equal(m.metadata.annotations?.["example.com/contact"], "team-a", `${m.kind} annotations`);
    }
    const pod = (deployment.spec as { template: { metadata: Manifest["metadata"] } }).template.metadata;
    assert.equal(pod.labels?.owner, "team-b");
    assert.equal(pod.labels?.[OWNING_GATEWAY_CLASS], "eg");
    assert.equal(pod.annotations?.["example.com/contact"], "team-a");
  });

  it("keeps one proxy per Gateway without mergeGateways", () => {
    const plain = { ...ENVOY_PROXY, spec: { ...ENVOY_PROXY.spec, mergeGateways: false } };
    const out = render(snapshotFromObjects([CLASS, plain, ...GATEWAYS]));
    const deployments = out.filter((m) => m.kind === "Deployment");
    assert.equal(deployments.length, 2);
    for (const d of deployments) assert.equal(d.metadata.labels?.[OWNING_GATEWAY_CLASS], undefined);
  });
});
