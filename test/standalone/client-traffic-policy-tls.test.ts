/**
 * ClientTrafficPolicy `tls` on the wire (real Envoy, standalone): an HTTPS listener, a node TLS client that
 * picks versions, ciphers, ALPN, a client certificate and a saved session, and sends one HTTP/1.1 request.
 * Without a policy: TLS 1.2 and 1.3, h2 preferred, no session resumption (Envoy Gateway's default). With one:
 * versions and ciphers refused, ALPN replaced, resumption on (stateless tickets, stateful session ids),
 * client certificates required or optional, checked by CA, SAN, SPKI and certificate hash, and a CRL; an
 * invalid value is Accepted=False and the routes answer 500 (Envoy never sees it).
 * Certificates are made with openssl in a temporary folder.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type ConnectionOptions } from "node:tls";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { startTcpEcho, type TcpEcho } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, tlsSecretYaml, type KeyPair, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { ACCEPTED_TLS_NAMES } from "../../operator/src/translate/policies/client-traffic-tls";

const HOST = "secure.example.com";

/** What one connection showed. */
interface Conn {
  /** HTTP status of the request, when the exchange completed. */
  readonly status?: number;
  /** Why the connection failed (handshake or afterwards). */
  readonly error?: string;
  readonly protocol?: string | null;
  readonly cipher?: string;
  readonly alpn?: string | false | null;
  /** The session was resumed. */
  readonly reused?: boolean;
  /** The session to resume next time (the last one the server sent). */
  readonly session?: Buffer;
}

/** Client certificates of one CA: a good one, one with the wrong SAN, a revoked one; and the CA's CRL. */
interface ClientPki {
  readonly ca: KeyPair;
  readonly good: KeyPair;
  readonly wrongSan: KeyPair;
  readonly revoked: KeyPair;
  readonly crl: string;
}

