/**
 * ClientTrafficPolicy http3 in Kubernetes: the proxy's Service exposes the HTTPS port over UDP too (Envoy
 * Gateway's `<port name>-h3`, same port and targetPort), the container declares the UDP port, Envoy's QUIC
 * listener binds the container port (443 → 10443) and alt-svc advertises the Service's port (443).
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { containerBindPorts, renderInfra } from "../../constructs/from-snapshot";
import { proxyObjectName } from "../../constructs/names";
import type { Manifest } from "../../constructs/render";
import { unpack } from "../../proto/any";
import { SocketAddress_Protocol } from "../../proto/gen/envoy/config/core/v3/address";
import { translateAndPublish } from "../../operator/src/pipeline/translate-step";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { ListenerType, RouteType, TypeUrl } from "../../operator/src/xds/types";
import { testdataDir } from "../support/golden";

const INPUT = testdataDir("xds", "client-traffic-policy-http3.in.yaml");
const SNAPSHOT = snapshotFromObjects(parseManifests(INPUT, readFileSync(INPUT, "utf8")).objects);
const RENDER = { image: "envoy:test", xds: { host: "xds.example" }, namespace: "envoy-gateway-system" };

interface Port {
  name: string;
  port?: number;
  targetPort?: number;
  containerPort?: number;
  protocol: string;
}

function objectOf(manifests: readonly Manifest[], kind: string): Manifest {
  const m = manifests.find((o) => o.kind === kind && o.metadata.name === proxyObjectName("default", "gw"));
  assert.ok(m, `${kind} rendered`);
  return m;
}

describe("constructs: ClientTrafficPolicy http3 ports (Service, container, Envoy)", () => {
  const cache = new XdsCache();
  const published = translateAndPublish(SNAPSHOT, cache, {}, containerBindPorts(SNAPSHOT, false));
  const manifests = renderInfra(published.result.infraIr, SNAPSHOT, RENDER);

  it("the Service exposes 443 over TCP and UDP (https-443-h3), both to the container's 10443", () => {
    const ports = (objectOf(manifests, "Service") as Manifest & { spec: { ports: Port[] } }).spec.ports;
    assert.deepEqual(
      ports.map((p) => [p.name, p.protocol, p.port, p.targetPort]),
      [
        ["http-80", "TCP", 80, 10080],
        ["https-443", "TCP", 443, 10443],
        ["https-443-h3", "UDP", 443, 10443],
      ],
    );
  });

  it("the container declares the UDP port", () => {
    const spec = (
      objectOf(manifests, "Deployment") as Manifest & {
        spec: { template: { spec: { containers: { ports: Port[] }[] } } };
      }
    ).spec;
    const ports = spec.template.spec.containers[0].ports.map((p) => `${p.protocol}/${p.containerPort}`);
    assert.ok(ports.includes("UDP/10443") && ports.includes("TCP/10443"), ports.join(", "));
  });

  it("the QUIC listener binds UDP 10443 and alt-svc advertises 443", () => {
    const listeners = cache.getNode("default/gw")?.resources.get(TypeUrl.Listener);
    const [quicName, quic] = [...(listeners?.entries() ?? [])].find(([name]) => name.endsWith("-quic")) ?? [];
    assert.ok(quicName && quic, "QUIC listener published");
    const address = unpack(ListenerType, quic.value).address?.socketAddress;
    assert.equal(address?.portValue, 10443);
    assert.equal(address?.protocol, SocketAddress_Protocol.UDP);
    const route = cache
      .getNode("default/gw")
      ?.resources.get(TypeUrl.Route)
      ?.get(quicName.replace(/-quic$/, ""));
    assert.ok(route, "route configuration published");
    const headers = unpack(RouteType, route.value).virtualHosts[0].routes[0].responseHeadersToAdd;
    assert.deepEqual(
      headers.map((h) => h.header?.value),
      ['h3=":443"; ma=86400'],
    );
  });
});
