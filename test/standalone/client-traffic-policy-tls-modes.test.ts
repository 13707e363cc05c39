/**
 * ClientTrafficPolicy `tls.clientValidation.mode`, `allowExpiredCertificate` and `fingerprints` on the wire (real
 * Envoy, standalone): an HTTPS listener whose route copies `%DOWNSTREAM_PEER_SUBJECT%` and `%TLS_JA3_FINGERPRINT%`
 * into request headers the echo backend sends back. Each mode is tried with no client certificate, one of
 * another CA (untrusted) and one of the policy's CA (trusted); an expired certificate of the CA is refused
 * unless allowExpiredCertificate; JA3 fingerprints reach the backend only with `fingerprints: [JA3]`, the same
 * for the same ClientHello and different for another. Invalid combinations are Accepted=False naming the field.
 */
import * as assert from "node:assert/strict";
import { request } from "node:https";
import type { EchoResponse } from "../../operator/src/demo/echo-backend";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { caConfigMapYaml, makeCa, tlsSecretYaml, type KeyPair, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "modes.example.com";

/** What one request showed: the status and the backend's view, or why the connection failed. */
interface Answer {
  readonly status?: number;
  readonly echo?: EchoResponse;
  readonly error?: string;
}

function gatewayYaml(port: number): string {
  const listeners = `    - { name: https, protocol: HTTPS, port: ${port}, hostname: ${HOST}, tls: { certificateRefs: [{ name: server-cert }] } }`;
  return `${gatewayWithListenersYaml(listeners)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules:
    - filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set:
              - { name: x-peer, value: "%DOWNSTREAM_PEER_SUBJECT%" }
              - { name: x-ja3, value: "%TLS_JA3_FINGERPRINT%" }
              - { name: x-ja4, value: "%TLS_JA4_FINGERPRINT%" }
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
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

/** clientValidation with the client CA and `extra` lines (indented by six spaces). */
function validation(extra: string): string {
  return `    clientValidation:\n      caCertificateRefs: [{ kind: ConfigMap, name: client-ca }]\n${extra}`;
}

describe("standalone: ClientTrafficPolicy tls modes, expired certificates, JA3 and JA4 (real Envoy)", function () {
  this.timeout(180_000);
  let t: TestGateway | undefined;
  let web: EchoBackend | undefined;
  let port = 0;
  let serverCa: TestCa;
  let clientCa: TestCa;
  let trusted: KeyPair;
  let untrusted: KeyPair;
  let expired: KeyPair;

  /** GET / with `cert` (none when absent); `ciphers` narrows the ClientHello (another JA3). */
  const get = (cert?: KeyPair, ciphers?: string): Promise<Answer> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          servername: HOST,
          path: "/",
          headers: { host: HOST },
          ca: serverCa.cert,
          agent: false,
          ...(cert ? { cert: cert.cert, key: cert.key } : {}),
          ...(ciphers ? { ciphers, maxVersion: "TLSv1.2" as const } : {}),
          timeout: 5000,
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => {
            let echo: EchoResponse | undefined;
            try {
              echo = JSON.parse(body) as EchoResponse;
            } catch {
              echo = undefined;
            }
            resolve({ status: res.statusCode, ...(echo ? { echo } : {}) });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e: Error) => resolve({ error: e.message }));
      req.end();
    });
  const apply = (tls: string): Promise<void> => t?.write("policy.yaml", policyYaml(tls)) ?? Promise.resolve();
  const served = async (cert?: KeyPair): Promise<boolean> => (await get(cert)).status === 200;
  const accepted = (): { status: string; message: string } | undefined => {
    const st = t?.gw.statuses.get("ClientTrafficPolicy", "default", "tls")?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    return st?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  before(async () => {
    serverCa = makeCa("egts ctp modes server CA");
    clientCa = makeCa("egts ctp modes client CA");
    trusted = clientCa.issue("trusted.client");
    expired = clientCa.issueExpired("expired.client");
    untrusted = makeCa("egts ctp modes stranger CA").issue("untrusted.client");
    web = await startEchoBackend({ name: "web" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backend.yaml": backendYaml("web", web.port),
      "pki.yaml": [
        tlsSecretYaml("server-cert", serverCa.issue(HOST)),
        caConfigMapYaml("client-ca", clientCa.cert),
      ].join("---\n"),
    });
    await eventually(() => served(), 20_000, "the HTTPS route");
  });

  after(async () => {
    await t?.close();
    await web?.close();
  });

  /** Per mode: served [no certificate, untrusted, trusted]; `peer` is the subject Envoy saw from `untrusted`. */
  const MODES: readonly [string, readonly [boolean, boolean, boolean]][] = [
    ["RequireAndVerify", [false, false, true]],
    ["VerifyIfGiven", [true, false, true]],
    ["RequireAny", [false, true, true]],
    ["Request", [true, true, true]],
  ];
  for (const [mode, [none, bad, good]] of MODES) {
    it(`mode ${mode}: no certificate ${none ? "served" : "refused"}, untrusted ${bad ? "served" : "refused"}, trusted ${good ? "served" : "refused"}`, async () => {
      await apply(validation(`      mode: ${mode}\n`));
      // Each row differs from the previous one in at least one of the three: wait for all three.
      await eventually(
        async () => (await served()) === none && (await served(untrusted)) === bad && (await served(trusted)) === good,
        20_000,
        `mode ${mode} in force`,
      );
      const t1 = await get(trusted);
      assert.equal(t1.echo?.headers["x-peer"], "CN=trusted.client", "Envoy saw the trusted certificate");
      if (bad) {
        const u = await get(untrusted);
        assert.equal(u.echo?.headers["x-peer"], "CN=untrusted.client", "the untrusted certificate was asked for");
      }
      if (!none) assert.ok((await get()).error, "refused in the handshake");
      assert.equal(accepted()?.status, "True");
    });
  }

  it("mode Request needs no caCertificateRefs; RequireAny without them is Accepted=False (Envoy would not require)", async () => {
    await apply(`    clientValidation: { mode: Request }\n`);
    await eventually(
      async () => (await get(untrusted)).echo?.headers["x-peer"] === "CN=untrusted.client",
      20_000,
      "Request without a CA",
    );
    assert.equal(await served(), true, "no certificate: served");
    await apply(`    clientValidation: { mode: RequireAny }\n`);
    await eventually(async () => accepted()?.status === "False", 20_000, "RequireAny without a CA refused");
    assert.match(String(accepted()?.message), /^spec\.tls\.clientValidation\.mode: RequireAny needs caCertificateRefs/);
    await eventually(async () => (await get()).status === 500, 20_000, "500 from the listener's routes");
  });

  it("optional: true without mode behaves as VerifyIfGiven, with a DeprecatedField Warning", async () => {
    await apply(validation(`      optional: true\n`));
    await eventually(async () => (await served()) && !(await served(untrusted)), 20_000, "VerifyIfGiven in force");
    assert.equal(await served(trusted), true);
    const st = t?.gw.statuses.get("ClientTrafficPolicy", "default", "tls")?.status as
      { ancestors?: { conditions: { type: string; reason: string; message: string }[] }[] } | undefined;
    const warning = st?.ancestors?.[0]?.conditions.find((c) => c.type === "Warning");
    assert.equal(warning?.reason, "DeprecatedField");
    assert.match(
      String(warning?.message),
      /spec\.tls\.clientValidation\.optional is deprecated, use spec\.tls\.clientValidation\.mode/,
    );
  });

  it("allowExpiredCertificate: an expired certificate of the CA is refused without it, served with it", async () => {
    await apply(validation(`      mode: RequireAndVerify\n`));
    await eventually(async () => !(await served()), 20_000, "RequireAndVerify in force");
    assert.equal(await served(trusted), true);
    const refused = await get(expired);
    assert.ok(refused.error, `the expired certificate is refused (got ${refused.status})`);
    await apply(validation(`      mode: RequireAndVerify\n      allowExpiredCertificate: true\n`));
    await eventually(() => served(expired), 20_000, "the expired certificate served");
    assert.equal((await get(expired)).echo?.headers["x-peer"], "CN=expired.client");
    assert.equal(await served(untrusted), false, "an untrusted certificate is still refused");
    assert.equal(await served(), false, "no certificate is still refused");
  });

  it("allowExpiredCertificate with mode RequireAny: Accepted=False naming the field, the routes answer 500", async () => {
    await apply(validation(`      mode: RequireAny\n      allowExpiredCertificate: true\n`));
    await eventually(async () => (await get(trusted)).status === 500, 20_000, "500 from the listener's routes");
    assert.equal(accepted()?.status, "False");
    assert.equal(
      accepted()?.message,
      "spec.tls.clientValidation.allowExpiredCertificate: allowExpiredCertificate can only be set when mode is VerifyIfGiven or RequireAndVerify",
    );
  });

  it("fingerprints [JA3]: the backend gets the JA3 hash, stable per ClientHello, different for another", async () => {
    await apply(`    minVersion: "1.2"\n`);
    await eventually(async () => (await get()).status === 200, 20_000, "served without validation");
    const before = (await get()).echo?.headers["x-ja3"];
    assert.ok(before === undefined || !/^[0-9a-f]{32}$/.test(String(before)), `no JA3 without fingerprints: ${before}`);
    await apply(`    minVersion: "1.2"\n    fingerprints: [JA3]\n`);
    const ja3 = async (ciphers?: string): Promise<string> =>
      String((await get(undefined, ciphers)).echo?.headers["x-ja3"]);
    await eventually(async () => /^[0-9a-f]{32}$/.test(await ja3()), 20_000, "a JA3 hash at the backend");
    const a = await ja3();
    assert.equal(await ja3(), a, "the same ClientHello gives the same fingerprint");
    const b = await ja3("ECDHE-ECDSA-AES128-GCM-SHA256");
    assert.match(b, /^[0-9a-f]{32}$/);
    assert.notEqual(b, a, "another cipher list gives another fingerprint");
    assert.equal(await ja3("ECDHE-ECDSA-AES128-GCM-SHA256"), b);
  });

  it("fingerprints [JA4]: the backend gets the JA4 fingerprint (and no JA3), different for another ClientHello", async () => {
    const JA4 = /^[tqd](1[0-3]|s[23])[di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
    const ja4 = async (ciphers?: string): Promise<string> =>
      String((await get(undefined, ciphers)).echo?.headers["x-ja4"]);
    await apply(`    minVersion: "1.2"\n`);
    await eventually(async () => !JA4.test(await ja4()), 20_000, "no JA4 without fingerprints");
    await apply(`    minVersion: "1.2"\n    fingerprints: [JA4]\n`);
    await eventually(async () => JA4.test(await ja4()), 20_000, "a JA4 fingerprint at the backend");
    const a = await ja4();
    assert.match(a, /^t13d/, "TLS 1.3 over TCP, SNI given");
    assert.equal(await ja4(), a, "the same ClientHello gives the same fingerprint");
    const b = await ja4("ECDHE-ECDSA-AES128-GCM-SHA256");
    assert.match(b, JA4);
    assert.notEqual(b, a, "another cipher list gives another fingerprint");
    const ja3 = String((await get()).echo?.headers["x-ja3"]);
    assert.ok(!/^[0-9a-f]{32}$/.test(ja3), `JA3 stays off with fingerprints [JA4]: ${ja3}`);
  });
});
