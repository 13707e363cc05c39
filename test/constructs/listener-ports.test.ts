/**
 * Container ports and Envoy's bind ports agree: by default a listener port below 1024 is bound as port +
 * 10000 in the container (the Service still exposes the listener's port); an EnvoyProxy with
 * `useListenerPortAsContainerPort` keeps the listener's own port, in the rendered objects and in the xDS
 * listeners the controller publishes for that Gateway's node alike.
 */
import * as assert from "node:assert/strict";
import { containerBindPorts, renderInfra } from "../../constructs/from-snapshot";
import { proxyObjectName } from "../../constructs/names";
import type { Manifest } from "../../constructs/render";
import { unpack } from "../../proto/any";
import { translateAndPublish } from "../../operator/src/pipeline/translate-step";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { ListenerType, TypeUrl } from "../../operator/src/xds/types";

const CLASS = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "eg" },
  spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
};

const DIRECT = {
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "EnvoyProxy",
  metadata: { name: "direct", namespace: "default" },
  spec: { provider: { type: "Kubernetes", kubernetes: { useListenerPortAsContainerPort: true } } },
};

function gateway(name: string, infrastructure?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "default" },
    spec: {
      gatewayClassName: "eg",
      ...(infrastructure ? { infrastructure } : {}),
      listeners: [
        { name: "http", protocol: "HTTP", port: 80 },
        { name: "alt", protocol: "HTTP", port: 8080, hostname: "alt.example.com" },
      ],
    },
  };
}

const SNAPSHOT = snapshotFromObjects([
  CLASS,
  DIRECT,
  gateway("shifted"),
  gateway("direct", { parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "direct" } }),
]);

const RENDER = { image: "envoy:test", xds: { host: "xds.example" }, namespace: "envoy-gateway-system" };

interface ServiceSpec {
  ports: { port: number; targetPort: number }[];
}
interface DeploymentSpec {
  template: { spec: { containers: { ports?: { containerPort: number }[] }[] } };
}

/** Service port → targetPort, and the container ports, of one Gateway's proxy. */
function rendered(manifests: readonly Manifest[], gatewayName: string): { service: number[][]; container: number[] } {
  const name = proxyObjectName("default", gatewayName);
  const svc = manifests.find((m) => m.kind === "Service" && m.metadata.name === name) as Manifest & {
    spec: ServiceSpec;
  };
  const deploy = manifests.find((m) => m.kind === "Deployment" && m.metadata.name === name) as Manifest & {
    spec: DeploymentSpec;
  };
  return {
    service: svc.spec.ports.map((p) => [p.port, p.targetPort]),
    container: (deploy.spec.template.spec.containers[0].ports ?? []).map((p) => p.containerPort),
  };
}

/** The ports the node's xDS listeners bind, sorted. */
function boundPorts(cache: XdsCache, node: string): number[] {
  const listeners = cache.getNode(node)?.resources.get(TypeUrl.Listener);
  assert.ok(listeners, `node ${node} has listeners`);
  return [...listeners.values()]
    .map((r) => unpack(ListenerType, r.value).address?.socketAddress?.portValue ?? -1)
    .sort((a, b) => a - b);
}

describe("constructs: listener ports in the container and in Envoy's listeners", () => {
  const manifests = renderInfra(translateAndPublish(SNAPSHOT, new XdsCache(), {}).result.infraIr, SNAPSHOT, RENDER);

  it("shifts privileged ports by 10000 by default, in the Service's targetPort and the container", () => {
    assert.deepEqual(rendered(manifests, "shifted"), {
      service: [
        [80, 10080],
        [8080, 8080],
      ],
      container: [10080, 8080, 19001, 19003], // and the stats and readiness ports
    });
  });

  it("keeps the listener's port with an EnvoyProxy's useListenerPortAsContainerPort", () => {
    assert.deepEqual(rendered(manifests, "direct"), {
      service: [
        [80, 80],
        [8080, 8080],
      ],
      container: [80, 8080, 19001, 19003],
    });
  });

  it("binds Envoy's listeners where the containers expose them, per node", () => {
    const cache = new XdsCache();
    translateAndPublish(SNAPSHOT, cache, {}, containerBindPorts(SNAPSHOT, false));
    assert.deepEqual(boundPorts(cache, "default/shifted"), [8080, 10080]);
    assert.deepEqual(boundPorts(cache, "default/direct"), [80, 8080]);
  });

  it("keeps every listener's port when the controller says so for all proxies", () => {
    const cache = new XdsCache();
    translateAndPublish(SNAPSHOT, cache, {}, containerBindPorts(SNAPSHOT, true));
    assert.deepEqual(boundPorts(cache, "default/shifted"), [80, 8080]);
    assert.deepEqual(
      rendered(
        renderInfra(translateAndPublish(SNAPSHOT, cache, {}).result.infraIr, SNAPSHOT, {
          ...RENDER,
          useListenerPortAsContainerPort: true,
        }),
        "shifted",
      ).container,
      [80, 8080, 19001, 19003],
    );
  });
});
