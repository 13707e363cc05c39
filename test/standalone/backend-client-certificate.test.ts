/**
 * Gateway spec.tls.backend.clientCertificateRef against real Envoy: an HTTPS backend that requires a client
 * certificate signed by its own CA (and is reached through a BackendTLSPolicy) answers only while the
 * Gateway presents the certificate; without it, or with a reference that does not resolve, the backend
 * refuses the handshake and the Gateway's ResolvedRefs condition says why.
 */
import assert from "node:assert/strict";
import type { Server } from "node:https";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { MTLS_BACKEND_HOST, mtlsServiceYaml, startMtlsBackend } from "../support/mtls-backend";
import { caConfigMapYaml, makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const CLIENT_CN = "egts gateway client";

/** Gateway `eg` on `port`, presenting Secret `secretName` to TLS backends (none when undefined). */
function gateway(port: number, secretName: string | undefined): string {
  const tls = secretName ? `  tls:\n    backend:\n      clientCertificateRef: { name: ${secretName} }\n` : "";
  return gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${port} }`, tls);
}

/** The mTLS Service and a route for secure.example.com to it. */
function backendYaml(target: number): string {
  return `${mtlsServiceYaml(target)}---
${httpRouteYaml("secure", "secure.example.com", "    - backendRefs: [{ name: secure, port: 443 }]")}`;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

describe("Gateway backend client certificate (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let backend: { server: Server; port: number };

  before(async function () {
    const serverCa = makeCa("egts backend server CA");
    const clientCa = makeCa("egts backend client CA");
    backend = await startMtlsBackend(serverCa, clientCa);
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gateway(port, "gateway-client"),
      "backend.yaml": backendYaml(backend.port),
      "pki.yaml": [
        caConfigMapYaml("backend-ca", serverCa.cert),
        tlsSecretYaml("gateway-client", clientCa.issue(CLIENT_CN)),
      ].join("---\n"),
    });
  });

  after(async function () {
    await t?.close();
    await new Promise((r) => backend?.server.close(r));
  });

  function resolvedRefs(): Condition | undefined {
    const s = t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions?: Condition[] } | undefined;
    return s?.conditions?.find((c) => c.type === "ResolvedRefs");
  }

  it("Envoy presents the Gateway's client certificate to a backend that requires one; ResolvedRefs True", async function () {
    let last = "";
    await eventually(
      async () => {
        const r = await httpGet(port, "secure.example.com", "/");
        last = `${r.status} ${r.body}`;
        return r.status === 200;
      },
      15_000,
      "a 200 from the mTLS backend",
    ).catch((e: Error) => assert.fail(`${e.message}; last response: ${last}`));
    assert.deepEqual(JSON.parse((await httpGet(port, "secure.example.com", "/")).body), {
      clientCn: CLIENT_CN,
      sni: MTLS_BACKEND_HOST,
    });
    assert.equal(`${resolvedRefs()?.status} ${resolvedRefs()?.reason}`, "True ResolvedRefs");
  });

  it("without spec.tls.backend the backend refuses the handshake: 503", async function () {
    await t.write("gateway.yaml", gateway(port, undefined));
    await eventually(async () => (await httpGet(port, "secure.example.com", "/")).status === 503, 15_000, "503");
    assert.equal(resolvedRefs(), undefined, "no backend TLS settings: no Gateway ResolvedRefs condition");
  });

  it("a clientCertificateRef to a missing Secret: ResolvedRefs False InvalidClientCertificateRef, still Accepted", async function () {
    await t.write("gateway.yaml", gateway(port, "absent"));
    await eventually(
      async () => resolvedRefs()?.reason === "InvalidClientCertificateRef",
      15_000,
      "ResolvedRefs InvalidClientCertificateRef",
    );
    assert.equal(resolvedRefs()?.status, "False");
    assert.match(resolvedRefs()?.message ?? "", /clientCertificateRef Secret default\/absent not found/);
    const s = t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions: Condition[] };
    assert.equal(s.conditions.find((c) => c.type === "Accepted")?.status, "True");
    assert.equal((await httpGet(port, "secure.example.com", "/")).status, 503, "no certificate: refused");
  });

  it("the reference fixed again: the certificate is presented again", async function () {
    await t.write("gateway.yaml", gateway(port, "gateway-client"));
    await eventually(async () => (await httpGet(port, "secure.example.com", "/")).status === 200, 15_000, "200");
  });
});
