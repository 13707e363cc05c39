/**
 * SecurityPolicy `jwt` on the wire (real Envoy, standalone, an echo backend), one route and policy per case:
 * - remote JWKS over HTTPS: a test server on 127.0.0.1 with a `localhost` certificate from a test CA, reached
 *   through a Service/EndpointSlice and a BackendTLSPolicy with that CA, serving an RS256 and an ES256 key →
 *   tokens signed by either pass with `sub` and a nested claim copied into headers the backend sees (and the token
 *   forwarded); expired, wrong issuer, bad signature and missing tokens get 401 with Envoy's messages, a wrong
 *   audience 403;
 * - local JWKS, inline and from a ConfigMap; the ConfigMap rewritten with a new key → the new key's tokens pass
 *   and the old key's fail, same Envoy process;
 * - extractFrom: a header with a value prefix, a cookie, a query parameter (and not the default header);
 * - `optional`: no token passes, a bad token 401; `failOpen`: a bad token passes, a valid one still has its
 *   claims copied;
 * - remote JWKS with cacheDuration 1s: keys rotated on the server take effect after Envoy fetches again;
 * - a JWKS server that is down: 401 (fail closed), never 2xx;
 * - a route without a policy on the same listener is not checked (a garbage token passes).
 * Envoy fetches remote key sets when the listener is created and waits for the fetches (async_fetch), so the
 * gateway's start budget covers the fetch timeouts.
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { startJwksServer, JWKS_PATH, type JwksServer } from "../support/jwks-server";
import { bearer, jwksJson, makeSigningKey, signToken, type TestSigningKey, type TokenClaims } from "../support/jwt";
import { serviceYaml } from "../support/manifests";
import { startSecurityGateway } from "../support/security";

const ISSUER = "https://issuer.egts.test";
const AUDIENCE = "egts-api";

/** A ConfigMap `default/<name>` with the key set under `jwks`. */
function jwksConfigMap(name: string, json: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: default }
data:
  jwks: '${json}'
`;
}

/** ConfigMap `jwks-ca` with the CA, and a BackendTLSPolicy on Services `jwks` and `jwks-rot` verifying `hostname`. */
function tlsYaml(caPem: string, hostname: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: jwks-ca, namespace: default }
data:
  ca.crt: |
    ${caPem.trim().split("\n").join("\n    ")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: jwks-tls, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: jwks }, { group: "", kind: Service, name: jwks-rot }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: jwks-ca }]
    hostname: ${hostname}
`;
}

/** A provider fetching keys from `uri` through Service `service` port 443 (`extra`: more remoteJWKS fields). */
function remoteProvider(name: string, uri: string, service: string, extra = ""): string {
  return `      - name: ${name}
        issuer: ${ISSUER}
        audiences: [${AUDIENCE}]
        remoteJWKS: { uri: "${uri}", backendRefs: [{ name: ${service}, port: 443 }], failedRefetchDuration: 1s${extra} }
        claimToHeaders: [{ header: x-sub, claim: sub }, { header: x-tenant, claim: org.tenant }]`;
}

/** A provider with an inline key set. */
function inlineProvider(json: string): string {
  return `      - name: inline
        issuer: ${ISSUER}
        localJWKS: { type: Inline, inline: '${json}' }
        claimToHeaders: [{ header: x-sub, claim: sub }]`;
}

/** The rotating provider's extra remoteJWKS fields: a 1 s cache, and a fetch timeout and retry. */
const ROTATING =
  ", cacheDuration: 1s, backendSettings: { timeout: { http: { requestTimeout: 5s } }, retry: { numRetries: 2, " +
  "perRetry: { backOff: { baseInterval: 100ms, maxInterval: 1s } } } }";

