/** From a snapshot to the proxies to render: which EnvoyProxy applies, and the Gateway's infrastructure. */
import * as assert from "node:assert/strict";
import { proxiesToRender } from "../../constructs/from-snapshot";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const CLASS = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "eg" },
  spec: {
    controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
    parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "class-proxy", namespace: "system" },
  },
};

function envoyProxy(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyProxy",
    metadata: { name, namespace },
    spec: { provider: { type: "Kubernetes", kubernetes: { envoyDeployment: { replicas } } } },
  };
}

function gateway(name: string, infrastructure?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "default" },
    spec: {
      gatewayClassName: "eg",
      listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
      ...(infrastructure ? { infrastructure } : {}),
    },
  };
}

function proxies(objects: KubeObject[]): ReturnType<typeof proxiesToRender> {
  const snapshot = snapshotFromObjects(objects);
  return proxiesToRender(translate(snapshot).infraIr, snapshot);
}

describe("constructs: proxies from a snapshot", () => {
  it("takes the GatewayClass's EnvoyProxy unless the Gateway names its own", () => {
    const ref = { parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "own" } };
    const out = proxies([
      CLASS,
      envoyProxy("system", "class-proxy", 2),
      envoyProxy("default", "own", 3),
      gateway("a"),
      gateway("b", ref),
    ]);
    const replicas = (name: string): unknown =>
      out.find((p) => p.gatewayName === name)?.envoyProxy?.provider?.kubernetes?.envoyDeployment?.replicas;
    assert.equal(replicas("a"), 2);
    assert.equal(replicas("b"), 3);
  });

  it("renders no proxy for a class whose EnvoyProxy does not exist (the class is InvalidParameters)", () => {
    assert.deepEqual(proxies([CLASS, gateway("a")]), []);
    const [proxy] = proxies([CLASS, envoyProxy("system", "class-proxy", 2), gateway("a")]);
    assert.equal(proxy?.envoyProxy?.provider?.kubernetes?.envoyDeployment?.replicas, 2);
  });

  it("passes the Gateway's spec.infrastructure labels and annotations to the objects", () => {
    const classProxy = envoyProxy("system", "class-proxy", 1);
    const labelled = gateway("a", { labels: { team: "a" }, annotations: { note: "x" } });
    const [proxy] = proxies([CLASS, classProxy, labelled]);
    assert.deepEqual(proxy?.infrastructure, { labels: { team: "a" }, annotations: { note: "x" } });
    const [plain] = proxies([CLASS, classProxy, gateway("a")]);
    assert.equal(plain?.infrastructure, undefined);
  });
});
