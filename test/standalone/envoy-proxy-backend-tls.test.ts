/**
 * EnvoyProxy `backendTLS` against real Envoy: an HTTPS backend that requires a client certificate (reached through a
 * BackendTLSPolicy) answers with the EnvoyProxy's certificate, over the TLS version its `maxVersion` caps (counted
 * by Envoy's cluster ssl stats); a Gateway's own `spec.tls.backend` wins over it; a reference to a missing Secret
 * makes the Gateway not accepted with Envoy Gateway's message.
 */
import assert from "node:assert/strict";
import type { Server } from "node:https";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { httpRouteYaml, classWithEnvoyProxyYaml, httpListenerYaml } from "../support/manifests";
import { MTLS_BACKEND_HOST, mtlsServiceYaml, startMtlsBackend } from "../support/mtls-backend";
import { caConfigMapYaml, makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const PROXY_CN = "egts envoyproxy client";
const GATEWAY_CN = "egts gateway client";

/** Class `eg` with EnvoyProxy default/proxy presenting `secret`, TLS at most 1.2; Gateway eg (its own `tls`). */
function classAndGateway(port: number, secret: string, gatewayTls = ""): string {
  const spec = `  backendTLS:\n    clientCertificateRef: { name: ${secret} }\n    maxVersion: "1.2"`;
  return classWithEnvoyProxyYaml(spec, httpListenerYaml(port), gatewayTls);
}

describe("EnvoyProxy backendTLS (real Envoy, mTLS backend)", function () {
  let t: TestGateway;
  let port: number;
  let backend: { server: Server; port: number };

  before(async function () {
    const serverCa = makeCa("egts backend server CA");
    const clientCa = makeCa("egts backend client CA");
    backend = await startMtlsBackend(serverCa, clientCa);
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": classAndGateway(port, "proxy-client"),
      "backend.yaml": `${mtlsServiceYaml(backend.port)}---
${httpRouteYaml("secure", "secure.example.com", "    - backendRefs: [{ name: secure, port: 443 }]")}`,
      "pki.yaml": [
        caConfigMapYaml("backend-ca", serverCa.cert),
        tlsSecretYaml("proxy-client", clientCa.issue(PROXY_CN)),
        tlsSecretYaml("gateway-client", clientCa.issue(GATEWAY_CN)),
      ].join("---\n"),
    });
  });
  after(async function () {
    await t?.close();
    await new Promise((r) => backend?.server.close(r));
  });

  async function clientCn(): Promise<string | undefined> {
    const r = await httpGet(port, "secure.example.com", "/");
    return r.status === 200 ? (JSON.parse(r.body) as { clientCn?: string }).clientCn : `status ${r.status}`;
  }

  function accepted(): Condition | undefined {
    const s = t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions?: Condition[] } | undefined;
    return s?.conditions?.find((c) => c.type === "Accepted");
  }

  it("presents the EnvoyProxy's client certificate, over TLS 1.2 (its maxVersion)", async function () {
    let last: string | undefined;
    await eventually(async () => (last = await clientCn()) === PROXY_CN, 15_000, "the mTLS backend's 200").catch(
      (e: Error) => assert.fail(`${e.message}; last: ${last}`),
    );
    assert.equal((await httpGet(port, "secure.example.com", "/")).body.includes(MTLS_BACKEND_HOST), true);
    const admin = await t.gw.runner?.adminUrl("default/eg");
    const stats = await (await fetch(`${admin}/stats?filter=ssl\\.versions`)).text();
    const count = (v: string): number =>
      [...stats.matchAll(new RegExp(`^cluster\\.[^\\n]*\\.ssl\\.versions\\.${v}: (\\d+)$`, "gm"))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    assert.ok(count("TLSv1\\.2") > 0, `handshakes over TLS 1.2:\n${stats}`);
    assert.equal(count("TLSv1\\.3"), 0, "none over TLS 1.3");
  });

  it("a Gateway's spec.tls.backend wins over the EnvoyProxy's", async function () {
    const tls = "  tls:\n    backend:\n      clientCertificateRef: { name: gateway-client }\n";
    await t.write("gateway.yaml", classAndGateway(port, "proxy-client", tls));
    await eventually(async () => (await clientCn()) === GATEWAY_CN, 15_000, "the Gateway's certificate");
  });

  it("a reference to a missing Secret: the Gateway is not accepted, with Envoy Gateway's message", async function () {
    await t.write("gateway.yaml", classAndGateway(port, "absent"));
    await eventually(async () => accepted()?.status === "False", 15_000, "Accepted False");
    assert.equal(accepted()?.reason, "InvalidParameters");
    assert.match(
      accepted()?.message ?? "",
      /^failed to locate TLS secret for client auth: .*default\/absent not found/,
    );
  });
});
