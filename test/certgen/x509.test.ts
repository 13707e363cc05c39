/** Issued certificates parse, chain to their CA (checked by Node and by openssl), and carry the SANs asked for. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateControlPlaneCerts, issueProxyCertificate, needsReissue } from "../../operator/src/certgen/certgen";
import { nodeIdsOfSubjectAltName } from "../../operator/src/xds/server";

describe("certgen: X.509 issuing", () => {
  const certs = generateControlPlaneCerts("envoy-gateway-system");
  const ca = new X509Certificate(certs.ca.cert);
  const controller = new X509Certificate(certs.controller.cert);
  const authority = { ...certs.ca, commonName: "envoy-gateway-ca" };
  const proxyCert = issueProxyCertificate(authority, "default/eg");
  const proxy = new X509Certificate(proxyCert.cert);

  it("issues a CA that signs the controller and proxy certificates", () => {
    assert.equal(ca.ca, true);
    assert.equal(controller.ca, false);
    assert.ok(controller.verify(ca.publicKey), "controller certificate signed by the CA");
    assert.ok(proxy.verify(ca.publicKey), "proxy certificate signed by the CA");
    assert.ok(controller.checkIssued(ca));
    assert.equal(controller.issuer, "CN=envoy-gateway-ca");
  });

  it("puts the Service DNS names and 127.0.0.1 in the controller certificate", () => {
    assert.ok(controller.checkHost("envoy-gateway.envoy-gateway-system.svc.cluster.local"));
    assert.ok(controller.checkHost("envoy-gateway"));
    assert.ok(controller.checkIP("127.0.0.1"));
    assert.equal(controller.checkHost("other.example.com"), undefined);
  });

  it("is accepted by openssl verify with the purposes each side needs", () => {
    const dir = mkdtempSync(join(tmpdir(), "egts-x509-"));
    for (const [name, pem] of Object.entries({
      ca: certs.ca.cert,
      controller: certs.controller.cert,
      proxy: proxyCert.cert,
    }))
      writeFileSync(join(dir, `${name}.pem`), pem);
    const verify = (file: string, purpose: string): string =>
      execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, "ca.pem"), join(dir, file)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    assert.match(verify("controller.pem", "sslserver"), /OK/);
    assert.match(verify("proxy.pem", "sslclient"), /OK/);
    assert.throws(() => verify("proxy.pem", "sslserver"), "the proxy certificate is for clients only");
  });
});

describe("certgen: per-proxy identities", () => {
  const certs = generateControlPlaneCerts("envoy-gateway-system");
  const authority = { ...certs.ca, commonName: "envoy-gateway-ca" };

  it("names the node id in a URI SAN, and only that node id", () => {
    const cert = new X509Certificate(issueProxyCertificate(authority, "team-a/web").cert);
    assert.equal(cert.subjectAltName, "URI:spiffe://gateway.envoyproxy.io/node/team-a/web");
    assert.deepEqual(nodeIdsOfSubjectAltName(cert.subjectAltName), ["team-a/web"]);
    assert.deepEqual(nodeIdsOfSubjectAltName("DNS:envoy, DNS:*.envoy-gateway-system"), [], "the shared cert");
    assert.deepEqual(nodeIdsOfSubjectAltName(undefined), []);
  });

  it("asks for re-issue when missing, for another node, from another CA, or with a third of its life left", () => {
    const pem = issueProxyCertificate(authority, "default/eg", 30).cert;
    assert.equal(needsReissue(pem, certs.ca.cert, "default/eg"), false);
    assert.equal(needsReissue(undefined, certs.ca.cert, "default/eg"), true);
    assert.equal(needsReissue("garbage", certs.ca.cert, "default/eg"), true);
    assert.equal(needsReissue(pem, certs.ca.cert, "default/other"), true);
    assert.equal(needsReissue(pem, generateControlPlaneCerts("x").ca.cert, "default/eg"), true);
    assert.equal(needsReissue(pem, certs.ca.cert, "default/eg", Date.now() + 19 * 86_400_000), false);
    assert.equal(needsReissue(pem, certs.ca.cert, "default/eg", Date.now() + 21 * 86_400_000), true);
  });
});
