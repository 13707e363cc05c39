/**
 * EnvoyProxy `ipFamily` in the Kubernetes render, as Envoy Gateway: the Service asks for IPv6 single-stack or
 * RequireDualStack IPv4+IPv6 (IPv4 leaves Kubernetes' default), and the bootstrap's readiness and stats listeners
 * bind `::` with ipv4_compat, admin `::1` for IPv6.
 */
import assert from "node:assert/strict";
import { renderProxies, type Manifest } from "../../constructs/render";
import type { EnvoyProxySpec } from "../../operator/src/resources/envoy-proxy";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function render(ipFamily?: EnvoyProxySpec["ipFamily"]): { service: Loose; bootstrap: Loose } {
  const out: readonly Manifest[] = renderProxies(
    [
      {
        name: "default/eg",
        namespace: "default",
        gatewayName: "eg",
        ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
        ...(ipFamily ? { envoyProxy: { ipFamily } } : {}),
      },
    ],
    { image: "envoyproxy/envoy:distroless-v1.37.0", xds: { host: "envoy-gateway" } },
  );
  const cm = out.find((m) => m.kind === "ConfigMap") as Loose;
  return { service: out.find((m) => m.kind === "Service"), bootstrap: JSON.parse(cm.data["envoy.json"]) };
}

const socketOf = (b: Loose, name: string): Loose =>
  b.static_resources.listeners.find((l: { name: string }) => l.name === name).address.socket_address;

describe("constructs: EnvoyProxy ipFamily", () => {
  it("IPv4 (the default) leaves the Service's families to Kubernetes and binds 0.0.0.0", () => {
    const { service, bootstrap } = render();
    assert.equal(service.spec.ipFamilies, undefined);
    assert.equal(service.spec.ipFamilyPolicy, undefined);
    assert.deepEqual(socketOf(bootstrap, "envoy-gateway-proxy-ready"), { address: "0.0.0.0", port_value: 19003 });
    assert.equal(bootstrap.admin.address.socket_address.address, "127.0.0.1");
  });

  it("IPv6: a single-stack IPv6 Service, `::` listeners and admin on ::1", () => {
    const { service, bootstrap } = render("IPv6");
    assert.deepEqual(service.spec.ipFamilies, ["IPv6"]);
    assert.equal(service.spec.ipFamilyPolicy, "SingleStack");
    for (const l of ["envoy-gateway-proxy-ready", "envoy-gateway-proxy-stats"]) {
      assert.equal(socketOf(bootstrap, l).address, "::", l);
      assert.equal(socketOf(bootstrap, l).ipv4_compat, true, l);
    }
    assert.equal(bootstrap.admin.address.socket_address.address, "::1");
  });

  it("DualStack: a RequireDualStack Service, `::` listeners with ipv4_compat, admin on 127.0.0.1", () => {
    const { service, bootstrap } = render("DualStack");
    assert.deepEqual(service.spec.ipFamilies, ["IPv4", "IPv6"]);
    assert.equal(service.spec.ipFamilyPolicy, "RequireDualStack");
    assert.equal(socketOf(bootstrap, "envoy-gateway-proxy-stats").ipv4_compat, true);
    assert.equal(bootstrap.admin.address.socket_address.address, "127.0.0.1");
  });
});
