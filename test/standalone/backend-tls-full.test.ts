/**
 * Backend `spec.tls` against real Envoy (issue 16): an HTTPS backend that requires a client certificate and reports
 * the SNI it got. CA from a ConfigMap and from a Secret, a fixed SNI, the endpoint's hostname as SNI, the request's
 * Host as SNI (checked against the certificate: another Host fails), insecureSkipVerify, a wrong CA, no client
 * certificate, the system CAs (which do not hold the test CA: refused), a BackendTLSPolicy targeting the Backend,
 * and a CA reference that does not resolve (Backend not accepted).
 */
import assert from "node:assert/strict";
import type { Server } from "node:https";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, httpRouteYaml, tlsBackendYaml } from "../support/manifests";
import { MTLS_BACKEND_HOST, startMtlsBackend } from "../support/mtls-backend";
import { caConfigMapYaml, makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const CLIENT_CN = "egts backend client";

/** A route for each host to Backend `backend`. */
function route(name: string, hosts: readonly string[], backend: string): string {
  return httpRouteYaml(
    name,
    hosts.join(", "),
    `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`,
  );
}

const CA_CM = `caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }]`;
const CLIENT = `clientCertificateRef: { kind: Secret, name: client }`;

describe("Backend TLS (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let backend: { server: Server; port: number };

  before(async function () {
    const serverCa = makeCa("egts backend server CA");
    const clientCa = makeCa("egts backend client CA");
    const otherCa = makeCa("egts unrelated CA");
    backend = await startMtlsBackend(serverCa, clientCa);
    port = await freePort();
    const p = backend.port;
    const backends = [
      tlsBackendYaml("fixed-sni", p, `${CA_CM}\nsni: ${MTLS_BACKEND_HOST}\n${CLIENT}`),
      route("fixed-sni", ["fixed.example.com"], "fixed-sni"),
      tlsBackendYaml(
        "endpoint-sni",
        p,
        `caCertificateRefs: [{ group: "", kind: Secret, name: backend-ca-secret }]\nautoSNIFromEndpointHostname: true\n${CLIENT}`,
        `, hostname: ${MTLS_BACKEND_HOST}`,
      ),
      route("endpoint-sni", ["endpoint.example.com"], "endpoint-sni"),
      tlsBackendYaml("host-sni", p, `${CA_CM}\n${CLIENT}`),
      route("host-sni", [MTLS_BACKEND_HOST, "other.example.com"], "host-sni"),
      tlsBackendYaml(
        "wrong-ca",
        p,
        `caCertificateRefs: [{ group: "", kind: ConfigMap, name: other-ca }]\nsni: ${MTLS_BACKEND_HOST}\n${CLIENT}`,
      ),
      route("wrong-ca", ["wrong-ca.example.com"], "wrong-ca"),
      tlsBackendYaml("insecure", p, `insecureSkipVerify: true\nsni: not-the-name.example.com\n${CLIENT}`),
      route("insecure", ["insecure.example.com"], "insecure"),
      tlsBackendYaml("no-client-cert", p, `${CA_CM}\nsni: ${MTLS_BACKEND_HOST}`),
      route("no-client-cert", ["no-client.example.com"], "no-client-cert"),
      tlsBackendYaml("system", p, `wellKnownCACertificates: System\nsni: ${MTLS_BACKEND_HOST}\n${CLIENT}`),
      route("system", ["system.example.com"], "system"),
      tlsBackendYaml("policy", p, CLIENT),
      route("policy", ["policy.example.com"], "policy"),
      `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: backend-policy, namespace: default }
spec:
  targetRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: policy }]
  validation:
    ${CA_CM}
    hostname: ${MTLS_BACKEND_HOST}
`,
      tlsBackendYaml(
        "missing-ca",
        p,
        `caCertificateRefs: [{ group: "", kind: ConfigMap, name: no-such-ca }]\n${CLIENT}`,
      ),
      route("missing-ca", ["missing-ca.example.com"], "missing-ca"),
    ];
    const caSecret = `apiVersion: v1
kind: Secret
metadata: { name: backend-ca-secret, namespace: default }
data:
  ca.crt: ${Buffer.from(serverCa.cert).toString("base64")}
`;
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": backends.join("---\n"),
      "pki.yaml": [
        caConfigMapYaml("backend-ca", serverCa.cert),
        caConfigMapYaml("other-ca", otherCa.cert),
        caSecret,
        tlsSecretYaml("client", clientCa.issue(CLIENT_CN)),
      ].join("---\n"),
    });
    await eventually(async () => (await httpGet(port, "fixed.example.com")).status === 200, 20_000, "the TLS route");
  });

  after(async function () {
    await t?.close();
    await new Promise((r) => backend?.server.close(r));
  });

  /** The backend's answer through `host`: status, and the SNI and client certificate it saw. */
  async function call(host: string): Promise<{ status: number; sni?: string; clientCn?: string }> {
    const r = await httpGet(port, host);
    const seen = r.status === 200 ? (JSON.parse(r.body) as { sni?: string; clientCn?: string }) : {};
    return { status: r.status, ...seen };
  }

  it("CA from a ConfigMap, fixed SNI, client certificate: the backend sees both", async function () {
    assert.deepEqual(await call("fixed.example.com"), { status: 200, sni: MTLS_BACKEND_HOST, clientCn: CLIENT_CN });
  });

  it("CA from a Secret, SNI from the endpoint's hostname", async function () {
    assert.deepEqual(await call("endpoint.example.com"), { status: 200, sni: MTLS_BACKEND_HOST, clientCn: CLIENT_CN });
  });

  it("no sni: the request's Host is the SNI, and the certificate must match it", async function () {
    assert.deepEqual(await call(MTLS_BACKEND_HOST), { status: 200, sni: MTLS_BACKEND_HOST, clientCn: CLIENT_CN });
    assert.equal((await call("other.example.com")).status, 503);
  });

  it("a CA that did not sign the backend's certificate: 503", async function () {
    assert.equal((await call("wrong-ca.example.com")).status, 503);
  });

  it("insecureSkipVerify: any certificate and name is taken", async function () {
    assert.deepEqual(await call("insecure.example.com"), {
      status: 200,
      sni: "not-the-name.example.com",
      clientCn: CLIENT_CN,
    });
  });

  it("without a client certificate the backend refuses the handshake: 503", async function () {
    assert.equal((await call("no-client.example.com")).status, 503);
  });

  it("wellKnownCACertificates System: the system CAs do not hold the test CA, so the backend is refused", async function () {
    assert.equal((await call("system.example.com")).status, 503);
  });

  it("a BackendTLSPolicy targeting the Backend gives its CA and hostname", async function () {
    assert.deepEqual(await call("policy.example.com"), { status: 200, sni: MTLS_BACKEND_HOST, clientCn: CLIENT_CN });
    const status = t.gw.statuses.get("BackendTLSPolicy", "default", "backend-policy")?.status as
      { ancestors: { conditions: Condition[] }[] } | undefined;
    assert.equal(status?.ancestors[0]?.conditions.find((c) => c.type === "Accepted")?.status, "True");
  });

  it("Backend statuses: Accepted, or not accepted naming the CA reference that does not resolve (route 500)", async function () {
    const accepted = (name: string): Condition | undefined =>
      (
        t.gw.statuses.get("Backend", "default", name)?.status as { conditions: Condition[] } | undefined
      )?.conditions.find((c) => c.type === "Accepted");
    for (const name of ["fixed-sni", "endpoint-sni", "host-sni", "insecure", "system", "policy"]) {
      assert.equal(accepted(name)?.status, "True", name);
    }
    assert.equal(accepted("missing-ca")?.status, "False");
    assert.match(accepted("missing-ca")?.message ?? "", /caCertificateRefs ConfigMap default\/no-such-ca not found/);
    assert.equal((await call("missing-ca.example.com")).status, 500);
  });
});
