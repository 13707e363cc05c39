/**
 * EnvoyProxy `mergeGateways` with Gateway backend client certificates against real Envoy: Gateways a, b
 * and c of one merged class share one port and one backend (an HTTPS Service behind a BackendTLSPolicy that
 * requires a client certificate). a and b present their own spec.tls.backend certificate, c none: each
 * Gateway's routes reach the backend with that Gateway's certificate, or without one, although the merged
 * proxy serves them all from one node and the backend is one Service port.
 */
import assert from "node:assert/strict";
import type { Server } from "node:https";
import { eventually, freePort, httpGet } from "../support/http";
import { httpRouteYaml, MERGED_CLASS_YAML } from "../support/manifests";
import { mtlsServiceYaml, startMtlsBackend } from "../support/mtls-backend";
import { caConfigMapYaml, makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Gateway default/<name> on `port` for <name>.example.com, presenting Secret client-<name> when `cert`. */
function gatewayYaml(name: string, port: number, cert: boolean): string {
  const tls = cert ? `  tls: { backend: { clientCertificateRef: { name: client-${name} } } }\n` : "";
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: merged
${tls}  listeners: [{ name: http, protocol: HTTP, port: ${port}, hostname: ${name}.example.com }]
---
${httpRouteYaml(name, `${name}.example.com`, "    - backendRefs: [{ name: secure, port: 443 }]").replace(
  "parentRefs: [{ name: eg }]",
  `parentRefs: [{ name: ${name} }]`,
)}`;
}

describe("merged Gateways, each with its own backend client certificate (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let backend: { server: Server; port: number };

  before(async function () {
    const serverCa = makeCa("egts merged backend server CA");
    const clientCa = makeCa("egts merged backend client CA");
    backend = await startMtlsBackend(serverCa, clientCa);
    port = await freePort();
    t = await startTestGateway({
      "class.yaml": MERGED_CLASS_YAML,
      "gateways.yaml": [gatewayYaml("a", port, true), gatewayYaml("b", port, true), gatewayYaml("c", port, false)].join(
        "---\n",
      ),
      "backend.yaml": mtlsServiceYaml(backend.port),
      "pki.yaml": [
        caConfigMapYaml("backend-ca", serverCa.cert),
        tlsSecretYaml("client-a", clientCa.issue("gateway a")),
        tlsSecretYaml("client-b", clientCa.issue("gateway b")),
      ].join("---\n"),
    });
  });

  after(async function () {
    await t?.close();
    await new Promise((r) => backend?.server.close(r));
  });

  it("a's and b's routes present their own Gateway's certificate; c's route presents none (503)", async function () {
    await eventually(async () => (await httpGet(port, "a.example.com", "/")).status === 200, 20_000, "a 200 via a");
    const seen: string[] = [];
    for (const host of ["a.example.com", "b.example.com"]) {
      const r = await httpGet(port, host, "/");
      seen.push(`${host} ${r.status} ${r.status === 200 ? (JSON.parse(r.body) as { clientCn: string }).clientCn : ""}`);
    }
    seen.push(`c.example.com ${(await httpGet(port, "c.example.com", "/")).status}`);
    assert.deepEqual(seen, ["a.example.com 200 gateway a", "b.example.com 200 gateway b", "c.example.com 503"]);
  });
});