describe("SecurityPolicy jwt (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let jwks: JwksServer | undefined;
  let rotating: JwksServer | undefined;
  let rsa: TestSigningKey;
  let ec: TestSigningKey;
  let local: TestSigningKey;
  let cmKey: TestSigningKey;
  let rotated: TestSigningKey;
  let stranger: TestSigningKey;
  let served: TestSigningKey;

  before(async () => {
    rsa = await makeSigningKey("RS256", "rsa-1");
    ec = await makeSigningKey("ES256", "ec-1");
    local = await makeSigningKey("ES256", "local-1");
    cmKey = await makeSigningKey("RS256", "cm-1");
    rotated = await makeSigningKey("ES256", "cm-2");
    // Same kid as the served RSA key, another key: its signatures do not verify.
    stranger = await makeSigningKey("RS256", "rsa-1");
    served = await makeSigningKey("ES256", "served-2");
    jwks = await startJwksServer(jwksJson([rsa, ec]));
    rotating = await startJwksServer(jwksJson([rsa]), { ca: jwks.ca });
    const down = await freePort();
    const uri = `https://${jwks.hostname}:${jwks.port}${JWKS_PATH}`;
    const rotatingUri = `https://${rotating.hostname}:${rotating.port}${JWKS_PATH}`;
    const inline = jwksJson([local]);
    g = await startSecurityGateway(
      {
        remote: `  jwt:\n    providers:\n${remoteProvider("remote", uri, "jwks")}`,
        inline: `  jwt:\n    providers:\n${inlineProvider(inline)}`,
        configmap: `  jwt:
    providers:
      - name: cm
        issuer: ${ISSUER}
        localJWKS: { type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: jwks-cm } }`,
        optional: `  jwt:\n    optional: true\n    providers:\n${inlineProvider(inline)}`,
        "fail-open": `  jwt:\n    failOpen: true\n    providers:\n${inlineProvider(inline)}`,
        rotating: `  jwt:\n    providers:\n${remoteProvider("rot", rotatingUri, "jwks-rot", ROTATING)}`,
        extract: `  jwt:
    providers:
      - name: extract
        issuer: ${ISSUER}
        localJWKS: { type: Inline, inline: '${inline}' }
        claimToHeaders: [{ header: x-sub, claim: sub }]
        recomputeRoute: true
        extractFrom:
          headers: [{ name: x-token, valuePrefix: "Token " }]
          cookies: [session]
          params: [jwt]`,
        down: `  jwt:\n    providers:\n${remoteProvider("down", `https://localhost:${down}${JWKS_PATH}`, "jwks-down")}`,
      },
      {
        "jwks.yaml": [
          serviceYaml("jwks", 443, [{ port: jwks.port }]),
          serviceYaml("jwks-down", 443, [{ port: down }]),
          serviceYaml("jwks-rot", 443, [{ port: rotating.port }]),
          tlsYaml(jwks.ca.cert, jwks.hostname),
        ].join("---\n"),
        "jwks-cm.yaml": jwksConfigMap("jwks-cm", jwksJson([cmKey])),
      },
    );
  });
  after(async () => {
    await g?.close();
    await jwks?.close();
    await rotating?.close();
  });

  const send = (name: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), "/", { headers });
  const withToken = async (name: string, key: TestSigningKey, c: TokenClaims = {}): Promise<HttpResult> =>
    send(name, bearer(await signToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: "alice", ...c })));
  /** The request headers the echo backend saw. */
  const upstream = (r: HttpResult): Record<string, string> =>
    (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  const accepted = (name: string): string | undefined => {
    const s = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string }[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted")?.status;
  };
  const envoyPid = (): number | undefined => (g as PolicyGateway).t.gw.runner?.list()[0]?.pid;

  it("every policy is accepted", () => {
    for (const name of ["remote", "inline", "configmap", "optional", "fail-open", "rotating", "extract", "down"])
      assert.equal(accepted(name), "True", name);
  });

  it("remote JWKS over HTTPS: RS256 and ES256 tokens pass with claims copied into headers", async () => {
    for (const key of [rsa, ec]) {
      const token = await signToken(key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: `sub-${key.alg}`,
        claims: { org: { tenant: "acme" } },
      });
      const r = await send("remote", bearer(token));
      assert.equal(r.status, 200, `${key.alg}: ${r.body}`);
      assert.equal(upstream(r)["x-sub"], `sub-${key.alg}`);
      assert.equal(upstream(r)["x-tenant"], "acme");
      assert.equal(upstream(r).authorization, `Bearer ${token}`, "the token is forwarded");
    }
    assert.ok((jwks as JwksServer).fetches >= 1, "Envoy fetched the key set from the test server");
  });

  it("remote JWKS: expired, wrong issuer, bad signature and missing tokens get 401, wrong audience 403", async () => {
    const cases: [string, Promise<HttpResult>, number, RegExp][] = [
      ["expired", withToken("remote", rsa, { expiresInS: -120 }), 401, /Jwt is expired/],
      ["wrong issuer", withToken("remote", rsa, { issuer: "https://other.test" }), 401, /Jwt issuer is not configured/],
      // Envoy answers an audience mismatch with 403 (the token is authentic but not meant for this API).
      ["wrong audience", withToken("remote", ec, { audience: "other" }), 403, /Audiences in Jwt are not allowed/],
      ["bad signature", withToken("remote", stranger), 401, /Jwt verification fails/],
      ["no token", send("remote"), 401, /Jwt is missing/],
    ];
    for (const [what, pending, status, body] of cases) {
      const r = await pending;
      assert.equal(r.status, status, `${what}: ${r.body}`);
      assert.match(r.body, body, what);
    }
  });

  it("local JWKS inline and from a ConfigMap: valid tokens pass, others 401", async () => {
    const inline = await withToken("inline", local);
    assert.equal(inline.status, 200, inline.body);
    assert.equal(upstream(inline)["x-sub"], "alice");
    assert.equal((await withToken("inline", rsa)).status, 401);
    assert.equal((await withToken("configmap", cmKey)).status, 200);
    assert.equal((await withToken("configmap", local)).status, 401);
  });

  it("a route without a policy is not checked, even with a garbage token", async () => {
    const r = await send("probe", bearer("not.a.jwt"));
    assert.equal(r.status, 200, r.body);
  });

  it("extractFrom: a header with a prefix, a cookie and a query parameter; not the default Authorization", async () => {
    const token = await signToken(local, { issuer: ISSUER, subject: "carol" });
    const byHeader = await send("extract", { "x-token": `Token ${token}` });
    assert.equal(byHeader.status, 200, byHeader.body);
    assert.equal(upstream(byHeader)["x-sub"], "carol");
    assert.equal((await send("extract", { cookie: `a=1; session=${token}` })).status, 200);
    const byParam = await httpGet((g as PolicyGateway).port, (g as PolicyGateway).host("extract"), `/?jwt=${token}`);
    assert.equal(byParam.status, 200, byParam.body);
    const r = await send("extract", bearer(token));
    assert.equal(r.status, 401, "Authorization is not a source when extractFrom is set");
  });

  it("optional: no token passes, a bad token 401", async () => {
    assert.equal((await send("optional")).status, 200);
    assert.equal((await withToken("optional", local)).status, 200);
    const bad = await withToken("optional", rsa);
    assert.equal(bad.status, 401, bad.body);
  });

  it("failOpen: a bad or missing token passes; a valid one still has its claims copied", async () => {
    assert.equal((await withToken("fail-open", rsa)).status, 200);
    assert.equal((await send("fail-open")).status, 200);
    const valid = await withToken("fail-open", local, { subject: "bob" });
    assert.equal(valid.status, 200);
    assert.equal(upstream(valid)["x-sub"], "bob");
  });

  it("a JWKS server that is down: 401 (fail closed), never 2xx", async () => {
    for (const key of [rsa, ec]) {
      const r = await withToken("down", key);
      assert.equal(r.status, 401, r.body);
      assert.match(r.body, /Jwks remote fetch is failed/);
    }
  });

  it("remote JWKS with cacheDuration 1s: keys rotated on the server are fetched again and take effect", async () => {
    const server = rotating as JwksServer;
    assert.equal((await withToken("rotating", rsa)).status, 200);
    const before = server.fetches;
    server.setJwks(jwksJson([served]));
    const ms = await eventually(async () => (await withToken("rotating", served)).status === 200, 15_000, "new key");
    assert.ok(server.fetches > before, `Envoy fetched again (${before} → ${server.fetches} fetches, ${ms} ms)`);
    assert.equal((await withToken("rotating", rsa)).status, 401, "the removed key no longer verifies");
  });

  it("a rotated ConfigMap key set takes effect without restarting Envoy", async () => {
    const pid = envoyPid();
    assert.ok(pid, "Envoy runs");
    await (g as PolicyGateway).t.write("jwks-cm.yaml", jwksConfigMap("jwks-cm", jwksJson([rotated])));
    await eventually(async () => (await withToken("configmap", rotated)).status === 200, 20_000, "the new key");
    assert.equal((await withToken("configmap", cmKey)).status, 401, "the old key no longer verifies");
    assert.equal(envoyPid(), pid, "same Envoy process");
  });
});
