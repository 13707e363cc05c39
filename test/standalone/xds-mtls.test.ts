/**
 * xDS over mTLS with certificates from certgen: real Envoy presents its own per-Gateway certificate and gets
 * its configuration; a client without a certificate, or with one from another CA, is refused; and a
 * certificate for one Gateway never gets another Gateway's configuration.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import {
  generateControlPlaneCerts,
  issueProxyCertificate,
  proxyTlsFiles,
  readCertificateAuthority,
  writeCertDir,
  writeProxyCertDir,
} from "../../operator/src/certgen/certgen";
import { buildBootstrap } from "../../operator/src/infra/bootstrap";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { tryStream } from "../support/xds-stream";
import { startTestGateway, type TestGateway } from "../support/standalone";

describe("xDS over mTLS (certgen certificates, real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let echo: EchoBackend;
  let certDir: string;

  before(async function () {
    certDir = await mkdtemp(join(tmpdir(), "egts-certs-"));
    writeCertDir(certDir, generateControlPlaneCerts("envoy-gateway-system"));
    echo = await startEchoBackend({ name: "secure-xds" });
    port = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "backend.yaml": backendYaml("app", echo.port),
        "route.yaml": routeYaml("app", "www.example.com", "app"),
      },
      { xdsCertDir: certDir },
    );
  });
  after(async () => {
    await t?.close();
    await echo?.close();
  });

  it("Envoy presents its client certificate, gets its configuration and serves", async () => {
    await eventually(
      async () => (await httpGet(port, "www.example.com").catch(() => undefined))?.status === 200,
      15_000,
      "Envoy serving over the mTLS-configured xDS",
    );
    const r = await httpGet(port, "www.example.com");
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { backend: string }).backend, "secure-xds");
  });

  it("refuses a client without a certificate and one whose certificate another CA signed", async () => {
    const other = generateControlPlaneCerts("envoy-gateway-system");
    const ca = await readFile(join(certDir, "ca.crt"));
    const trusting = (cert?: { cert: string; key: string }): grpc.ChannelCredentials =>
      grpc.credentials.createSsl(ca, cert ? Buffer.from(cert.key) : null, cert ? Buffer.from(cert.cert) : null);
    const proxy = issueProxyCertificate(readCertificateAuthority(certDir), "default/eg");
    // The proxy's own certificate gets through TLS: the server answers at the xDS level (no node id).
    const ok = await tryStream(t.gw.xdsPort, trusting(proxy));
    assert.notEqual(ok, grpc.status.UNAVAILABLE, "a client with the proxy certificate is let in");
    assert.equal(await tryStream(t.gw.xdsPort, trusting()), grpc.status.UNAVAILABLE, "no client certificate");
    const foreign = issueProxyCertificate({ ...other.ca, commonName: "envoy-gateway-ca" }, "default/eg");
    assert.equal(await tryStream(t.gw.xdsPort, trusting(foreign)), grpc.status.UNAVAILABLE, "another CA");
    const plain = await tryStream(t.gw.xdsPort, grpc.credentials.createInsecure());
    assert.equal(plain, grpc.status.UNAVAILABLE, "plaintext client");
  });

  it("refuses real Envoy whose certificate is for another Gateway's node id, and counts it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "egts-other-node-"));
    // A valid certificate from the right CA, but for Gateway default/other: it asks for default/eg.
    writeProxyCertDir(
      dir,
      await readFile(join(certDir, "ca.crt"), "utf8"),
      issueProxyCertificate(readCertificateAuthority(certDir), "default/other"),
    );
    const [adminPort] = [await freePort()];
    const bootstrap = buildBootstrap({
      nodeId: "default/eg",
      xdsHost: "127.0.0.1",
      xdsPort: t.gw.xdsPort,
      adminPort,
      xdsTls: proxyTlsFiles(dir),
    });
    await writeFile(join(dir, "bootstrap.json"), JSON.stringify(bootstrap));
    const before = t.gw.server.stats().refused;
    const envoy = spawn(requireEnvoy(), ["-c", join(dir, "bootstrap.json"), "--use-dynamic-base-id"], {
      stdio: "ignore",
    });
    try {
      await eventually(async () => t.gw.server.stats().refused > before, 15_000, "the server refusing the stream");
      assert.ok(
        t.logs.some((l) => l.includes("xds stream refused") && l.includes("default/eg")),
        "the refusal is logged with the node id",
      );
      const listeners = await (await fetch(`http://127.0.0.1:${adminPort}/listeners?format=json`)).json();
      assert.deepEqual((listeners as { listener_statuses?: unknown[] }).listener_statuses ?? [], [], "no listeners");
      const dump = await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).text();
      assert.ok(!dump.includes(`"port_value": ${port}`), "Gateway default/eg's listener never reached it");
    } finally {
      envoy.kill("SIGKILL");
    }
  });
});
