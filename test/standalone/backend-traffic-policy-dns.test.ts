/**
 * BackendTrafficPolicy `dns` on the wire (real Envoy, standalone), towards a hostname Backend (`localhost`, which
 * Envoy resolves from /etc/hosts to 127.0.0.1 only) served on 127.0.0.1:
 * - lookupFamily IPv6: Envoy asks for IPv6 addresses only, finds none, and answers 503; IPv4: answered;
 * - dnsRefreshRate 200ms: Envoy resolves the name again several times a second (its `update_attempt` stat),
 *   where Envoy Gateway's default (30 s) resolves it once.
 */
import * as assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { applyPolicy, btpYaml, routeClusters } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "dns.example.com";

describe("standalone: BackendTrafficPolicy dns (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let backend: EchoBackend;
  let port: number;

  /** Envoy's count of DNS resolutions of the policy variant the route uses. */
  async function resolutions(): Promise<number> {
    const variant = (await routeClusters(t)).find((c) => c.includes("/btp-"));
    const admin = await t.gw.runner?.adminUrl("default/eg");
    const stats = await (await fetch(`${admin}/stats?filter=update_attempt`)).text();
    const line = stats.split("\n").find((l) => l.startsWith(`cluster.${variant}.update_attempt:`));
    assert.ok(line, `Envoy counts the resolutions of ${variant}: ${stats}`);
    return Number(line.split(":")[1]);
  }

  before(async () => {
    backend = await startEchoBackend({ name: "dns" });
    port = await freePort();
    const backendYaml = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: local, namespace: default }
spec:
  endpoints:
    - fqdn: { hostname: localhost, port: ${backend.port} }
`;
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml}---\n${routeYaml("local", HOST, "local")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
  });

  it("lookupFamily IPv6: no IPv6 address for localhost, 503; IPv4: answered", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("dns", "local", "  dns: { lookupFamily: IPv6 }"));
    await eventually(async () => (await httpGet(port, HOST)).status === 503, 10_000, "503 without an IPv6 address");
    await applyPolicy(t, "btp.yaml", btpYaml("dns", "local", "  dns: { lookupFamily: IPv4 }"));
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 10_000, "200 over IPv4");
  });

  it("dnsRefreshRate 200ms: resolved again several times a second; the default 30 s: once", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("dns", "local", "  dns: {}"));
    const slowFrom = await resolutions();
    await new Promise((r) => setTimeout(r, 2000));
    const slow = (await resolutions()) - slowFrom;
    await applyPolicy(t, "btp.yaml", btpYaml("dns", "local", "  dns: { dnsRefreshRate: 200ms, respectDnsTtl: false }"));
    const fastFrom = await resolutions();
    await new Promise((r) => setTimeout(r, 2000));
    const fast = (await resolutions()) - fastFrom;
    assert.ok(slow <= 1, `${slow} resolutions in 2 s at the default rate`);
    assert.ok(fast >= 5, `${fast} resolutions in 2 s at 200 ms`);
  });
});
