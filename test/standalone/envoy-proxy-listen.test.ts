/**
 * EnvoyProxy `ipFamily` and `preserveRouteOrder` on real Envoy (standalone, listening on loopback): an IPv6 Gateway
 * answers on [::1] and not on 127.0.0.1, a DualStack one on both, and reports the addresses it binds; with
 * `preserveRouteOrder` a PathPrefix `/` rule written first takes `/exact`, which Gateway API precedence gives to the
 * Exact rule written after it. Needs the IPv6 loopback (::1): the test fails, naming it, where there is none.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Rejects, naming the missing piece, when this machine cannot bind the IPv6 loopback. */
async function requireIpv6Loopback(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once("error", (err) =>
      reject(
        new Error(
          `this test needs the IPv6 loopback (::1), which this machine cannot bind (${err.message}); enable IPv6 on lo (sysctl -w net.ipv6.conf.lo.disable_ipv6=0)`,
        ),
      ),
    );
    s.listen(0, "::1", () => s.close(() => resolve()));
  });
}

/** Gateway `default/<name>` on `port` with its own EnvoyProxy `<name>` (spec `spec`, a flow mapping). */
function gateway(name: string, port: number, spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: ${name}, namespace: default }
spec: ${spec}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: eg
  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ${name} } }
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`;
}

/** A route on `gateways`: PathPrefix / to backend `all` first, then Exact /exact to backend `exact`. */
function route(gateways: readonly string[]): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ordered, namespace: default }
spec:
  parentRefs: [${gateways.map((g) => `{ name: ${g} }`).join(", ")}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: / } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: all }]
    - matches: [{ path: { type: Exact, value: /exact } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: exact }]
`;
}

function backend(name: string, port: number): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec: { endpoints: [{ ip: { address: 127.0.0.1, port: ${port} } }] }
`;
}

describe("EnvoyProxy ipFamily and preserveRouteOrder (real Envoy)", function () {
  let t: TestGateway;
  let all: EchoBackend;
  let exact: EchoBackend;
  const ports: Record<string, number> = {};

  before(async function () {
    await requireIpv6Loopback();
    all = await startEchoBackend({ port: await freePort(), name: "all" });
    exact = await startEchoBackend({ port: await freePort(), name: "exact" });
    for (const g of ["v6", "dual", "kept", "ranked"]) ports[g] = await freePort();
    t = await startTestGateway({
      "class.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
`,
      "gateways.yaml": [
        gateway("v6", ports.v6, "{ ipFamily: IPv6 }"),
        gateway("dual", ports.dual, "{ ipFamily: DualStack }"),
        gateway("kept", ports.kept, "{ preserveRouteOrder: true }"),
        gateway("ranked", ports.ranked, "{ concurrency: 1 }"),
      ].join("---\n"),
      "routes.yaml": [
        backend("all", all.port),
        backend("exact", exact.port),
        route(["v6", "dual", "kept", "ranked"]),
      ].join("---\n"),
    });
    const checks: [string, string][] = [
      ["v6", "::1"],
      ["dual", "::1"],
      ["dual", "127.0.0.1"],
      ["kept", "127.0.0.1"],
      ["ranked", "127.0.0.1"],
    ];
    for (const [g, address] of checks) {
      await eventually(
        async () => (await httpGet(ports[g], "www.example.com", "/", { address })).status === 200,
        20_000,
        `Gateway ${g} answering on ${address}`,
      );
    }
  });
  after(async () => {
    await t?.close();
    await all?.close();
    await exact?.close();
  });

  function addresses(name: string): string[] {
    const s = t.gw.statuses.get("Gateway", "default", name)?.status as { addresses?: { value: string }[] } | undefined;
    return (s?.addresses ?? []).map((a) => a.value);
  }

  it("IPv6: answers on [::1] only, and reports ::1", async () => {
    assert.equal((await httpGet(ports.v6, "www.example.com", "/", { address: "::1" })).status, 200);
    const v4 = await httpGet(ports.v6, "www.example.com", "/", { address: "127.0.0.1" });
    assert.equal(v4.status, 0, `nothing listens on 127.0.0.1:${ports.v6} (${v4.error ?? ""})`);
    assert.deepEqual(addresses("v6"), ["::1"]);
  });

  it("DualStack: answers on [::1] and 127.0.0.1, and reports both", async () => {
    for (const address of ["::1", "127.0.0.1"]) {
      assert.equal((await httpGet(ports.dual, "www.example.com", "/", { address })).status, 200, address);
    }
    assert.deepEqual(addresses("dual"), ["::1", "127.0.0.1"]);
  });

  it("preserveRouteOrder: the rule written first answers /exact; precedence gives it to the Exact rule", async () => {
    const answer = async (g: string): Promise<string> =>
      (JSON.parse((await httpGet(ports[g], "www.example.com", "/exact")).body) as EchoResponse).backend;
    assert.equal(await answer("kept"), "all");
    assert.equal(await answer("ranked"), "exact");
  });
});
