/**
 * ClientTrafficPolicy `headers.xForwardedClientCert` on the wire (real Envoy, standalone): an HTTPS listener
 * that requires client certificates (the Gateway's frontend validation), a client that presents one and also
 * sends its own x-forwarded-client-cert. Without a policy (Sanitize) the backend sees none; SanitizeSet
 * replaces it with the client certificate's details (certDetailsToAdd), AppendForward appends them to the
 * client's, ForwardOnly passes the client's through unchanged.
 */
import * as assert from "node:assert/strict";
import { request } from "node:https";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, tlsSecretYaml, type KeyPair, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "secure.example.com";
/** What the client claims in its own XFCC header. */
const SPOOFED = "By=spiffe://spoofed;Hash=00";

function gatewayYaml(port: number): string {
  const tls = `  tls:
    frontend:
      default:
        validation:
          caCertificateRefs: [{ group: "", kind: ConfigMap, name: client-ca }]
`;
  const listeners = `    - { name: https, protocol: HTTPS, port: ${port}, tls: { certificateRefs: [{ name: server-cert }] } }`;
  return `${gatewayWithListenersYaml(listeners, tls)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`;
}

function policyYaml(xfcc: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: enable-mtls
  namespace: default
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: eg
  headers:
    xForwardedClientCert:
${xfcc}`;
}

describe("standalone: ClientTrafficPolicy x-forwarded-client-cert (real Envoy, mTLS)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let web: EchoBackend | undefined;
  let port = 0;
  let ca: TestCa;
  let client: KeyPair;

  /** The XFCC header the backend received for a request with a client certificate and a spoofed XFCC. */
  const xfccSeen = (): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          servername: HOST,
          path: "/",
          ca: ca.cert,
          cert: client.cert,
          key: client.key,
          agent: false,
          headers: { host: HOST, "x-forwarded-client-cert": SPOOFED },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${body}`));
            const h = (JSON.parse(body) as EchoResponse).headers["x-forwarded-client-cert"];
            resolve(h === undefined ? undefined : String(h));
          });
        },
      );
      req.on("error", reject);
      req.setTimeout(5000, () => req.destroy(new Error("timeout")));
      req.end();
    });

  before(async () => {
    ca = makeCa("egts xfcc CA");
    client = ca.issue("client.example.com");
    web = await startEchoBackend({ name: "web" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backend.yaml": backendYaml("web", web.port),
      "pki.yaml": `${tlsSecretYaml("server-cert", ca.issue(HOST))}---\n${caConfigMapYaml("client-ca", ca.cert)}`,
    });
    await eventually(
      async () =>
        xfccSeen().then(
          () => true,
          () => false,
        ),
      20_000,
      "the HTTPS route with a client certificate",
    );
  });

  after(async () => {
    await t?.close();
    await web?.close();
  });

  it("without a policy (Sanitize): the client's XFCC is removed", async () => {
    assert.equal(await xfccSeen(), undefined);
  });

  it("SanitizeSet with certDetailsToAdd: the backend sees the client certificate's details only", async () => {
    await t?.write("policy.yaml", policyYaml("      mode: SanitizeSet\n      certDetailsToAdd: [Subject, DNS]\n"));
    await eventually(async () => (await xfccSeen()) !== undefined, 20_000, "an XFCC header");
    const xfcc = String(await xfccSeen());
    assert.match(xfcc, /^Hash=[0-9a-f]{64};Subject="CN=client\.example\.com";DNS=client\.example\.com$/, xfcc);
  });

  it("AppendForward: the client's XFCC with the certificate's details appended", async () => {
    await t?.write("policy.yaml", policyYaml("      mode: AppendForward\n      certDetailsToAdd: [Subject]\n"));
    await eventually(async () => String(await xfccSeen()).startsWith(`${SPOOFED},`), 20_000, "appended XFCC");
    assert.match(String(await xfccSeen()), /,Hash=[0-9a-f]{64};Subject="CN=client\.example\.com"$/);
  });

  it("ForwardOnly: the client's XFCC unchanged", async () => {
    await t?.write("policy.yaml", policyYaml("      mode: ForwardOnly\n"));
    await eventually(async () => (await xfccSeen()) === SPOOFED, 20_000, "the client's XFCC forwarded");
  });
});
