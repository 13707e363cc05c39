/**
 * The Wasm module cache (operator/src/pipeline/wasm-cache.ts) and OCI client (pipeline/oci-client.ts) against real
 * peers: an HTTPS file server with a test CA (the policy's `tls.caCertificateRef`), and the distribution registry
 * with htpasswd auth (`bash scripts/install-registry.sh`; a pull secret's `.dockerconfigjson`). Envoy Gateway's
 * messages, the disk cache reused under IfNotPresent and bypassed under Always, tar+gzip unwrapping, image
 * reference parsing, and the module server's 404 for paths it does not serve; in Kubernetes, HTTPS that only
 * the proxies' client certificates get an answer from, and the same serving path on every replica.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialsFor, parseImageRef, pullWasmImage } from "../../operator/src/pipeline/oci-client";
import {
  certificateAuthority,
  generateControlPlaneCerts,
  issueProxyCertificate,
  writeCertDir,
} from "../../operator/src/certgen/certgen";
import { controllerWasmCache } from "../../operator/src/pipeline/controller";
import { fetchToDisk, WasmCache } from "../../operator/src/pipeline/wasm-cache";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import {
  wasmSourceKey,
  wasmSourcesToFetch,
  type WasmModules,
  type WasmSourceRequest,
} from "../../operator/src/translate/wasm-sources";
import { freePort } from "../support/http";
import { ControlPlaneMetrics } from "../../operator/src/metrics/control-plane";
import { parseExposition, valueOf } from "../support/prometheus";
import { gzipTar, pushWasmImage, startRegistry, type TestRegistry } from "../support/oci-registry";
import { makeCa } from "../support/pki";
import { httpsGet } from "../support/tls-client";

/** The smallest valid Wasm module: magic and version. */
const MODULE = Buffer.from("0061736d01000000", "hex");
const MODULE_SHA = createHash("sha256").update(MODULE).digest("hex");
/** The controller's namespace. */
const NS = "envoy-gateway-system";

function httpRequest(url: string, extra: Partial<Omit<WasmSourceRequest, "key">> = {}): WasmSourceRequest {
  const base = { type: "HTTP" as const, url, pullPolicy: "IfNotPresent" as const, ...extra };
  return { key: wasmSourceKey(base), ...base };
}

