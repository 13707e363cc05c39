/**
 * TLSRoute to a DynamicResolver Backend against real Envoy (Envoy Gateway's SNI dynamic forward proxy): on a
 * passthrough listener each connection goes to the host its SNI names, resolved by the test's DNS server
 * (a.test → 127.0.0.12, b.test → 127.0.0.13) on port 443, where TLS servers of this test answer with their name; a
 * loopback SNI (localhost) is closed before any lookup; the same Backend from a terminating listener is refused.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { createServer, type Server } from "node:tls";
import type { Condition } from "../../operator/src/resources/meta";
import { startDnsServer, type TestDnsServer } from "../support/dns-server";
import { eventually, freePort } from "../support/http";
import { gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { tlsExchange } from "../support/tls-client";

/** Where the test's hostnames resolve: loopback addresses other than 127.0.0.1, each with a TLS server on 443. */
const HOSTS: Readonly<Record<string, string>> = { "a.test": "127.0.0.12", "b.test": "127.0.0.13" };

const ROUTES = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: dynamic, namespace: default }
spec:
  type: DynamicResolver
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: sni, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: passthrough }]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: dynamic }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: terminate, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: terminate }]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: dynamic }]
`;

describe("TLSRoute to a DynamicResolver Backend (real Envoy)", function () {
  let t: TestGateway;
  let dns: TestDnsServer;
  let port: number;
  let ca: ReturnType<typeof makeCa>;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  before(async function () {
    ca = makeCa("egts sni dfp CA");
    for (const [name, address] of Object.entries(HOSTS)) {
      const pair = ca.issue(name);
      const server = createServer({ key: pair.key, cert: pair.cert }, (s) => s.end(`${name} says hello`));
      server.on("connection", (s: Socket) => void sockets.add(s));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(443, address, resolve);
      });
      servers.push(server);
    }
    dns = await startDnsServer({ ...HOSTS });
    port = await freePort();
    const terminatePort = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml":
          gatewayWithListenersYaml(`    - { name: passthrough, protocol: TLS, port: ${port}, tls: { mode: Passthrough } }
    - name: terminate
      protocol: TLS
      port: ${terminatePort}
      tls: { mode: Terminate, certificateRefs: [{ name: gateway-cert }] }`),
        "cert.yaml": tlsSecretYaml("gateway-cert", ca.issue("gateway.test")),
        "routes.yaml": ROUTES,
      },
      { backends: { enabled: true, allow: ["Loopback"], dnsResolvers: [dns.address] } },
    );
    await eventually(
      async () => (await tlsExchange(port, "a.test", ca.cert, "hi").catch(() => undefined))?.reply !== undefined,
      20_000,
      "the SNI forward proxy",
    );
  });

  after(async function () {
    await t?.close();
    await dns?.close();
    for (const s of sockets) s.destroy(); // Envoy may keep its side of a finished connection open
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("each SNI reaches the host the DNS server resolves it to, TLS passed through end to end", async function () {
    for (const name of Object.keys(HOSTS)) {
      const r = await tlsExchange(port, name, ca.cert, "hi");
      assert.equal(r.reply, `${name} says hello`);
      assert.equal(r.peer.subject?.CN, name); // the backend's own certificate: Envoy did not terminate TLS
    }
    assert.ok(dns.queries.includes("a.test") && dns.queries.includes("b.test"), dns.queries.join(","));
  });

  it("a loopback SNI (localhost) is closed by the guard, and never looked up", async function () {
    await assert.rejects(tlsExchange(port, "localhost", ca.cert, "hi"));
    assert.ok(!dns.queries.includes("localhost"), dns.queries.join(","));
  });

  it("statuses: the passthrough route is Accepted; from a terminating listener it is refused (Envoy Gateway's message)", function () {
    const accepted = (name: string): Condition | undefined =>
      (
        t.gw.statuses.get("TLSRoute", "default", name)?.status as { parents: { conditions: Condition[] }[] } | undefined
      )?.parents[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted("sni")?.status, "True");
    assert.equal(accepted("terminate")?.status, "False");
    assert.equal(
      accepted("terminate")?.message,
      "Dynamic resolver backend is only supported with TLS passthrough listeners",
    );
  });
});
