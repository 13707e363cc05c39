/**
 * BackendTLSPolicy and ReferenceGrant against real Envoy: TLS to an HTTPS backend whose certificate is
 * signed by a CA this test generates with openssl, and cross-namespace backendRefs allowed by a grant.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** A CA and a server certificate for `host` signed by it, as PEM. */
interface Pki {
  readonly ca: string;
  readonly otherCa: string;
  readonly key: string;
  readonly cert: string;
}

function makePki(host: string): Pki {
  const dir = mkdtempSync(join(tmpdir(), "egts-pki-"));
  const ssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  try {
    for (const ca of ["ca", "other-ca"]) {
      ssl(
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=egts test ${ca}`],
        ...["-keyout", `${ca}.key`, "-out", `${ca}.crt`],
      );
    }
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${host}`, "-keyout", "server.key", "-out", "server.csr");
    const ext = join(dir, "san.ext");
    execFileSync("sh", ["-c", `printf 'subjectAltName=DNS:${host}\\n' > ${ext}`]);
    ssl(
      ...["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
      ...["-days", "2", "-extfile", ext, "-out", "server.crt"],
    );
    const read = (f: string): string => readFileSync(join(dir, f), "utf8");
    return { ca: read("ca.crt"), otherCa: read("other-ca.crt"), key: read("server.key"), cert: read("server.crt") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTPS backend that answers with the SNI the client sent. */
async function startHttpsBackend(pki: Pki): Promise<{ server: Server; port: number }> {
  const server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const sni = (req.socket as TLSSocket).servername;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ backend: "https-backend", sni }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

/** Service + EndpointSlice `ns/name` on port `svcPort`, pointing at 127.0.0.1:`target`. */
function serviceYaml(ns: string, name: string, svcPort: number, portName: string, target: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  ports: [{ name: ${portName}, port: ${svcPort}, targetPort: ${target} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: ${ns}
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: ${portName}, port: ${target} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
}

function routeYaml(name: string, host: string, backend: { ns: string; name: string; port: number }): string {
  return httpRouteYaml(
    name,
    host,
    `    - backendRefs: [{ name: ${backend.name}, namespace: ${backend.ns}, port: ${backend.port} }]`,
  );
}

function caYaml(pem: string): string {
  const indented = pem.trim().split("\n").join("\n    ");
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: backend-ca, namespace: default }
data:
  ca.crt: |
    ${indented}
`;
}

const POLICY = `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: secure-tls, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: secure, sectionName: https }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }]
    hostname: backend.example.com
`;

const GRANT = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: routes-from-default, namespace: other }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default }]
  to: [{ group: "", kind: Service, name: echo }]
`;

interface AncestorStatus {
  readonly ancestorRef: { readonly name: string };
  readonly conditions: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

describe("BackendTLSPolicy and ReferenceGrant (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  let pki: Pki;
  let https: { server: Server; port: number };
  let echo: EchoBackend;

  before(async function () {
    pki = makePki("backend.example.com");
    https = await startHttpsBackend(pki);
    echo = await startEchoBackend({ name: "other-echo" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "tls.yaml": [
        serviceYaml("default", "secure", 443, "https", https.port),
        routeYaml("secure", "tls.example.com", { ns: "default", name: "secure", port: 443 }),
        POLICY,
      ].join("---\n"),
      "ca.yaml": caYaml(pki.ca),
      "cross.yaml": [
        serviceYaml("other", "echo", 80, "http", echo.port),
        routeYaml("cross", "cross.example.com", { ns: "other", name: "echo", port: 80 }),
      ].join("---\n"),
      "grant.yaml": GRANT,
    });
  });

  after(async function () {
    await t?.close();
    await echo?.close();
    await new Promise((r) => https?.server.close(r));
  });

  function policyAncestors(): AncestorStatus[] {
    const s = t.gw.statuses.get("BackendTLSPolicy", "default", "secure-tls");
    return (s?.status as { ancestors?: AncestorStatus[] } | undefined)?.ancestors ?? [];
  }

  it("Envoy connects over TLS with the policy's SNI and CA; the policy is Accepted on Gateway eg", async function () {
    let last = "";
    await eventually(
      async () => {
        const r = await httpGet(port, "tls.example.com", "/");
        last = `${r.status} ${r.body}`;
        return r.status === 200;
      },
      15_000,
      "a 200 through the TLS backend",
    ).catch((e: Error) => assert.fail(`${e.message}; last response: ${last}`));
    const r = await httpGet(port, "tls.example.com", "/");
    assert.deepEqual(JSON.parse(r.body), { backend: "https-backend", sni: "backend.example.com" });
    const [a] = policyAncestors();
    assert.equal(a?.ancestorRef.name, "eg");
    assert.deepEqual(
      a.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`),
      ["Accepted=True Accepted", "ResolvedRefs=True ResolvedRefs"],
    );
  });

  it("a CA that did not sign the backend certificate makes requests fail with 503", async function () {
    await t.write("ca.yaml", caYaml(pki.otherCa));
    await eventually(async () => (await httpGet(port, "tls.example.com", "/")).status === 503, 15_000, "503");
    assert.equal(policyAncestors()[0]?.conditions[0]?.status, "True", "the policy itself is valid");
  });

  it("a missing CA ConfigMap: 503, and the status names the ConfigMap", async function () {
    await t.remove("ca.yaml");
    await eventually(
      async () => policyAncestors()[0]?.conditions[1]?.reason === "InvalidCACertificateRef",
      15_000,
      "ResolvedRefs InvalidCACertificateRef",
    );
    const [accepted, resolved] = policyAncestors()[0].conditions;
    assert.equal(`${accepted.status} ${accepted.reason}`, "False NoValidCACertificate");
    assert.match(resolved.message, /ConfigMap default\/backend-ca not found/);
    await eventually(async () => (await httpGet(port, "tls.example.com", "/")).status === 503, 15_000, "503");
  });

  it("a cross-namespace backendRef is served while a ReferenceGrant allows it, and gets 500 once it is removed", async function () {
    await eventually(async () => (await httpGet(port, "cross.example.com", "/")).status === 200, 15_000, "200");
    assert.equal(JSON.parse((await httpGet(port, "cross.example.com", "/")).body).backend, "other-echo");
    await t.remove("grant.yaml");
    await eventually(async () => (await httpGet(port, "cross.example.com", "/")).status === 500, 15_000, "500");
    const route = t.gw.statuses.get("HTTPRoute", "default", "cross");
    assert.match(JSON.stringify(route?.status), /RefNotPermitted/);
    assert.match(JSON.stringify(route?.status), /no ReferenceGrant in namespace other/);
  });
});