describe("Wasm module cache and OCI client (real HTTPS server, real registry)", function () {
  this.timeout(30_000);
  const ca = makeCa("wasm-ca");
  const leaf = ca.issue("localhost");
  const hits = new Map<string, number>();
  let server: Server;
  let base = "";
  let dir = "";
  let registry: TestRegistry | undefined;

  /** A policy whose module is `${base}/m.wasm`, trusting the test CA (Secret `wasm-ca`). */
  const policySnapshot = (): ResourceSnapshot =>
    snapshotFromObjects(
      parseManifests(
        "wasm.yaml",
        `apiVersion: v1
kind: Secret
metadata: { name: wasm-ca, namespace: default }
stringData:
  ca.crt: |
    ${ca.cert.trim().split("\n").join("\n    ")}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: p, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  wasm:
    - code: { type: HTTP, http: { url: "${base}/m.wasm", tls: { caCertificateRef: { name: wasm-ca } } } }
`,
      ).objects,
    );

  before(async () => {
    server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      const path = req.url ?? "";
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const body = { "/m.wasm": MODULE, "/m.tar.gz": gzipTar("plugin.wasm", MODULE), "/text": Buffer.from("hi") }[path];
      res.writeHead(body ? 200 : 404).end(body ?? "");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://localhost:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), "egts-wasm-cache-"));
  });
  after(async () => {
    server.close();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("fetches over HTTPS trusting the given CA, checks the sha256, and reuses the disk copy (IfNotPresent)", async () => {
    const req = httpRequest(`${base}/m.wasm`, { sha256: MODULE_SHA, caCertificate: ca.cert });
    const first = await fetchToDisk(req, dir);
    assert.equal(first.sha256, MODULE_SHA);
    const before = hits.get("/m.wasm");
    const again = await fetchToDisk(req, dir);
    assert.deepEqual(again, first);
    assert.equal(hits.get("/m.wasm"), before, "no second download");
    await fetchToDisk(httpRequest(`${base}/m.wasm`, { caCertificate: ca.cert, pullPolicy: "Always" }), dir);
    assert.equal(hits.get("/m.wasm"), (before ?? 0) + 1, "Always downloads again");
  });

  it("says which digests differ, refuses non-Wasm bodies, untrusted servers and 404s (Envoy Gateway's messages)", async () => {
    const wrong = "cd".repeat(32);
    await assert.rejects(fetchToDisk(httpRequest(`${base}/m.wasm`, { sha256: wrong, caCertificate: ca.cert }), dir), {
      message: `module downloaded from ${base}/m.wasm has checksum ${MODULE_SHA}, which does not match: ${wrong}`,
    });
    await assert.rejects(fetchToDisk(httpRequest(`${base}/text`, { caCertificate: ca.cert }), dir), {
      message: `fetched Wasm binary from ${base}/text is invalid`,
    });
    await assert.rejects(fetchToDisk(httpRequest(`${base}/m.wasm`), dir), /could not fetch Wasm binary: .*certificate/);
    await assert.rejects(fetchToDisk(httpRequest(`${base}/nope`, { caCertificate: ca.cert }), dir), {
      message: "could not fetch Wasm binary: wasm module download request failed: status code 404",
    });
  });

  it("unwraps plugin.wasm from a tar.gz download", async () => {
    const r = await fetchToDisk(httpRequest(`${base}/m.tar.gz`, { caCertificate: ca.cert }), dir);
    assert.equal(r.sha256, MODULE_SHA);
  });

  it("pulls from a registry that wants credentials, with a pull secret's .dockerconfigjson only", async () => {
    registry = await startRegistry({ name: "puller", password: "s3cret" });
    const digest = await pushWasmImage(registry, { repository: "private/plugin", tag: "v1" }, MODULE);
    const image = `${registry.host}/private/plugin:v1`;
    const dockerConfigJson = JSON.stringify({ auths: { [registry.host]: { username: "puller", password: "s3cret" } } });
    const pulled = await pullWasmImage(image, { dockerConfigJson });
    assert.deepEqual(pulled, { module: MODULE, manifestSha256: digest });
    const byDigest = await pullWasmImage(`${registry.host}/private/plugin@sha256:${digest}`, { dockerConfigJson });
    assert.equal(byDigest.manifestSha256, digest);
    await assert.rejects(pullWasmImage(image), /asks for credentials and no pull secret gives any/);
    const wrong = JSON.stringify({
      auths: { [registry.host]: { auth: Buffer.from("puller:nope").toString("base64") } },
    });
    await assert.rejects(pullWasmImage(image, { dockerConfigJson: wrong }), /could not fetch manifest .*status 401/);
  });

  it("serves what it fetched to Envoy at an unguessable path, 404 elsewhere, and asks for a new pass", async () => {
    const metrics = new ControlPlaneMetrics();
    const cache = new WasmCache({ dir, port: await freePort(), metrics });
    try {
      await cache.prepare(snapshotFromObjects([]));
      assert.equal(cache.modules(), undefined, "no policy needs a module: no server, no results");
      const snapshot = policySnapshot();
      const [req] = wasmSourcesToFetch(snapshot).values();
      assert.equal(req?.caCertificate, ca.cert);
      const changed = new Promise<void>((r) => cache.changes$.subscribe(() => r()));
      await cache.prepare(snapshot);
      await changed;
      const modules = cache.modules();
      const result = modules?.results.get(req.key);
      assert.ok(result && "path" in result, JSON.stringify(result));
      assert.equal(result.sha256, MODULE_SHA);
      const served = await fetch(`${modules?.servingBase}/${result.path}`);
      assert.equal(served.status, 200);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), MODULE);
      assert.equal((await fetch(`${modules?.servingBase}/${MODULE_SHA}.wasm`)).status, 404);
      // Envoy Gateway's wasm_* metrics: one module held, found on disk (an earlier test fetched it) or fetched.
      const m = parseExposition(await metrics.registry.metrics());
      assert.equal(valueOf(m, "wasm_cache_entries"), 1);
      assert.equal(valueOf(m, "wasm_cache_lookup_total"), 1);
      const hit = valueOf(m, "wasm_cache_lookup_total", { hit: "true" }) === 1;
      assert.equal(valueOf(m, "wasm_remote_fetch_total", { status: "success" }), hit ? 0 : 1);
    } finally {
      await cache.close();
    }
  });

  it("counts failed fetches by Envoy Gateway's reason: checksum_mismatched, download_error", async () => {
    const metrics = new ControlPlaneMetrics();
    const cache = new WasmCache({ dir, port: await freePort(), metrics });
    try {
      const wrong = httpRequest(`${base}/m.wasm`, {
        sha256: "0".repeat(64),
        caCertificate: ca.cert,
        pullPolicy: "Always",
      });
      const missing = httpRequest(`${base}/nope`, { caCertificate: ca.cert, pullPolicy: "Always" });
      cache.sync(new Map([wrong, missing].map((r) => [r.key, r])));
      await cache.settled();
      const m = parseExposition(await metrics.registry.metrics());
      const failed = (reason: string): number => valueOf(m, "wasm_remote_fetch_total", { status: "failure", reason });
      assert.deepEqual([failed("checksum_mismatched"), failed("download_error")], [1, 1]);
      assert.equal(valueOf(m, "wasm_cache_entries"), 0);
    } finally {
      await cache.close();
    }
  });

  it("in Kubernetes serves over HTTPS to the proxies' client certificates only, at one path on every replica", async () => {
    const certDir = await mkdtemp(join(tmpdir(), "egts-wasm-certs-"));
    const certs = generateControlPlaneCerts(NS);
    writeCertDir(certDir, certs);
    const client = issueProxyCertificate(certificateAuthority(certs.ca.cert, certs.ca.key), "default/eg");
    const stranger = makeCa("stranger").issue("proxy");
    const ports = [await freePort(), await freePort()];
    const replica = (port: number): WasmCache =>
      controllerWasmCache({
        wasm: { cacheDir: join(dir, "k8s"), listen: `127.0.0.1:${port}` },
        namespace: NS,
        certDir,
        proxiesHaveCertificates: true,
        log: () => undefined,
      });
    const replicas = ports.map(replica);
    try {
      const snapshot = policySnapshot();
      const [req] = wasmSourcesToFetch(snapshot).values();
      const salt = Buffer.from("the OIDC HMAC secret");
      for (const r of replicas) {
        await r.prepare(snapshot);
        await r.settled();
        await r.prepare(snapshot, salt); // the salt arrives with a later snapshot: paths move
      }
      const [a, b] = replicas.map((r) => r.modules());
      const path = (m: WasmModules | undefined): string => {
        const result = m?.results.get(req?.key ?? "");
        return result && "path" in result ? result.path : "";
      };
      assert.notEqual(path(a), "");
      assert.equal(path(a), path(b), "both replicas serve the module at the same path");
      const host = `envoy-gateway.${NS}.svc.cluster.local`;
      assert.equal(a?.servingBase, `https://${host}:18002`);
      assert.equal(a?.servingTls?.sni, host);
      assert.ok(a?.servingTls?.sdsFiles, "wasm_cluster presents the proxy's xDS certificate (file-based SDS)");
      const port = ports[1] ?? 0;
      const got = await httpsGet(port, host, certs.ca.cert, { path: `/${path(b)}`, client });
      assert.equal(got.status, 200);
      assert.ok(got.bytes.equals(MODULE));
      await assert.rejects(httpsGet(port, host, certs.ca.cert, { path: `/${path(b)}` }), "no client certificate");
      await assert.rejects(
        httpsGet(port, host, certs.ca.cert, { path: `/${path(b)}`, client: stranger }),
        "a certificate of another CA",
      );
    } finally {
      for (const r of replicas) await r.close();
      await rm(certDir, { recursive: true, force: true });
    }
  });

  it("parses image references as Docker does, and finds credentials by registry host", () => {
    assert.deepEqual(parseImageRef("oci://127.0.0.1:5000/a/b:v1"), {
      registry: "127.0.0.1:5000",
      repository: "a/b",
      reference: "v1",
    });
    assert.deepEqual(parseImageRef("plugin"), {
      registry: "registry-1.docker.io",
      repository: "library/plugin",
      reference: "latest",
    });
    assert.deepEqual(parseImageRef("ghcr.io/o/p@sha256:abc"), {
      registry: "ghcr.io",
      repository: "o/p",
      reference: "sha256:abc",
    });
    const json = JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: "dTpw" } } });
    assert.equal(credentialsFor(json, "registry-1.docker.io"), "dTpw");
    assert.equal(credentialsFor(json, "ghcr.io"), undefined);
  });
});
