/**
 * Backend `spec.tls` protocol parameters (Envoy Gateway's BackendTLSConfig) against real Envoy: HTTPS backends with
 * fixed TLS versions, one ECDH curve or ALPN report what Envoy negotiated. Without parameters Envoy Gateway's
 * versions apply (1.2 to 1.3: a TLS 1.3-only backend is reached, where Envoy's own client maximum, 1.2, fails);
 * minVersion 1.3 against a TLS 1.2-only backend fails (503); a cipher restriction is the suite the backend sees;
 * ecdhCurves reaches a backend that only takes P-384 (Envoy's default curves do not); alpnProtocols is what the
 * backend is offered (Envoy's http/1.1 fallback by default for HTTP/1 backends).
 */
import assert from "node:assert/strict";
import { createServer, type Server, type ServerOptions } from "node:https";
import type { TLSSocket } from "node:tls";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, routeYaml, tlsBackendYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "params.backend.example.com";

/** What a backend saw of the TLS handshake. */
interface Seen {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly alpn: string | false | null;
}

/** An HTTPS server on 127.0.0.1 with `options` (versions, curves, ALPN) answering what it negotiated. */
async function tlsServer(ca: TestCa, options: ServerOptions): Promise<{ server: Server; port: number }> {
  const pair = ca.issue(HOST);
  const server = createServer({ key: pair.key, cert: pair.cert, ...options }, (req, res) => {
    const s = req.socket as TLSSocket;
    const seen: Seen = { protocol: s.getProtocol(), cipher: s.getCipher().name, alpn: s.alpnProtocol };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(seen));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

const CA = `caCertificateRefs: [{ group: "", kind: ConfigMap, name: params-ca }]\nsni: ${HOST}`;

describe("Backend TLS parameters (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  const servers: Server[] = [];

  before(async function () {
    const ca = makeCa("egts backend params CA");
    const tls12 = await tlsServer(ca, { maxVersion: "TLSv1.2", ALPNProtocols: ["http/1.0", "http/1.1"] });
    const tls13 = await tlsServer(ca, { minVersion: "TLSv1.3" });
    const p384 = await tlsServer(ca, { ecdhCurve: "P-384", maxVersion: "TLSv1.2" });
    servers.push(tls12.server, tls13.server, p384.server);
    port = await freePort();
    const backend = (name: string, target: number, extra = ""): string =>
      tlsBackendYaml(name, target, extra ? `${CA}\n${extra}` : CA) +
      "---\n" +
      routeYaml(name, `${name}.example.com`, name);
    const yaml = [
      backend("defaults-13", tls13.port),
      backend("defaults-12", tls12.port),
      backend("min13", tls12.port, `minVersion: "1.3"`),
      backend("cipher", tls12.port, `maxVersion: "1.2"\nciphers: [ECDHE-ECDSA-AES256-GCM-SHA384]`),
      backend("alpn", tls12.port, "alpnProtocols: [http/1.0]"),
      backend("p384-default", p384.port),
      backend("p384", p384.port, "ecdhCurves: [P-384, P-256]"),
    ];
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": yaml.join("---\n"),
      "pki.yaml": caConfigMapYaml("params-ca", ca.cert),
    });
    await eventually(async () => (await httpGet(port, "defaults-12.example.com")).status === 200, 20_000, "the route");
  });

  after(async function () {
    await t?.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  /** The status through `name`'s route and, on 200, what its backend negotiated. */
  async function call(name: string): Promise<{ status: number; seen?: Seen }> {
    const r = await httpGet(port, `${name}.example.com`);
    return r.status === 200 ? { status: 200, seen: JSON.parse(r.body) as Seen } : { status: r.status };
  }

  it("no parameters: Envoy Gateway's 1.2 to 1.3, so a TLS 1.3-only backend and a TLS 1.2-only one are reached", async function () {
    assert.equal((await call("defaults-13")).seen?.protocol, "TLSv1.3");
    assert.equal((await call("defaults-12")).seen?.protocol, "TLSv1.2");
  });

  it("minVersion 1.3 against a TLS 1.2-only backend: no handshake, 503", async function () {
    assert.equal((await call("min13")).status, 503);
  });

  it("ciphers: the backend negotiates the one suite offered (not its own first choice)", async function () {
    assert.equal((await call("defaults-12")).seen?.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
    assert.equal((await call("cipher")).seen?.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
  });

  it("alpnProtocols: the backend is offered http/1.0 only; by default an HTTP/1 backend is offered http/1.1", async function () {
    assert.equal((await call("alpn")).seen?.alpn, "http/1.0");
    assert.equal((await call("defaults-12")).seen?.alpn, "http/1.1");
  });

  it("ecdhCurves P-384 (and P-256, its certificate's curve) reaches a P-384-only backend; Envoy's default curves do not (503)", async function () {
    assert.equal((await call("p384")).status, 200);
    assert.equal((await call("p384-default")).status, 503);
  });

  it("every Backend is Accepted", function () {
    for (const name of ["defaults-13", "defaults-12", "min13", "cipher", "alpn", "p384-default", "p384"]) {
      const status = t.gw.statuses.get("Backend", "default", name)?.status as
        { conditions: { type: string; status: string }[] } | undefined;
      assert.equal(status?.conditions.find((c) => c.type === "Accepted")?.status, "True", name);
    }
  });
});
