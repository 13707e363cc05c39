/**
 * Two standalone Gateways on the same address and port: each has its own Envoy on this host, and Envoy binds
 * with SO_REUSEPORT, so both would start and the kernel would split connections between them at random. The
 * younger Gateway's listener is PortUnavailable instead (its Envoy does not bind the port), and every
 * connection reaches the older Gateway's route; removing the older Gateway hands the port over.
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, GATEWAY_CLASS_YAML } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** Gateway `default/<name>` with one HTTP listener on `port` and a route for `host` to Backend `<name>`. */
function gatewayAndRoute(name: string, port: number, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
${backendYaml(name, backendPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: ${name} }]
  hostnames: [app.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${name} }] }]
`;
}

/** Which backends answer `n` requests, each on a new connection (the kernel picks a socket per connection). */
async function backendsOverNewConnections(port: number, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const agent = new Agent({ keepAlive: false });
    const r = await httpGet(port, "app.example.com", "/", { agent });
    agent.destroy();
    const who = r.status === 200 ? (JSON.parse(r.body) as { backend: string }).backend : `status ${r.status}`;
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  return seen;
}

describe("two standalone Gateways on one port (real Envoy)", function () {
  this.timeout(90_000);
  let a: EchoBackend;
  let b: EchoBackend;
  let t: TestGateway;
  let port: number;

  before(async () => {
    [a, b] = [await startEchoBackend({ name: "a" }), await startEchoBackend({ name: "b" })];
    port = await freePort();
    t = await startTestGateway({
      "class.yaml": GATEWAY_CLASS_YAML,
      "a.yaml": gatewayAndRoute("a", port, a.port),
      "b.yaml": gatewayAndRoute("b", port, b.port),
    });
  });

  after(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
  });

  function listenerConditions(gateway: string): Cond[] {
    const st = t.gw.statuses.get("Gateway", "default", gateway)?.status as
      { listeners?: { conditions: Cond[] }[] } | undefined;
    return st?.listeners?.[0]?.conditions ?? [];
  }

  it("the younger Gateway's listener is PortUnavailable, naming the Gateway that holds the port", () => {
    const accepted = listenerConditions("b").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False", JSON.stringify(listenerConditions("b")));
    assert.equal(accepted?.reason, "PortUnavailable");
    assert.match(accepted?.message ?? "", new RegExp(`port ${port} .*listener http of Gateway default/a`));
    assert.equal(listenerConditions("b").find((c) => c.type === "Programmed")?.status, "False");
    assert.equal(listenerConditions("a").find((c) => c.type === "Programmed")?.status, "True");
  });

  it("every connection reaches the older Gateway's backend", async () => {
    await eventually(async () => (await httpGet(port, "app.example.com")).status === 200, 15_000, "Gateway a");
    const seen = await backendsOverNewConnections(port, 40);
    assert.deepEqual([...seen], [["a", 40]]);
  });

  it("when the older Gateway goes, the younger one gets the port", async () => {
    await t.remove("a.yaml");
    await eventually(
      async () => (await backendsOverNewConnections(port, 1)).get("b") === 1,
      20_000,
      "Gateway b serving the port",
    );
    assert.equal(listenerConditions("b").find((c) => c.type === "Programmed")?.status, "True");
    const seen = await backendsOverNewConnections(port, 20);
    assert.deepEqual([...seen], [["b", 20]]);
  });
});
