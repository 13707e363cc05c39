/**
 * Listener ports the proxy pods bind themselves (Envoy's admin 19000, the stats listener 19001, the readiness
 * listener 19003): a Gateway listener there would make Envoy fail to bind it and reject the listener update,
 * so the controller's translation marks it Accepted=False PortUnavailable and leaves it out of the IR.
 */
import * as assert from "node:assert/strict";
import { PROXY_RESERVED_PORTS } from "../../constructs/gateway-proxy";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

const objects = [
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "eg" },
    spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "eg", namespace: "default" },
    spec: {
      gatewayClassName: "eg",
      listeners: [
        { name: "stats", protocol: "HTTP", port: 19001 },
        { name: "ready", protocol: "TCP", port: 19003 },
        { name: "admin", protocol: "HTTP", port: 19000 },
        { name: "udp", protocol: "UDP", port: 19001 },
        { name: "web", protocol: "HTTP", port: 8080 },
      ],
    },
  },
] as KubeObject[];

interface ListenerStatus {
  name: string;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

function listeners(reserved?: ReadonlyMap<number, string>): { statuses: ListenerStatus[]; ports: number[] } {
  const result = translate(snapshotFromObjects(objects), reserved ? { reservedPorts: reserved } : {});
  const gw = result.statuses.find((s) => s.kind === "Gateway");
  const statuses = (gw?.status as { listeners: ListenerStatus[] }).listeners;
  const ir = result.xdsIr[0];
  const ports = [...(ir?.http ?? []), ...(ir?.tcp ?? []), ...(ir?.udp ?? [])].map((l) => l.port).sort();
  return { statuses, ports };
}

const accepted = (l: ListenerStatus | undefined): ListenerStatus["conditions"][number] | undefined =>
  l?.conditions.find((c) => c.type === "Accepted");

describe("listener ports the proxy pods reserve (admin, stats, readiness)", () => {
  it("are PortUnavailable for TCP listeners in the controller's translation, named in the message", () => {
    const { statuses, ports } = listeners(PROXY_RESERVED_PORTS);
    for (const [name, port, what] of [
      ["stats", 19001, /stats listener/],
      ["ready", 19003, /readiness listener/],
      ["admin", 19000, /admin interface/],
    ] as const) {
      const c = accepted(statuses.find((l) => l.name === name));
      assert.deepEqual([c?.status, c?.reason], ["False", "PortUnavailable"], name);
      assert.match(c?.message ?? "", new RegExp(`port ${port} is reserved for`));
      assert.match(c?.message ?? "", what);
    }
    assert.equal(accepted(statuses.find((l) => l.name === "udp"))?.status, "True", "UDP does not clash");
    assert.equal(accepted(statuses.find((l) => l.name === "web"))?.status, "True");
    assert.deepEqual(ports, [19001, 8080].sort(), "only the UDP and web listeners reach the IR");
  });

  it("are ordinary ports where nothing reserves them (standalone)", () => {
    const { statuses } = listeners();
    assert.ok(statuses.every((l) => accepted(l)?.status === "True"));
  });
});
