/**
 * One port, two kinds of TLS listener, against real Envoy: an HTTPS listener for `*.example.com`
 * (terminated by the Gateway) and a TLS Passthrough listener for `abc.example.com` (the stream goes to a
 * backend presenting its own certificate). The Gateway requests two loopback addresses (spec.addresses),
 * and both serve.
 */
import assert from "node:assert/strict";
import { createServer as createTlsServer, type Server } from "node:tls";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet, tlsExchange } from "../support/tls-client";

function configYaml(port: number): string {
  return `${gatewayWithListenersYaml(
    `    - name: https
      protocol: HTTPS
      port: ${port}
      hostname: "*.example.com"
      tls: { certificateRefs: [{ name: wild-cert }] }
    - name: pass
      protocol: TLS
      port: ${port}
      hostname: abc.example.com
      tls: { mode: Passthrough }`,
    `  addresses: [{ type: IPAddress, value: 127.0.0.1 }, { type: IPAddress, value: 127.0.0.2 }]\n`,
  )}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: https }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: pass, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: pass }]
  hostnames: [abc.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tls-backend }] }]
`;
}

describe("HTTPS and TLS passthrough listeners on one port (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;
  let ca: TestCa;
  let backendCa: TestCa;
  let web: EchoBackend;
  let tlsBackend: Server;

  before(async () => {
    ca = makeCa("egts same-port CA");
    backendCa = makeCa("egts same-port backend CA");
    const backendCert = backendCa.issue("abc.example.com");
    web = await startEchoBackend({ name: "web" });
    tlsBackend = createTlsServer({ cert: backendCert.cert, key: backendCert.key }, (s) => {
      s.on("data", (d: Buffer) => s.write(`backend:${d.toString()}`));
    });
    const tlsBackendPort = await freePort();
    await new Promise<void>((r) => tlsBackend.listen(tlsBackendPort, "127.0.0.1", r));
    port = await freePort();
    t = await startTestGateway({
      "config.yaml": configYaml(port),
      "backends.yaml": `${backendYaml("web", web.port)}---\n${backendYaml("tls-backend", tlsBackendPort)}`,
      "secrets.yaml": tlsSecretYaml("wild-cert", ca.issue("*.example.com")),
    });
    await eventually(
      async () =>
        (await httpsGet(port, "other.example.com", ca.cert, { address: "127.0.0.1" }).catch(() => undefined))
          ?.status === 200,
      20_000,
      "HTTPS on the shared port",
    );
  });

  after(async () => {
    await t?.close();
    await web?.close();
    await new Promise((r) => tlsBackend?.close(r));
  });

  it("terminates an SNI matching the HTTPS listener's wildcard and serves its route", async () => {
    const r = await httpsGet(port, "other.example.com", ca.cert, { address: "127.0.0.1" });
    assert.equal(r.status, 200);
    assert.equal(r.peer.subject.CN, "*.example.com");
    assert.equal((JSON.parse(r.body) as EchoResponse).backend, "web");
  });

  it("passes the exact SNI of the TLS listener through to the backend, which presents its own certificate", async () => {
    const r = await tlsExchange(port, "abc.example.com", backendCa.cert, "hello");
    assert.equal(r.reply, "backend:hello");
    assert.equal(r.peer.subject.CN, "abc.example.com");
  });

  it("serves on every address the Gateway requests, and reports them", async () => {
    const r = await httpsGet(port, "other.example.com", ca.cert, { address: "127.0.0.2" });
    assert.equal(r.status, 200);
    const status = t.gw.statuses.get("Gateway", "default", "eg")?.status as {
      addresses: { type: string; value: string }[];
      listeners: { name: string; conditions: { type: string; status: string; reason: string }[] }[];
    };
    assert.deepEqual(
      status.addresses.map((a) => a.value),
      ["127.0.0.1", "127.0.0.2"],
    );
    for (const l of status.listeners) {
      const accepted = l.conditions.find((c) => c.type === "Accepted");
      assert.equal(accepted?.status, "True", `listener ${l.name} accepted`);
      // The HTTPS wildcard covers the passthrough listener's hostname: both are flagged.
      const overlap = l.conditions.find((c) => c.type === "OverlappingTLSConfig");
      assert.deepEqual([overlap?.status, overlap?.reason], ["True", "OverlappingHostnames"], l.name);
    }
  });
});
