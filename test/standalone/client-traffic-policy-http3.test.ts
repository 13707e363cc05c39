/**
 * ClientTrafficPolicy `http3` on the wire (real Envoy, standalone, a real QUIC client: aioquic, installed by
 * scripts/install-aioquic.sh). Before the policy, the HTTPS listener answers over TCP without alt-svc and
 * nothing answers QUIC on its port. With `http3: {}` the policy is Accepted, an HTTP/3 GET over UDP on the
 * same port reaches the backend (200 and the backend's body, ALPN h3), and the TCP HTTPS response advertises
 * it: `alt-svc: h3=":<port>"; ma=86400`. A second HTTPS listener on the port (another SNI name and certificate)
 * is served over QUIC too, and the policy's PROXY protocol (TCP only) does not break the QUIC listener.
 * Removing the policy closes the QUIC listener again.
 */
import * as assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { aioquicDir, h3Get } from "../support/h3-client";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet } from "../support/tls-client";

const HOST = "h3.example.com";
/** A name of the second HTTPS listener on the port (its own certificate and SNI filter chain). */
const WILD_HOST = "app.wild.example.com";

function gatewayYaml(port: number): string {
  const listeners = [
    `    - { name: https, protocol: HTTPS, port: ${port}, hostname: ${HOST}, tls: { certificateRefs: [{ name: server-cert }] } }`,
    `    - { name: wild, protocol: HTTPS, port: ${port}, hostname: "*.wild.example.com", tls: { certificateRefs: [{ name: wild-cert }] } }`,
  ].join("\n");
  return `${gatewayWithListenersYaml(listeners)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`;
}

const POLICY = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: enable-http3, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  http3: {}
  # Envoy has no PROXY protocol over UDP: it stays on the TCP listener (and must not reach the QUIC one).
  proxyProtocol: { optional: true }
`;

describe("standalone: ClientTrafficPolicy http3 (real Envoy, aioquic)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let web: EchoBackend | undefined;
  let port = 0;
  let ca: TestCa;

  const h3Answers = (): Promise<boolean> =>
    h3Get(port, HOST, ca.cert).then(
      (r) => r.status === 200,
      () => false,
    );

  before(async () => {
    aioquicDir(); // fails here, naming the install script, when aioquic is missing
    ca = makeCa("egts http3 CA");
    web = await startEchoBackend({ name: "web" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backend.yaml": backendYaml("web", web.port),
      "pki.yaml": `${tlsSecretYaml("server-cert", ca.issue(HOST))}---\n${tlsSecretYaml("wild-cert", ca.issue("*.wild.example.com"))}`,
    });
    await eventually(
      async () => (await httpsGet(port, HOST, ca.cert).catch(() => undefined))?.status === 200,
      20_000,
      "the HTTPS route",
    );
  });

  after(async () => {
    await t?.close();
    await web?.close();
  });

  it("without the policy: HTTPS over TCP has no alt-svc, and nothing answers QUIC on the port", async () => {
    const tcp = await httpsGet(port, HOST, ca.cert);
    assert.equal(tcp.status, 200);
    assert.equal(tcp.headers["alt-svc"], undefined);
    await assert.rejects(h3Get(port, HOST, ca.cert), /HTTP\/3 GET failed/);
  });

  it("http3: {}: Accepted; an HTTP/3 GET reaches the backend; the TCP response advertises h3", async () => {
    await t?.write("policy.yaml", POLICY);
    await eventually(
      async () => {
        const s = t?.gw.statuses.get("ClientTrafficPolicy", "default", "enable-http3")?.status as
          { ancestors?: { conditions: { type: string; status: string }[] }[] } | undefined;
        return s?.ancestors?.[0]?.conditions.some((c) => c.type === "Accepted" && c.status === "True") === true;
      },
      10_000,
      "the policy Accepted",
    );
    await eventually(h3Answers, 20_000, "an HTTP/3 answer on the QUIC listener");
    const h3 = await h3Get(port, HOST, ca.cert, "/over-quic");
    assert.equal(h3.status, 200);
    assert.equal(h3.alpn, "h3");
    const echo = JSON.parse(h3.body) as EchoResponse;
    assert.equal(echo.backend, "web");
    assert.equal(echo.path, "/over-quic");
    assert.equal(echo.host, HOST);

    const tcp = await httpsGet(port, HOST, ca.cert);
    assert.equal(tcp.status, 200);
    assert.equal(tcp.headers["alt-svc"], `h3=":${port}"; ma=86400`);

    // The second listener's SNI picks its own QUIC filter chain and certificate.
    const wild = await h3Get(port, WILD_HOST, ca.cert);
    assert.equal(wild.status, 200);
    assert.equal((JSON.parse(wild.body) as EchoResponse).host, WILD_HOST);
    assert.equal(wild.headers["alt-svc"], `h3=":${port}"; ma=86400`);
  });

  it("policy removed: the QUIC listener closes and alt-svc is gone", async () => {
    await t?.remove("policy.yaml");
    await eventually(async () => !(await h3Answers()), 20_000, "no HTTP/3 answer");
    const tcp = await httpsGet(port, HOST, ca.cert);
    assert.equal(tcp.headers["alt-svc"], undefined);
  });
});
