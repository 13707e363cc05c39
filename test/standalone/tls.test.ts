/**
 * HTTPS and TLS listeners against real Envoy, with certificates this test makes with openssl:
 * SNI picks the listener's certificate (exact and wildcard), client certificate validation from the
 * Gateway's frontend TLS settings, and TLS passthrough to a backend that presents its own certificate.
 */
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer as createTlsServer, type Server } from "node:tls";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { EXAMPLES_CONFIG, startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet, tlsExchange } from "../support/tls-client";

interface Ports {
  readonly https: number;
  readonly mtls: number;
  readonly tls: number;
  readonly bad: number;
}

function gatewayYaml(p: Ports): string {
  const frontendTls = `  tls:
    frontend:
      default: {}
      perPort:
        - port: ${p.mtls}
          tls: { validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: client-ca }] } }
`;
  const listeners = `    - name: exact
      protocol: HTTPS
      port: ${p.https}
      hostname: a.example.com
      tls: { certificateRefs: [{ name: a-cert }] }
    - name: wildcard
      protocol: HTTPS
      port: ${p.https}
      hostname: "*.example.com"
      tls: { certificateRefs: [{ name: wild-cert }] }
    - { name: mtls, protocol: HTTPS, port: ${p.mtls}, tls: { certificateRefs: [{ name: wild-cert }] } }
    - { name: pass, protocol: TLS, port: ${p.tls}, tls: { mode: Passthrough } }
    - { name: bad, protocol: HTTPS, port: ${p.bad}, tls: { certificateRefs: [{ name: nope }] } }`;
  return `${gatewayWithListenersYaml(listeners, frontendTls)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: pass, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: pass }]
  hostnames: [pass.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tls-backend }] }]
`;
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  let err = "";
  await eventually(
    async () => {
      try {
        last = await fn();
        return ok(last);
      } catch (e) {
        err = (e as Error).message;
        return false;
      }
    },
    20_000,
    what,
  ).catch((e: Error) => assert.fail(`${e.message}; last: ${JSON.stringify(last) ?? err}`));
  return last as T;
}

