/**
 * OpenID Provider discovery (operator/src/pipeline/oidc-discovery.ts) against a real HTTPS server with a test CA:
 * the endpoints found, Envoy Gateway's failure messages, redirects, retries of transient statuses, the address
 * guard, and the background refresh that asks the pipeline for a new pass.
 */
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { lastValueFrom, take, timeout } from "rxjs";
import { discoverIssuer, OidcDiscovery } from "../../operator/src/pipeline/oidc-discovery";
import { oidcIssuersToDiscover } from "../../operator/src/translate/oidc-issuers";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { makeCa, caConfigMapYaml } from "../support/pki";

const LOOPBACK = { enabled: false, allow: ["Loopback" as const] };

/** What the test server answers per path: status, body, and an optional Location. */
type Answer = { status: number; body?: string; location?: string };

describe("OIDC discovery (real HTTPS server, test CA)", function () {
  this.timeout(30_000);
  const ca = makeCa("discovery-ca");
  const leaf = ca.issue("localhost");
  const answers = new Map<string, Answer[]>();
  const hits = new Map<string, number>();
  let server: Server;
  let base = "";

  const doc = (path: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      issuer: `${base}${path}`,
      authorization_endpoint: `${base}${path}/auth`,
      token_endpoint: `${base}${path}/token`,
      ...extra,
    });
  /** Answers for `<issuer path>/.well-known/openid-configuration`, in order (the last one repeats). */
  const serve = (path: string, ...list: Answer[]): void => {
    answers.set(`${path}/.well-known/openid-configuration`, list);
  };

  before(async () => {
    server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      const path = req.url ?? "";
      const n = hits.get(path) ?? 0;
      hits.set(path, n + 1);
      const list = answers.get(path) ?? [{ status: 404 }];
      const a = list[Math.min(n, list.length - 1)];
      res.writeHead(a.status, { "content-type": "application/json", ...(a.location ? { location: a.location } : {}) });
      res.end(a.body ?? "");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("finds the authorization, token and end-session endpoints, trusting the given CA", async () => {
    serve("/ok", { status: 200, body: doc("/ok", { end_session_endpoint: `${base}/ok/logout` }) });
    const r = await discoverIssuer({ issuer: `${base}/ok/`, caCertificate: ca.cert }, LOOPBACK);
    assert.deepEqual(r, {
      authorizationEndpoint: `${base}/ok/auth`,
      tokenEndpoint: `${base}/ok/token`,
      endSessionEndpoint: `${base}/ok/logout`,
    });
  });

  it("refuses an untrusted certificate (no CA given: system CAs)", async () => {
    serve("/untrusted", { status: 200, body: doc("/untrusted") });
    const r = await discoverIssuer({ issuer: `${base}/untrusted` }, LOOPBACK);
    assert.ok("error" in r && /certificate/i.test(r.error), JSON.stringify(r));
  });

  it("404 is final with Envoy Gateway's message; a missing token_endpoint is named", async () => {
    const r = await discoverIssuer({ issuer: `${base}/none`, caCertificate: ca.cert }, LOOPBACK);
    assert.deepEqual(r, {
      error: `failed fetching openid-configuration from issuer URL: ${base}/none, status code: 404`,
    });
    serve("/partial", { status: 200, body: JSON.stringify({ authorization_endpoint: `${base}/a` }) });
    const p = await discoverIssuer({ issuer: `${base}/partial`, caCertificate: ca.cert }, LOOPBACK);
    assert.deepEqual(p, {
      error: `invalid openid-configuration from issuer URL ${base}/partial: token_endpoint not found in OpenID configuration`,
    });
  });

  it("retries a transient 503 and succeeds; 501 is not retried", async () => {
    serve("/flaky", { status: 503 }, { status: 503 }, { status: 200, body: doc("/flaky") });
    const r = await discoverIssuer({ issuer: `${base}/flaky`, caCertificate: ca.cert }, LOOPBACK);
    assert.equal("tokenEndpoint" in r && r.tokenEndpoint, `${base}/flaky/token`);
    assert.equal(hits.get("/flaky/.well-known/openid-configuration"), 3);
    serve("/nope", { status: 501 });
    const n = await discoverIssuer({ issuer: `${base}/nope`, caCertificate: ca.cert }, LOOPBACK);
    assert.ok("error" in n && n.error.startsWith("unexpected status code 501"), JSON.stringify(n));
    assert.equal(hits.get("/nope/.well-known/openid-configuration"), 1);
  });

  it("follows up to 3 redirects; a 4th is refused, and so is a redirect to http", async () => {
    const wk = "/.well-known/openid-configuration";
    serve("/r1", { status: 302, location: `/r2${wk}` });
    serve("/r2", { status: 302, location: `/final${wk}` });
    serve("/final", { status: 200, body: doc("/final") });
    const r = await discoverIssuer({ issuer: `${base}/r1`, caCertificate: ca.cert }, LOOPBACK);
    assert.equal("tokenEndpoint" in r && r.tokenEndpoint, `${base}/final/token`);
    for (const i of [1, 2, 3, 4]) serve(`/loop${i}`, { status: 302, location: `/loop${i + 1}${wk}` });
    serve("/loop5", { status: 200, body: doc("/loop5") });
    const l = await discoverIssuer({ issuer: `${base}/loop1`, caCertificate: ca.cert }, LOOPBACK);
    assert.deepEqual(l, { error: "stopped after 3 redirects" });
    serve("/plain", { status: 302, location: `http://localhost:1/x${wk}` });
    const h = await discoverIssuer({ issuer: `${base}/plain`, caCertificate: ca.cert }, LOOPBACK);
    assert.deepEqual(h, { error: "issuer URL must use https scheme" });
  });

  it("refuses a loopback issuer host unless the Backend settings allow Loopback; checks the issuer URL", async () => {
    serve("/guard", { status: 200, body: doc("/guard") });
    const r = await discoverIssuer({ issuer: `${base}/guard`, caCertificate: ca.cert });
    assert.ok(
      "error" in r && /^issuer host "localhost" resolves to blocked address (127\.0\.0\.1|::1)$/.test(r.error),
      JSON.stringify(r),
    );
    const ip = await discoverIssuer({ issuer: `https://127.0.0.1:1/x` });
    assert.deepEqual(ip, { error: "issuer host resolves to blocked address 127.0.0.1" });
    assert.deepEqual(await discoverIssuer({ issuer: "http://idp.example.com" }), {
      error: "issuer URL must use https scheme",
    });
    assert.deepEqual(await discoverIssuer({ issuer: "https://idp.example.com?x=1" }), {
      error: "issuer URL must not include a query",
    });
  });

  it("OidcDiscovery: a failed issuer is retried in the background and the pipeline is told when it changes", async () => {
    serve("/later", { status: 404 }, { status: 200, body: doc("/later") });
    const d = new OidcDiscovery({ backends: LOOPBACK });
    try {
      const issuer = `${base}/later`;
      const twice = lastValueFrom(d.changes$.pipe(take(2), timeout(10_000)), { defaultValue: undefined });
      assert.equal(d.sync(new Map([[issuer, { issuer, caCertificate: ca.cert }]])), true);
      await d.settled();
      assert.ok("error" in (d.results().get(issuer) ?? {}), "the first answer is a 404");
      await twice; // the second change: the retry after 1 s found the document
      assert.equal((d.results().get(issuer) as { tokenEndpoint: string }).tokenEndpoint, `${base}/later/token`);
      assert.equal(d.sync(new Map([[issuer, { issuer, caCertificate: ca.cert }]])), false, "nothing new to fetch");
      d.sync(new Map());
      assert.equal(d.results().size, 0, "an issuer no policy needs is forgotten");
    } finally {
      d.close();
    }
  });

  it("oidcIssuersToDiscover: only providers without both endpoints, with the CA of their Service's BackendTLSPolicy", () => {
    const { objects } = parseManifests(
      "test.yaml",
      `${caConfigMapYaml("idp-ca", ca.cert)}
---
apiVersion: v1
kind: Service
metadata: { name: idp, namespace: default }
spec: { ports: [{ name: https, port: 443 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: idp, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: idp }]
  validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: idp-ca }], hostname: localhost }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: discover, namespace: default }
spec:
  oidc:
    provider: { issuer: "https://idp.example.com", backendRefs: [{ name: idp, port: 443 }] }
    clientID: c
    clientSecret: { name: s }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: explicit, namespace: default }
spec:
  oidc:
    provider:
      issuer: "https://other.example.com"
      authorizationEndpoint: "https://other.example.com/auth"
      tokenEndpoint: "https://other.example.com/token"
    clientID: c
    clientSecret: { name: s }
`,
    );
    const wanted = oidcIssuersToDiscover(snapshotFromObjects(objects));
    assert.deepEqual([...wanted.keys()], ["https://idp.example.com"]);
    assert.equal(wanted.get("https://idp.example.com")?.caCertificate?.trim(), ca.cert.trim());
  });
});