function makeClientPki(): ClientPki {
  const dir = mkdtempSync(join(tmpdir(), "egts-ctp-tls-"));
  const ssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const read = (f: string): string => readFileSync(join(dir, f), "utf8");
  try {
    writeFileSync(
      join(dir, "ca.cnf"),
      "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n" +
        "crlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\npolicy = p\n[p]\ncommonName = supplied\n",
    );
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "crlnumber"), "01\n");
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    ssl("req", "-x509", ...ec, "-days", "2", "-subj", "/CN=egts ctp client CA", "-keyout", "ca.key", "-out", "ca.crt");
    const issue = (name: string, dns: string, serial: string): KeyPair => {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${dns}\n`);
      ssl("req", ...ec, "-subj", `/CN=${dns}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
      ssl(
        ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", serial],
        ...["-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`],
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const good = issue("good", "client.example.com", "0x1001");
    const wrongSan = issue("wrong", "intruder.test", "0x1002");
    const revoked = issue("revoked", "client.example.com", "0x1003");
    ssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-revoke", "revoked.crt");
    ssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-gencrl", "-out", "ca.crl");
    return { ca: { cert: read("ca.crt"), key: read("ca.key") }, good, wrongSan, revoked, crl: read("ca.crl") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gatewayYaml(port: number, tlsPort: number): string {
  const listeners = `    - { name: https, protocol: HTTPS, port: ${port}, hostname: ${HOST}, tls: { certificateRefs: [{ name: server-cert }] } }
    - name: tls
      protocol: TLS
      port: ${tlsPort}
      hostname: ${HOST}
      tls: { mode: Terminate, certificateRefs: [{ name: server-cert }] }`;
  return `${gatewayWithListenersYaml(listeners)}---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tls }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
`;
}

/** A policy on Gateway eg with `tls` (YAML lines indented by four spaces). */
function policyYaml(tls: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: tls, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  tls:
${tls}`;
}

describe("standalone: ClientTrafficPolicy tls (real Envoy)", function () {
  this.timeout(180_000);
  let t: TestGateway | undefined;
  let web: EchoBackend | undefined;
  let tcpEcho: TcpEcho | undefined;
  let port = 0;
  let tlsPort = 0;
  let serverCa: TestCa;
  let pki: ClientPki;
  let stranger: KeyPair;

  /** Connects with `o`, sends GET / over HTTP/1.1 (unless ALPN picked h2), reads the answer. */
  const conn = (o: ConnectionOptions = {}): Promise<Conn> =>
    new Promise((resolve) => {
      let session: Buffer | undefined;
      let data = "";
      let shown: Omit<Conn, "status" | "error" | "session"> = {};
      const s = connect({
        host: "127.0.0.1",
        port,
        servername: HOST,
        ca: serverCa.cert,
        ALPNProtocols: ["http/1.1"],
        ...o,
      });
      const done = (extra: Partial<Conn>): void => {
        s.destroy();
        resolve({ ...shown, ...(session ? { session } : {}), ...extra });
      };
      s.setTimeout(5000, () => done({ error: "timeout" }));
      s.on("session", (b: Buffer) => (session = b));
      s.on("secureConnect", () => {
        shown = {
          protocol: s.getProtocol(),
          cipher: s.getCipher().name,
          alpn: s.alpnProtocol,
          reused: s.isSessionReused(),
        };
        if (s.alpnProtocol === "h2") return done({});
        s.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
      });
      s.on("data", (c: Buffer) => (data += c.toString()));
      s.on("end", () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
        // Give a late 'session' event (TLS 1.3 tickets) a moment.
        setTimeout(() => done(m ? { status: Number(m[1]) } : { error: `no HTTP answer: ${data.slice(0, 80)}` }), 50);
      });
      s.on("error", (e: Error) => done({ error: e.message }));
    });
  /** Over the TLS listener (Terminate, TLSRoute to a TCP echo): the echo of "ping", or the error. */
  const echo = (o: ConnectionOptions = {}): Promise<string> =>
    new Promise((resolve) => {
      const s = connect({ host: "127.0.0.1", port: tlsPort, servername: HOST, ca: serverCa.cert, ...o }, () =>
        s.write("ping"),
      );
      const done = (r: string): void => {
        s.destroy();
        resolve(r);
      };
      s.setTimeout(5000, () => done("error: timeout"));
      s.once("data", (d: Buffer) => done(d.toString()));
      s.on("end", () => done("error: closed"));
      s.on("error", (e: Error) => done(`error: ${e.message}`));
    });
  const ok = async (o: ConnectionOptions = {}): Promise<boolean> => (await conn(o)).status === 200;
  const refused = async (o: ConnectionOptions = {}): Promise<boolean> => (await conn(o)).status === undefined;
  const apply = (tls: string): Promise<void> => t?.write("policy.yaml", policyYaml(tls)) ?? Promise.resolve();
  const withCert = (k: KeyPair): ConnectionOptions => ({ cert: k.cert, key: k.key });
  /**
   * Two connections, the second offering the first's session: was it resumed? No session at all (TLS 1.3
   * without a ticket from the server) counts as not resumed.
   */
  const resumed = async (o: ConnectionOptions): Promise<boolean> => {
    const first = await conn(o);
    assert.equal(first.status, 200, first.error);
    if (!first.session) return false;
    const second = await conn({ ...o, session: first.session });
    assert.equal(second.status, 200, second.error);
    return second.reused === true;
  };

  before(async () => {
    serverCa = makeCa("egts ctp tls server CA");
    pki = makeClientPki();
    stranger = makeCa("egts stranger CA").issue("client.example.com");
    web = await startEchoBackend({ name: "web" });
    tcpEcho = await startTcpEcho("tls");
    port = await freePort();
    tlsPort = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port, tlsPort),
      "backend.yaml": `${backendYaml("web", web.port)}---\n${backendYaml("echo", tcpEcho.port)}`,
      "pki.yaml": [
        tlsSecretYaml("server-cert", serverCa.issue(HOST)),
        caConfigMapYaml("client-ca", pki.ca.cert),
        caConfigMapYaml("client-crl", pki.crl, "ca.crl"),
      ].join("---\n"),
    });
    await eventually(() => ok(), 20_000, "the HTTPS route");
    await eventually(async () => (await echo()) === "tls:ping", 20_000, "the TLS route");
  });

  after(async () => {
    await t?.close();
    await web?.close();
    await new Promise((r) => tcpEcho?.server.close(r));
  });

  it("without a policy: TLS 1.2 and 1.3, h2 preferred, and no session resumption (Envoy Gateway's default)", async () => {
    assert.equal((await conn({ maxVersion: "TLSv1.2" })).protocol, "TLSv1.2");
    assert.equal((await conn({ minVersion: "TLSv1.3" })).protocol, "TLSv1.3");
    assert.equal((await conn({ ALPNProtocols: ["h2", "http/1.1"] })).alpn, "h2");
    assert.equal((await conn({ minVersion: "TLSv1.3" })).session, undefined, "no TLS 1.3 ticket issued");
    assert.equal(await resumed({ minVersion: "TLSv1.3" }), false, "TLS 1.3 session not resumed");
    assert.equal(await resumed({ maxVersion: "TLSv1.2" }), false, "TLS 1.2 session refused");
    assert.equal((await conn()).status, 200, "no client certificate needed");
  });

  it("minVersion 1.3: a TLS 1.2 client is refused, TLS 1.3 served", async () => {
    await apply(`    minVersion: "1.3"\n`);
    await eventually(() => refused({ maxVersion: "TLSv1.2" }), 20_000, "TLS 1.2 refused");
    const c = await conn({ minVersion: "TLSv1.3" });
    assert.equal(c.status, 200, c.error);
    assert.equal(c.protocol, "TLSv1.3");
  });

  it("maxVersion 1.2 with ciphers: TLS 1.3 refused, the listed cipher negotiated, another refused", async () => {
    await apply(`    maxVersion: "1.2"\n    ciphers: [ECDHE-ECDSA-AES128-GCM-SHA256]\n`);
    await eventually(() => refused({ minVersion: "TLSv1.3" }), 20_000, "TLS 1.3 refused");
    const c = await conn({ maxVersion: "TLSv1.2" });
    assert.equal(c.status, 200, c.error);
    assert.deepEqual([c.protocol, c.cipher], ["TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"]);
    const other = await conn({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" });
    assert.equal(other.status, undefined, "a client offering only ECDHE-ECDSA-AES256-GCM-SHA384 is refused");
    assert.match(String(other.error), /handshake failure|no shared cipher|alert/i);
  });

  it("alpnProtocols [http/1.1]: a client offering h2 first gets http/1.1", async () => {
    await apply(`    alpnProtocols: [http/1.1]\n`);
    await eventually(
      async () => (await conn({ ALPNProtocols: ["h2", "http/1.1"] })).alpn === "http/1.1",
      20_000,
      "http/1.1",
    );
    assert.equal((await conn({ ALPNProtocols: ["h2", "http/1.1"] })).status, 200);
  });

  it("session.resumption stateless: TLS 1.3 sessions resume with tickets", async () => {
    await apply(`    session: { resumption: { stateless: {} } }\n`);
    await eventually(() => resumed({ minVersion: "TLSv1.3" }), 20_000, "a resumed TLS 1.3 session");
  });

  it("session.resumption stateful: TLS 1.2 sessions resume by session id (no tickets)", async () => {
    await apply(`    session: { resumption: { stateful: {} } }\n`);
    // Tickets off again (the previous policy's): TLS 1.3 gets none, so this policy is in.
    await eventually(async () => (await conn({ minVersion: "TLSv1.3" })).session === undefined, 20_000, "no tickets");
    await eventually(() => resumed({ maxVersion: "TLSv1.2" }), 20_000, "a resumed TLS 1.2 session");
  });

  it("clientValidation: a certificate is required; without one, or from another CA, the request is refused", async () => {
    await apply(`    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n`);
    await eventually(() => refused(), 20_000, "requests without a certificate refused");
    assert.equal((await conn(withCert(pki.good))).status, 200);
    assert.equal((await conn(withCert(stranger))).status, undefined, "a certificate of another CA is refused");
  });

  it("the TLS listener (Terminate) takes the same policy: versions and client certificates", async () => {
    // Without a policy (before): served without a certificate, over TLS 1.2 too.
    await apply(
      `    minVersion: "1.3"\n    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n`,
    );
    const tls12 = { maxVersion: "TLSv1.2", ...withCert(pki.good) } as const;
    await eventually(async () => (await echo(tls12)).startsWith("error: "), 20_000, "TLS 1.2 refused");
    assert.equal(await echo(withCert(pki.good)), "tls:ping");
    assert.match(await echo(), /^error: /, "no certificate: refused");
    assert.match(await echo(withCert(stranger)), /^error: /, "another CA's certificate: refused");
  });

  it("clientValidation optional: served without a certificate and with a good one, not with a bad one", async () => {
    await apply(
      `    clientValidation:\n      optional: true\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n`,
    );
    await eventually(() => ok(), 20_000, "requests without a certificate served");
    assert.equal((await conn(withCert(pki.good))).status, 200);
    assert.equal((await conn(withCert(stranger))).status, undefined, "a presented certificate is still verified");
  });

  it("subjectAltNames: a certificate of the CA with the wrong DNS SAN is refused", async () => {
    await apply(
      `    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n` +
        `      subjectAltNames: { dnsNames: [{ type: Suffix, value: .example.com }] }\n`,
    );
    await eventually(() => refused(withCert(pki.wrongSan)), 20_000, "the wrong SAN refused");
    assert.equal((await conn(withCert(pki.good))).status, 200);
  });

  it("spkiHashes and certificateHashes: only the pinned certificate is served", async () => {
    // The SAN policy before served `good` and refused `wrongSan`: pinning wrongSan's key turns both around.
    const spki = createHash("sha256")
      .update(new X509Certificate(pki.wrongSan.cert).publicKey.export({ type: "spki", format: "der" }))
      .digest("base64");
    await apply(
      `    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n      spkiHashes: ["${spki}"]\n`,
    );
    await eventually(() => refused(withCert(pki.good)), 20_000, "an unpinned key refused");
    assert.equal((await conn(withCert(pki.wrongSan))).status, 200);
    // Certificate hash in the colon-separated form (as openssl and node print fingerprints).
    const hash = new X509Certificate(pki.good.cert).fingerprint256;
    await apply(
      `    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n      certificateHashes: ["${hash}"]\n`,
    );
    await eventually(() => refused(withCert(pki.wrongSan)), 20_000, "an unpinned certificate refused");
    assert.equal((await conn(withCert(pki.good))).status, 200);
  });

  for (const leafOnly of [false, true]) {
    it(`crl${leafOnly ? " (onlyVerifyLeafCertificate)" : ""}: the revoked certificate is refused, the good one served`, async () => {
      await apply(
        `    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n` +
          `      crl: { refs: [{ kind: ConfigMap, name: client-crl }]${leafOnly ? ", onlyVerifyLeafCertificate: true" : ""} }\n`,
      );
      // The previous policy refused `wrongSan` (pinned `good`, or revoked-only): served once the CRL policy is in.
      await eventually(() => ok(withCert(pki.wrongSan)), 20_000, "an unrevoked certificate served");
      assert.equal((await conn(withCert(pki.good))).status, 200);
      const r = await conn(withCert(pki.revoked));
      assert.equal(r.status, undefined, "the revoked certificate is refused");
    });
  }

  it("invalid values: Accepted=False naming the field, the routes answer 500, Envoy keeps serving", async () => {
    await apply(`    ciphers: [TLS_AES_128_GCM_SHA256]\n    minVersion: "1.3"\n    maxVersion: "1.2"\n`);
    await eventually(async () => (await conn()).status === 500, 20_000, "500 from the listener's routes");
    const st = t?.gw.statuses.get("ClientTrafficPolicy", "default", "tls")?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    const accepted = st?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(
      String(accepted?.message),
      /spec\.tls: minVersion must be smaller or equal to maxVersion \(minVersion 1\.3, maxVersion 1\.2\)/,
    );
    assert.match(
      String(accepted?.message),
      /spec\.tls: setting ciphers has no effect if the minimum possible TLS version is 1\.3/,
    );
    assert.match(String(accepted?.message), /spec\.tls\.ciphers: "TLS_AES_128_GCM_SHA256"/);
    // A missing CA Secret: refused the same way.
    await apply(`    clientValidation:\n      caCertificateRefs: [{ name: no-such-secret }]\n`);
    await eventually(
      async () => {
        const s = t?.gw.statuses.get("ClientTrafficPolicy", "default", "tls")?.status as typeof st;
        return /caCertificateRefs\[0\]: Secret default\/no-such-secret not found/.test(
          String(s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted")?.message),
        );
      },
      20_000,
      "the missing Secret reported",
    );
    assert.equal((await conn()).status, 500);
  });

  it("every cipher, curve and signature algorithm egts accepts is taken by Envoy (no NACK) at once", async () => {
    const list = (l: readonly string[]): string => `[${l.map((n) => JSON.stringify(n)).join(", ")}]`;
    await apply(
      `    maxVersion: "1.2"\n    alpnProtocols: [http/1.1]\n    ciphers: ${list(ACCEPTED_TLS_NAMES.ciphers)}\n` +
        `    ecdhCurves: ${list(ACCEPTED_TLS_NAMES.ecdhCurves)}\n` +
        `    signatureAlgorithms: ${list(ACCEPTED_TLS_NAMES.signatureAlgorithms)}\n`,
    );
    // The previous policy was invalid (500, ALPN h2): ALPN http/1.1 shows Envoy took the new listener.
    await eventually(
      async () => (await conn({ ALPNProtocols: ["h2", "http/1.1"] })).alpn === "http/1.1",
      20_000,
      "the listener with every name",
    );
    const c = await conn({ ALPNProtocols: ["h2", "http/1.1"] });
    assert.equal(c.status, 200, c.error);
    assert.equal(c.protocol, "TLSv1.2");
    // The curves' other names (a group named twice is refused: one list of them), on TLS 1.3 to tell the update.
    await apply(`    alpnProtocols: [http/1.1]\n    ecdhCurves: ${list(ACCEPTED_TLS_NAMES.ecdhCurveAliases)}\n`);
    await eventually(async () => (await conn()).protocol === "TLSv1.3", 20_000, "the listener with the aliases");
    assert.equal((await conn()).status, 200);
  });
});
