/**
 * ListenerSet against real Envoy: a ListenerSet adds a listener on its own port to a Gateway that allows
 * it; a route attached to that listener (parentRef kind ListenerSet) serves traffic there and only there,
 * and a ListenerSet the Gateway does not allow binds nothing.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface Ports {
  readonly gw: number;
  readonly set: number;
  readonly refused: number;
}

function configYaml(p: Ports): string {
  return `${gatewayWithListenersYaml(
    `    - { name: http, protocol: HTTP, port: ${p.gw} }`,
    `  allowedListeners: { namespaces: { from: Same } }\n`,
  )}---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: extra, namespace: default }
spec:
  parentRef: { name: eg }
  listeners:
    - { name: http, protocol: HTTP, port: ${p.set}, hostname: set.example.com }
---
apiVersion: v1
kind: Namespace
metadata: { name: elsewhere }
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: refused, namespace: elsewhere }
spec:
  parentRef: { name: eg, namespace: default }
  listeners:
    - { name: http, protocol: HTTP, port: ${p.refused} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-set, namespace: default }
spec:
  parentRefs: [{ group: gateway.networking.k8s.io, kind: ListenerSet, name: extra, sectionName: http }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: set-backend }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-gateway, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [gw.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: gw-backend }] }]
`;
}

interface Conditions {
  conditions: { type: string; status: string; reason: string }[];
  listeners?: { name: string; attachedRoutes: number }[];
  attachedListenerSets?: number;
}

describe("ListenerSet (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let ports: Ports;
  let setBackend: EchoBackend;
  let gwBackend: EchoBackend;

  before(async () => {
    setBackend = await startEchoBackend({ name: "set-backend" });
    gwBackend = await startEchoBackend({ name: "gw-backend" });
    ports = { gw: await freePort(), set: await freePort(), refused: await freePort() };
    t = await startTestGateway({
      "config.yaml": configYaml(ports),
      "backends.yaml": `${backendYaml("set-backend", setBackend.port)}---\n${backendYaml("gw-backend", gwBackend.port)}`,
    });
    await eventually(
      async () => (await httpGet(ports.set, "set.example.com")).status === 200,
      20_000,
      "the ListenerSet listener to serve its route",
    );
  });

  after(async () => {
    await t?.close();
    await setBackend?.close();
    await gwBackend?.close();
  });

  it("serves the route attached to the ListenerSet listener on the ListenerSet's port", async () => {
    const r = await httpGet(ports.set, "set.example.com", "/hello");
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body) as EchoResponse;
    assert.deepEqual([body.backend, body.path, body.host], ["set-backend", "/hello", "set.example.com"]);
  });

  it("keeps routes apart: the Gateway's route is not served on the ListenerSet port, nor the other way", async () => {
    assert.equal((await httpGet(ports.gw, "gw.example.com")).status, 200);
    assert.equal((await httpGet(ports.set, "gw.example.com")).status, 404);
    assert.equal((await httpGet(ports.gw, "set.example.com")).status, 404);
  });

  it("binds nothing for a ListenerSet the Gateway does not allow, and says so in the statuses", async () => {
    assert.equal((await httpGet(ports.refused, "any.example.com")).status, 0, "nothing listens on its port");
    const refused = t.gw.statuses.get("ListenerSet", "elsewhere", "refused")?.status as Conditions;
    const accepted = refused.conditions.find((c) => c.type === "Accepted");
    assert.deepEqual([accepted?.status, accepted?.reason], ["False", "NotAllowed"]);
    const extra = t.gw.statuses.get("ListenerSet", "default", "extra")?.status as Conditions;
    assert.deepEqual(
      extra.conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ["Accepted", "True", "Accepted"],
        ["Programmed", "True", "Programmed"],
      ],
    );
    assert.deepEqual(
      extra.listeners?.map((l) => [l.name, l.attachedRoutes]),
      [["http", 1]],
    );
    const gw = t.gw.statuses.get("Gateway", "default", "eg")?.status as Conditions;
    assert.equal(gw.attachedListenerSets, 1);
  });
});