describe("HTTPS and TLS listeners (real Envoy)", function () {
  let t: TestGateway;
  let ports: Ports;
  let ca: TestCa;
  let backendCa: TestCa;
  let web: EchoBackend;
  let tlsBackend: Server;

  before(async function () {
    ca = makeCa("egts tls test CA");
    backendCa = makeCa("egts tls backend CA");
    const a = ca.issue("a.example.com");
    const wild = ca.issue("*.example.com");
    const backendCert = backendCa.issue("pass.example.com");
    web = await startEchoBackend({ name: "web" });
    tlsBackend = createTlsServer({ cert: backendCert.cert, key: backendCert.key }, (s) => {
      s.on("data", (d: Buffer) => s.write(`backend:${d.toString()}`));
    });
    const tlsBackendPort = await freePort();
    await new Promise<void>((r) => tlsBackend.listen(tlsBackendPort, "127.0.0.1", r));
    ports = { https: await freePort(), mtls: await freePort(), tls: await freePort(), bad: await freePort() };
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(ports),
      "backends.yaml": `${backendYaml("web", web.port)}---\n${backendYaml("tls-backend", tlsBackendPort)}`,
      "secrets.yaml": `${tlsSecretYaml("a-cert", a)}---\n${tlsSecretYaml("wild-cert", wild)}`,
      "ca.yaml": caConfigMapYaml("client-ca", ca.cert),
    });
  });

  after(async function () {
    await t?.close();
    await web?.close();
    await new Promise((r) => tlsBackend?.close(r));
  });

  it("SNI a.example.com gets the exact listener's certificate and reaches the route's backend", async function () {
    const r = await until(
      "HTTPS for a.example.com",
      () => httpsGet(ports.https, "a.example.com", ca.cert),
      (v) => v.status === 200,
    );
    assert.equal(r.peer.subject.CN, "a.example.com");
    assert.equal(JSON.parse(r.body).backend, "web");
  });

  it("SNI b.example.com gets the wildcard certificate", async function () {
    const r = await until(
      "HTTPS for b.example.com",
      () => httpsGet(ports.https, "b.example.com", ca.cert),
      (v) => v.status === 200,
    );
    assert.equal(r.peer.subject.CN, "*.example.com");
    assert.equal(r.peer.subjectaltname, "DNS:*.example.com");
  });

  it("a Host that belongs to another HTTPS listener of the port than the SNI chose gets 421 Misdirected Request", async function () {
    await until(
      "HTTPS for a.example.com",
      () => httpsGet(ports.https, "a.example.com", ca.cert),
      (v) => v.status === 200,
    );
    // A coalesced HTTP/2 connection: SNI chose the wildcard listener, the Host is the exact listener's.
    const toExact = await httpsGet(ports.https, "b.example.com", ca.cert, { headers: { host: "a.example.com" } });
    assert.equal(toExact.status, 421);
    const toWildcard = await httpsGet(ports.https, "a.example.com", ca.cert, { headers: { host: "c.example.com" } });
    assert.equal(toWildcard.status, 421);
    const nobody = await httpsGet(ports.https, "a.example.com", ca.cert, { headers: { host: "c.other.org" } });
    assert.equal(nobody.status, 404, "a Host no listener of the port owns");
  });

  it("an SNI no listener covers is refused", async function () {
    await assert.rejects(httpsGet(ports.https, "nope.other.org", ca.cert));
  });

  it("client certificate validation: refused without a client certificate, served with one from the CA", async function () {
    const client = ca.issue("client");
    await until(
      "mTLS with a client cert",
      () => httpsGet(ports.mtls, "c.example.com", ca.cert, { client }),
      (v) => v.status === 200,
    );
    await assert.rejects(httpsGet(ports.mtls, "c.example.com", ca.cert));
    const stranger = makeCa("egts stranger CA").issue("client");
    await assert.rejects(httpsGet(ports.mtls, "c.example.com", ca.cert, { client: stranger }));
  });

  it("TLS passthrough: the client sees the backend's own certificate and talks to it", async function () {
    const r = await until(
      "TLS passthrough",
      () => tlsExchange(ports.tls, "pass.example.com", backendCa.cert, "hello"),
      (v) => v.reply === "backend:hello",
    );
    assert.equal(r.peer.subject.CN, "pass.example.com");
    assert.equal(r.peer.issuer.CN, "egts tls backend CA");
  });

  it("a listener whose Secret is missing is ResolvedRefs False InvalidCertificateRef and not programmed", function () {
    const s = t.gw.statuses.get("Gateway", "default", "eg")?.status as {
      listeners: { name: string; conditions: { type: string; status: string; reason: string; message: string }[] }[];
    };
    const bad = s.listeners.find((l) => l.name === "bad");
    const cond = (type: string): string => {
      const c = bad?.conditions.find((x) => x.type === type);
      return `${c?.status} ${c?.reason}`;
    };
    assert.equal(cond("ResolvedRefs"), "False InvalidCertificateRef");
    assert.equal(cond("Programmed"), "False Invalid");
    assert.match(bad?.conditions.find((c) => c.type === "ResolvedRefs")?.message ?? "", /default\/nope not found/);
  });
});

describe("examples/https (real Envoy)", function () {
  let t: TestGateway;
  let web: EchoBackend;
  let http: number;
  let https: number;

  before(async function () {
    web = await startEchoBackend({ name: "demo-backend" });
    http = await freePort();
    https = await freePort();
    const port = (p: number): string => (p === 8080 ? String(http) : p === 8443 ? String(https) : String(web.port));
    const example = (await readFile("examples/https/https.yaml", "utf8")).replace(/\b(8080|8443|3000)\b/g, (m) =>
      port(Number(m)),
    );
    t = await startTestGateway(
      {
        "https.yaml": example,
        "wildcard-cert.yaml": await readFile("examples/https/wildcard-cert.yaml", "utf8"),
      },
      { backends: loadEnvoyGatewayConfig(EXAMPLES_CONFIG).backends },
    );
  });

  after(async function () {
    await t?.close();
    await web?.close();
  });

  it("HTTPS serves www.example.com with the example's wildcard certificate", async function () {
    const cert = await readFile("examples/https/wildcard-cert.yaml", "utf8");
    const pem = Buffer.from(/tls\.crt: (\S+)/.exec(cert)?.[1] ?? "", "base64").toString();
    const r = await until(
      "the example over HTTPS",
      () => httpsGet(https, "www.example.com", pem),
      (v) => v.status === 200,
    );
    assert.equal(r.peer.subject.CN, "*.example.com");
    assert.equal(JSON.parse(r.body).backend, "demo-backend");
  });

  it("HTTP redirects to the HTTPS port", async function () {
    const r = await until(
      "the redirect",
      () => httpGet(http, "www.example.com", "/get"),
      (v) => v.status === 301,
    );
    assert.equal(r.headers.location, `https://www.example.com:${https}/get`);
  });
});
