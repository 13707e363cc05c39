/**
 * Listener ports the proxy pods bind themselves (Envoy's admin 19000, the stats listener 19001, the readiness
 * listener 19003): a Gateway listener there would make Envoy fail to bind it and reject the listener update,
 * so the controller's translation marks it Accepted=False PortUnavailable and leaves it out of the IR.
 */
import * as assert from "node:assert/strict";
import { PROXY_RESERVED_PORTS } from "../../constructs/gateway-proxy";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { conditionOf, GATEWAY_CLASS_OBJECT, gatewayObject } from "../support/objects";

const objects = [
  GATEWAY_CLASS_OBJECT,
  gatewayObject([
    { name: "stats", protocol: "HTTP", port: 19001 },
    { name: "ready", protocol: "TCP", port: 19003 },
    { name: "admin", protocol: "HTTP", port: 19000 },
    { name: "udp", protocol: "UDP", port: 19001 },
    { name: "web", protocol: "HTTP", port: 8080 },
  ]),
];

function listeners(reserved?: ReadonlyMap<number, string>): { status: unknown; ports: number[] } {
  const result = translate(snapshotFromObjects(objects), reserved ? { reservedPorts: reserved } : {});
  const status = result.statuses.find((s) => s.kind === "Gateway")?.status;
  const ir = result.xdsIr[0];
  const ports = [...(ir?.http ?? []), ...(ir?.tcp ?? []), ...(ir?.udp ?? [])].map((l) => l.port).sort();
  return { status, ports };
}

const NAMES = ["stats", "ready", "admin", "udp", "web"];

describe("listener ports the proxy pods reserve (admin, stats, readiness)", () => {
  it("are PortUnavailable for TCP listeners in the controller's translation, named in the message", () => {
    const { status, ports } = listeners(PROXY_RESERVED_PORTS);
    for (const [name, port, what] of [
      ["stats", 19001, /stats listener/],
      ["ready", 19003, /readiness listener/],
      ["admin", 19000, /admin interface/],
    ] as const) {
      const c = conditionOf(status, "Accepted", name);
      assert.deepEqual([c?.status, c?.reason], ["False", "PortUnavailable"], name);
      assert.match(c?.message ?? "", new RegExp(`port ${port} is reserved for`));
      assert.match(c?.message ?? "", what);
    }
    assert.equal(conditionOf(status, "Accepted", "udp")?.status, "True", "UDP does not clash");
    assert.equal(conditionOf(status, "Accepted", "web")?.status, "True");
    assert.deepEqual(ports, [19001, 8080].sort(), "only the UDP and web listeners reach the IR");
  });

  it("are ordinary ports where nothing reserves them (standalone)", () => {
    const { status } = listeners();
    assert.ok(NAMES.every((name) => conditionOf(status, "Accepted", name)?.status === "True"));
  });
});
