/**
 * xDS certificates rotate without a restart: `egts certgen --local DIR` re-run over the folder a running
 * standalone gateway uses (a new CA and new server certificate). The host runner re-issues each proxy's
 * client certificate from the new CA, Envoy reloads it over file-based SDS, the xDS server reloads its own
 * key pair and trust, and configuration changes keep reaching the same Envoy process.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import {
  generateControlPlaneCerts,
  issueProxyCertificate,
  readCertificateAuthority,
  writeCertDir,
  xdsServerCredentials,
} from "../../operator/src/certgen/certgen";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { tryStream } from "../support/xds-stream";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Serial numbers of the client certificate and CA Envoy uses now (admin /certs). */
async function envoyCertSerials(adminUrl: string): Promise<{ cert: string; ca: string }> {
  type Entry = { serial_number: string };
  const body = (await (await fetch(`${adminUrl}/certs`)).json()) as {
    certificates: { ca_cert?: Entry[]; cert_chain?: Entry[] }[];
  };
  const first = body.certificates.find((c) => (c.cert_chain?.length ?? 0) > 0);
  return { cert: first?.cert_chain?.[0]?.serial_number ?? "", ca: first?.ca_cert?.[0]?.serial_number ?? "" };
}

const serial = (pem: string): string => new X509Certificate(pem).serialNumber.toLowerCase();

describe("xDS certificate rotation (certgen re-run, real Envoy, no restart)", function () {
  let t: TestGateway;
  let port: number;
  let echo: EchoBackend;
  let certDir: string;

  before(async function () {
    certDir = await mkdtemp(join(tmpdir(), "egts-rotate-"));
    writeCertDir(certDir, generateControlPlaneCerts("envoy-gateway-system"));
    echo = await startEchoBackend({ name: "rotate" });
    port = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "backend.yaml": backendYaml("app", echo.port),
        "route.yaml": routeYaml("app", "www.example.com", "app"),
      },
      { xdsCertDir: certDir },
    );
    await eventually(
      async () => (await httpGet(port, "www.example.com").catch(() => undefined))?.status === 200,
      15_000,
      "Envoy serving over mTLS xDS",
    );
  });
  after(async () => {
    await t?.close();
    await echo?.close();
  });

  it("reloads both sides after a new CA, and xDS changes still reach the same Envoy", async () => {
    const runner = t.gw.runner;
    assert.ok(runner);
    const pid = runner.list()[0]?.pid;
    const admin = await runner.adminUrl("default/eg");
    const before = await envoyCertSerials(admin);
    assert.equal(before.ca, serial(await readFile(join(certDir, "ca.crt"), "utf8")));

    writeCertDir(certDir, generateControlPlaneCerts("envoy-gateway-system")); // certgen re-run: new CA
    const newCa = serial(await readFile(join(certDir, "ca.crt"), "utf8"));
    assert.notEqual(newCa, before.ca);

    // Envoy: a new client certificate and the new CA, loaded over SDS.
    await eventually(
      async () => {
        const now = await envoyCertSerials(admin);
        return now.ca === newCa && now.cert !== before.cert && now.cert !== "";
      },
      20_000,
      "Envoy to load the re-issued client certificate and the new CA",
      200,
    );
    // Server: trusts the new CA and refuses the old one, for new connections.
    const ca = await readFile(join(certDir, "ca.crt"));
    const fresh = issueProxyCertificate(readCertificateAuthority(certDir), "default/eg");
    const creds = grpc.credentials.createSsl(ca, Buffer.from(fresh.key), Buffer.from(fresh.cert));
    await eventually(
      async () => (await tryStream(t.gw.xdsPort, creds)) !== grpc.status.UNAVAILABLE,
      20_000,
      "the xDS server to serve the new certificate and trust the new CA",
      200,
    );

    // Drop Envoy's xDS connection (made with the old certificates): it must reconnect with the new ones.
    await t.gw.server.stop(100);
    await t.gw.server.start(`127.0.0.1:${t.gw.xdsPort}`, { credentials: xdsServerCredentials(certDir) });
    // A change reaches the running Envoy over its new connection.
    await t.write("route.yaml", routeYaml("app", "www.example.com", "app", { responseHeader: ["x-rotated", "yes"] }));
    await eventually(
      async () => (await httpGet(port, "www.example.com").catch(() => undefined))?.headers["x-rotated"] === "yes",
      15_000,
      "the route change after rotation",
    );
    assert.equal(runner.list()[0]?.pid, pid, "the same Envoy process");
    assert.equal(runner.list()[0]?.restarts, 0);
  });
});
