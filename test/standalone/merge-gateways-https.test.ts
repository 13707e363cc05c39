/**
 * EnvoyProxy `mergeGateways` against real Envoy: Gateways team-a/a and team-b/b of one class each serve HTTPS
 * on the same port, for their own hostname, with their own certificate (Secrets of one name, each in its
 * Gateway's namespace), through the class's one Envoy, and Gateway team-d/d passes pass.example.com through
 * to a backend on that port (TLS passthrough). A younger Gateway asking for a.example.com on the port with
 * another certificate is PortUnavailable and takes nothing from a.
 */
import assert from "node:assert/strict";
import { createServer as createTlsServer, type Server } from "node:tls";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { MERGED_CLASS_YAML } from "../support/manifests";
import { makeCa, tlsSecretYaml, type KeyPair, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet, tlsExchange } from "../support/tls-client";

/** Gateway `<ns>/<name>` (created at `created`) with one HTTPS listener on `port` for `host`, Secret `cert`. */
function gatewayYaml(ns: string, name: string, created: string, port: number, host: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${ns}, creationTimestamp: "${created}" }
spec:
  gatewayClassName: merged
  listeners:
    - name: https
      protocol: HTTPS
      port: ${port}
      hostname: ${host}
      tls: { certificateRefs: [{ name: cert }] }
`;
}

/** HTTPRoute and Backend `<ns>/app` (an echo server on `backendPort`) for the Gateway `<ns>/<gateway>`. */
function appYaml(ns: string, gateway: string, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: ${ns} }
spec:
  parentRefs: [{ name: ${gateway} }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: app, namespace: ${ns} }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${backendPort} } }]
`;
}

/** Gateway team-d/d: TLS passthrough of pass.example.com on `port` to the TLS server on `backendPort`. */
function passthroughYaml(port: number, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: d, namespace: team-d, creationTimestamp: "2026-01-04T00:00:00Z" }
spec:
  gatewayClassName: merged
  listeners:
    - { name: pass, protocol: TLS, port: ${port}, hostname: pass.example.com, tls: { mode: Passthrough } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: pass, namespace: team-d }
spec:
  parentRefs: [{ name: d }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tls-backend }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: tls-backend, namespace: team-d }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${backendPort} } }]
`;
}

function secretYaml(ns: string, pair: KeyPair): string {
  return tlsSecretYaml("cert", pair).replace("namespace: default", `namespace: ${ns}`);
}

interface ListenerStatus {
  readonly name: string;
  readonly conditions: readonly { type: string; status: string; reason: string; message: string }[];
}

describe("merged Gateways sharing an HTTPS port, each with its certificate (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;
  let ca: TestCa;
  let a: EchoBackend;
  let b: EchoBackend;
  let backendCa: TestCa;
  let tlsBackend: Server;

  before(async () => {
    ca = makeCa("egts merged CA");
    const impostor = makeCa("egts impostor CA").issue("a.example.com");
    a = await startEchoBackend({ name: "app-a" });
    b = await startEchoBackend({ name: "app-b" });
    const c = await startEchoBackend({ name: "app-c" });
    await c.close(); // c's route must never be served; its port is closed
    backendCa = makeCa("egts merged backend CA");
    const backendCert = backendCa.issue("pass.example.com");
    tlsBackend = createTlsServer({ cert: backendCert.cert, key: backendCert.key }, (s) => {
      s.on("data", (d: Buffer) => s.write(`backend:${d.toString()}`));
    });
    const tlsBackendPort = await freePort();
    await new Promise<void>((r) => tlsBackend.listen(tlsBackendPort, "127.0.0.1", r));
    port = await freePort();
    t = await startTestGateway({
      "config.yaml": [
        MERGED_CLASS_YAML,
        gatewayYaml("team-a", "a", "2026-01-01T00:00:00Z", port, "a.example.com"),
        gatewayYaml("team-b", "b", "2026-01-02T00:00:00Z", port, "b.example.com"),
        gatewayYaml("team-c", "c", "2026-01-03T00:00:00Z", port, "a.example.com"),
        passthroughYaml(port, tlsBackendPort),
      ].join("---\n"),
      "apps.yaml": [
        appYaml("team-a", "a", a.port),
        appYaml("team-b", "b", b.port),
        appYaml("team-c", "c", c.port),
      ].join("---\n"),
      "secrets.yaml": [
        secretYaml("team-a", ca.issue("a.example.com")),
        secretYaml("team-b", ca.issue("b.example.com")),
        secretYaml("team-c", impostor),
      ].join("---\n"),
    });
    for (const host of ["a.example.com", "b.example.com"]) {
      await eventually(
        async () => (await httpsGet(port, host, ca.cert).catch(() => undefined))?.status === 200,
        20_000,
        `HTTPS for ${host}`,
      );
    }
  });

  after(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
    await new Promise((r) => tlsBackend?.close(r));
  });

  for (const [host, backend] of [
    ["a.example.com", "app-a"],
    ["b.example.com", "app-b"],
  ]) {
    it(`SNI ${host} gets its Gateway's certificate and reaches its Gateway's backend`, async () => {
      const r = await httpsGet(port, host, ca.cert);
      assert.equal(r.status, 200);
      assert.equal(r.peer.subject.CN, host);
      assert.equal(r.peer.subjectaltname, `DNS:${host}`);
      assert.equal((JSON.parse(r.body) as EchoResponse).backend, backend);
    });
  }

  it("passes the TLS listener's SNI of a third Gateway through to its backend, which presents its own certificate", async () => {
    const r = await tlsExchange(port, "pass.example.com", backendCa.cert, "hello");
    assert.equal(r.reply, "backend:hello");
    assert.equal(r.peer.subject.CN, "pass.example.com");
  });

  it("serves every Gateway from the class's one Envoy", () => {
    assert.deepEqual(
      t.gw.runner?.list().map((p) => p.name),
      ["merged"],
    );
  });

  it("an SNI no Gateway declares is refused", async () => {
    await assert.rejects(httpsGet(port, "c.example.com", ca.cert));
  });

  it("the younger Gateway asking for a.example.com on the port is PortUnavailable, naming the older one", () => {
    const listeners = (ns: string, name: string): readonly ListenerStatus[] =>
      (t.gw.statuses.get("Gateway", ns, name)?.status as { listeners: ListenerStatus[] }).listeners;
    for (const [ns, name] of [
      ["team-a", "a"],
      ["team-b", "b"],
      ["team-d", "d"],
    ]) {
      const programmed = listeners(ns, name)[0].conditions.find((c) => c.type === "Programmed");
      assert.equal(programmed?.status, "True", `${ns}/${name}`);
    }
    const accepted = listeners("team-c", "c")[0].conditions.find((c) => c.type === "Accepted");
    assert.deepEqual([accepted?.status, accepted?.reason], ["False", "PortUnavailable"]);
    assert.match(accepted?.message ?? "", /Gateway team-a\/a, .* with the same hostname "a\.example\.com"/);
  });
});
