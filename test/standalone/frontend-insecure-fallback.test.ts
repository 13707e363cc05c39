/**
 * Frontend client certificate validation in AllowInsecureFallback mode against real Envoy (what the
 * conformance test GatewayFrontendClientCertificateValidationInsecureFallback checks): an HTTPS listener whose
 * port uses the fallback serves clients with a valid certificate, with a certificate from another CA and
 * with none, and the Gateway says so with InsecureFrontendValidationMode=True (ConfigurationChanged); back
 * to AllowValidOnly, the condition goes and a client without a certificate is refused.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, tlsSecretYaml, type KeyPair, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet } from "../support/tls-client";

const HOST = "secure.example.com";

/** Gateway `eg`: one HTTPS listener on `port`, client validation against ConfigMap client-ca in `mode`. */
function gatewayYaml(port: number, mode: "AllowValidOnly" | "AllowInsecureFallback"): string {
  const tls = `  tls:
    frontend:
      default: {}
      perPort:
        - port: ${port}
          tls:
            validation:
              mode: ${mode}
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

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

describe("frontend client certificate validation, AllowInsecureFallback (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let ca: TestCa;
  let client: KeyPair;
  let stranger: KeyPair;
  let web: EchoBackend;

  before(async function () {
    ca = makeCa("egts fallback CA");
    client = ca.issue("client");
    stranger = makeCa("egts stranger CA").issue("stranger");
    web = await startEchoBackend({ name: "web" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port, "AllowInsecureFallback"),
      "backend.yaml": backendYaml("web", web.port),
      "pki.yaml": `${tlsSecretYaml("server-cert", ca.issue(HOST))}---\n${caConfigMapYaml("client-ca", ca.cert)}`,
    });
  });

  after(async function () {
    await t?.close();
    await web?.close();
  });

  const get = (c?: KeyPair): Promise<number> =>
    httpsGet(port, HOST, ca.cert, c ? { client: c } : {}).then(
      (r) => r.status,
      () => 0,
    );

  function insecureMode(): Condition | undefined {
    const s = t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions?: Condition[] } | undefined;
    return s?.conditions?.find((c) => c.type === "InsecureFrontendValidationMode");
  }

  it("serves a valid client certificate, another CA's certificate and none; the Gateway reports the mode", async function () {
    await eventually(async () => (await get(client)) === 200, 20_000, "200 with a valid client certificate");
    assert.equal(await get(stranger), 200, "a certificate from another CA is let through");
    assert.equal(await get(), 200, "no certificate is let through");
    const c = insecureMode();
    assert.equal(`${c?.status} ${c?.reason}`, "True ConfigurationChanged");
    assert.match(c?.message ?? "", new RegExp(`spec\\.tls\\.frontend\\.perPort\\[port ${port}\\]`));
  });

  it("back to AllowValidOnly: the condition is gone and a client without a certificate is refused", async function () {
    await t.write("gateway.yaml", gatewayYaml(port, "AllowValidOnly"));
    await eventually(async () => (await get()) === 0, 20_000, "refused without a client certificate");
    assert.equal(await get(client), 200);
    assert.equal(insecureMode(), undefined);
  });
});
