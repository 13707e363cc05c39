/**
 * SecurityPolicy `oidc` on the wire: real Envoy (standalone), a real OpenID Provider (npm `oidc-provider`, HTTPS on
 * `localhost` with a test CA), and a cookie-keeping client that follows redirects, so the whole authorization-code
 * flow runs without a browser. The token endpoint is reached through a Service (EndpointSlice → 127.0.0.1) with a
 * BackendTLSPolicy trusting the test CA; the endpoints are explicit (discovery is not this test's subject).
 * - An unauthenticated request is redirected to the OP's authorization endpoint with the client ID, the redirect
 *   URI and a PKCE S256 challenge.
 * - The login is followed: the callback sets the session cookies (names ending with the policy's suffix) and
 *   sends the user back to the original URL, which then answers 200; the backend sees
 *   `Authorization: Bearer <the access token the OP issued>` (forwardAccessToken).
 * - Access tokens live 2 s: a later request makes Envoy use the refresh token (the OP serves a `refresh_token`
 *   grant), sets a new access token cookie and forwards the new token.
 * - Endpoints discovered from the issuer (the pipeline's discovery, trusting the backendRefs' CA) work the same; a
 *   failed discovery fails the policy closed (Accepted=False with the reason, 500).
 * - passThroughAuthHeader with a JWT provider: a valid Bearer token gets 200 without a login, a token the JWT
 *   filter refuses 401, no token the login redirect.
 * - A request matching `denyRedirect` gets 401; a policy on `/app` still completes its login (egts routes the
 *   default callback path to the policy's filter).
 * - `/logout` clears the cookies and redirects to the OP's end session endpoint; the next request logs in again.
 * - forwardIDToken: after the login the backend gets the ID token the OP issued (a JWT for this client, from the
 *   issuer, about the test user) on `x-id-token`, raw, next to the forwarded access token; on `Authorization` it
 *   gets `Bearer <ID token>`. A value the client sends in that header is replaced, never passed on.
 * - The client secret rotated (Secret rewritten, the OP's client changed): a new login succeeds with the same
 *   Envoy process (the secret reaches Envoy over SDS).
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import { CookieClient, type Browsed } from "../support/cookie-client";
import { eventually } from "../support/http";
import { routeYaml, serviceYaml } from "../support/manifests";
import { bearer, jwksJson, makeSigningKey, signToken, type TestSigningKey } from "../support/jwt";
import { startOidcProvider, TEST_USER, type TestOp } from "../support/oidc-provider";
import { caConfigMapYaml, makeCa } from "../support/pki";
import { securityPolicyYaml, startSecurityGateway } from "../support/security";
import { fnv32a } from "../../operator/src/translate/policies/security-oidc";

const CLIENT_ID = "egts-app";
const SCOPED_HOST = "scoped.example.com";

function policySpec(op: TestOp, extra = ""): string {
  return `  oidc:
    provider:
      issuer: ${op.issuer}
      authorizationEndpoint: ${op.authorizationEndpoint}
      tokenEndpoint: ${op.tokenEndpoint}
      endSessionEndpoint: ${op.endSessionEndpoint}
      backendRefs: [{ name: op, port: ${op.port} }]
    clientID: ${CLIENT_ID}
    clientSecret: { name: op-client }
    forwardAccessToken: true
    scopes: [profile]${extra}`;
}

function clientSecretYaml(secret: string): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: op-client, namespace: default }
stringData: { client-secret: ${secret} }
`;
}

function opFiles(op: TestOp, caPem: string): Record<string, string> {
  const tls = `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: op-tls, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: op }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: op-ca }]
    hostname: localhost
`;
  return {
    "op.yaml": [serviceYaml("op", op.port, [{ port: op.port }]), caConfigMapYaml("op-ca", caPem), tls].join("---\n"),
    "op-client.yaml": clientSecretYaml("secret-1"),
    // A policy on `/app` only: the OP's callback to /oauth2/callback needs the route egts adds for it.
    "scoped.yaml": [
      routeYaml("scoped", SCOPED_HOST, "echo", { path: "/app" }),
      securityPolicyYaml("scoped", policySpec(op)),
    ].join("---\n"),
  };
}

/** The request headers the echo backend saw. */
function upstream(r: Browsed): Record<string, string> {
  return (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
}

describe("SecurityPolicy oidc (real Envoy, real OpenID Provider)", function () {
  this.timeout(60_000);
  const ca = makeCa("egts oidc test CA");
  let op: TestOp | undefined;
  let g: PolicyGateway | undefined;
  let app = "";
  let scoped = "";
  let key: TestSigningKey | undefined;
  const suffix = fnv32a("default/oidc");
  // Envoy marks its cookies Secure; this gateway listens on plain HTTP, so the client sends them anyway (a browser
  // would need an HTTPS listener). The test checks they are marked Secure.
  const browser = (): CookieClient => new CookieClient({ ca: ca.cert, secureOverHttp: true });
  const url = (name: string): string => `http://${(g as PolicyGateway).host(name)}:${(g as PolicyGateway).port}`;

  before(async () => {
    op = await startOidcProvider({
      tls: ca.issue("localhost"),
      client: { id: CLIENT_ID, secret: "secret-1", redirectUris: [] },
      accessTokenTtlS: 2,
    });
    const deny = `\n    denyRedirect: { headers: [{ name: x-requested-with, value: XMLHttpRequest }] }`;
    // Discovery (the pipeline's, before translation) through the provider's backendRefs and their CA.
    const port = op.port;
    const discovered = (issuer: string): string =>
      `  oidc:\n    provider: { issuer: "${issuer}", backendRefs: [{ name: op, port: ${port} }] }\n` +
      `    clientID: ${CLIENT_ID}\n    clientSecret: { name: op-client }`;
    // passThroughAuthHeader: a request with a Bearer token skips the login and is checked by the JWT filter.
    key = await makeSigningKey("ES256", "k1");
    const jwt =
      `\n    passThroughAuthHeader: true\n  jwt:\n    providers:\n      - name: inline\n` +
      `        localJWKS: { type: Inline, inline: '${jwksJson([key])}' }`;
    g = await startSecurityGateway(
      {
        oidc: policySpec(op, deny),
        discovered: discovered(op.issuer),
        broken: discovered(`${op.issuer}/nowhere`),
        passthrough: policySpec(op, jwt),
        idtoken: policySpec(op, "\n    forwardIDToken: { header: x-id-token }"),
        // forwardAccessToken and an Authorization ID token exclude each other (the CRD's rule).
        idauth: policySpec(op, "\n    forwardIDToken: { header: Authorization }").replace(
          "forwardAccessToken: true",
          "forwardAccessToken: false",
        ),
      },
      opFiles(op, ca.cert),
    );
    app = `http://${g.host("oidc")}:${g.port}`;
    scoped = `http://${SCOPED_HOST}:${g.port}`;
    op.setClient({
      redirectUris: ["oidc", "discovered", "idtoken", "idauth"]
        .map((name) => `${url(name)}/oauth2/callback`)
        .concat(`${scoped}/oauth2/callback`),
      postLogoutRedirectUris: [`${app}/`],
    });
    // The policy is accepted once its token endpoint cluster and secrets are served: the route redirects.
    await eventually(
      async () => (await browser().fetch(`${app}/`, { maxHops: 0 })).status === 302,
      20_000,
      "the OIDC route",
    );
  });
  after(async () => {
    await g?.close();
    await op?.close();
  });

  /** Logs in with `b` by following every redirect from `path`; returns the final answer. */
  const login = (b: CookieClient, path = "/some/page?x=1"): Promise<Browsed> => b.fetch(`${app}${path}`);

  it("is Accepted, and redirects an unauthenticated request to the authorization endpoint with PKCE", async () => {
    const status = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", "oidc")?.status as
      { ancestors: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    const accepted = status?.ancestors[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "True", JSON.stringify(status));
    const r = await browser().fetch(`${app}/`, { maxHops: 0 });
    assert.equal(r.status, 302);
    const to = new URL(String(r.headers.location));
    assert.equal(`${to.origin}${to.pathname}`, (op as TestOp).authorizationEndpoint);
    assert.equal(to.searchParams.get("client_id"), CLIENT_ID);
    assert.equal(to.searchParams.get("redirect_uri"), `${app}/oauth2/callback`);
    assert.equal(to.searchParams.get("code_challenge_method"), "S256");
    assert.deepEqual(to.searchParams.get("scope")?.split(" ").sort(), ["openid", "profile"]);
  });

  it("follows the login: the callback sets the cookies, the original URL answers 200 with the access token", async () => {
    const b = browser();
    const r = await login(b);
    assert.equal(r.status, 200, JSON.stringify(r.hops, null, 1));
    assert.equal(r.url, `${app}/some/page?x=1`);
    assert.ok(
      r.hops.some((h) => h.url.startsWith((op as TestOp).issuer)),
      "the login went through the OP",
    );
    const callback = r.hops.find((h) => h.url.startsWith(`${app}/oauth2/callback`));
    assert.ok(callback, "the OP sent the user back to the callback");
    assert.equal(callback.status, 302);
    const names = callback.setCookies.map((c) => c.slice(0, c.indexOf("=")));
    for (const n of ["AccessToken", "IdToken", "RefreshToken", "OauthHMAC", "OauthExpires"])
      assert.ok(names.includes(`${n}-${suffix}`), `${n}-${suffix} in ${names.join(", ")}`);
    // Envoy 1.37 also deletes the login flow's cookies (`<name>.<flow id>=deleted; ... expires=1970`), without Secure.
    const deletions = callback.setCookies.filter((c) => /^[^=]+=deleted;.*expires=Thu, 01 Jan 1970/i.test(c));
    for (const c of callback.setCookies.filter((x) => !deletions.includes(x)))
      assert.match(c, /;\s*secure/i, `${c.slice(0, c.indexOf("="))} is Secure`);
    // A client that, like a browser, sends Secure cookies over HTTPS only never gets in over plain HTTP.
    const strict = await new CookieClient({ ca: ca.cert }).fetch(`${app}/some/page`, { maxHops: 12 });
    assert.notEqual(strict.status, 200, "Secure cookies are not sent over plain HTTP");
    const auth = upstream(r).authorization;
    assert.match(auth, /^Bearer /);
    assert.ok(
      (op as TestOp).accessTokens.includes(auth.slice("Bearer ".length)),
      `${auth} is a token the OP issued: ${(op as TestOp).accessTokens.join(", ")}`,
    );
    const again = await b.fetch(`${app}/other`, { maxHops: 0 });
    assert.equal(again.status, 200, "the session cookies let the next request through");
  });

  it("refreshes an expired access token with the refresh token", async () => {
    const b = browser();
    const first = await login(b);
    assert.equal(first.status, 200);
    const before = upstream(first).authorization;
    const refreshes = (op as TestOp).grants.filter((x) => x === "refresh_token").length;
    await new Promise((r) => setTimeout(r, 3000)); // the access token lives 2 s
    const r = await b.fetch(`${app}/later`, { maxHops: 0 });
    assert.equal(r.status, 200, JSON.stringify(r.hops));
    assert.ok((op as TestOp).grants.filter((x) => x === "refresh_token").length > refreshes, "a refresh_token grant");
    const after = upstream(r).authorization;
    assert.notEqual(after, before, "a new access token is forwarded");
    assert.ok((op as TestOp).accessTokens.includes(after.slice("Bearer ".length)));
    assert.ok(
      r.hops[0].setCookies.some((c) => c.startsWith(`AccessToken-${suffix}=`)),
      "the new token is set as a cookie",
    );
  });

  it("answers 401 instead of redirecting a request matching denyRedirect", async () => {
    const r = await browser().fetch(`${app}/`, { maxHops: 0, headers: { "x-requested-with": "XMLHttpRequest" } });
    assert.equal(r.status, 401);
  });

  it("finishes a login on a route that does not cover the callback path (egts routes the callback to the filter)", async () => {
    const r = await browser().fetch(`${scoped}/app/page`);
    assert.equal(r.status, 200, JSON.stringify(r.hops, null, 1));
    assert.equal(r.url, `${scoped}/app/page`);
    const callback = r.hops.find((h) => h.url.startsWith(`${scoped}/oauth2/callback`));
    assert.equal(callback?.status, 302, "the policy's filter answered the callback");
  });

  it("passThroughAuthHeader: a Bearer JWT skips the login and is checked by the JWT filter", async () => {
    const at = `${url("passthrough")}/api`;
    const good = await browser().fetch(at, { maxHops: 0, headers: bearer(await signToken(key as TestSigningKey)) });
    assert.equal(good.status, 200, "a valid token passes without a redirect");
    const other = await makeSigningKey("ES256", "k1");
    const bad = await browser().fetch(at, { maxHops: 0, headers: bearer(await signToken(other)) });
    assert.equal(bad.status, 401, "a token the JWT filter refuses is not logged in instead");
    assert.equal((await browser().fetch(at, { maxHops: 0 })).status, 302, "no token: the login");
  });

  /** The payload of a compact JWT (its three parts checked). */
  const jwtPayload = (token: string): Record<string, unknown> => {
    const parts = token.split(".");
    assert.equal(parts.length, 3, `${token} is a compact JWT`);
    return JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString()) as Record<string, unknown>;
  };
  const assertIdToken = (token: string | undefined): void => {
    assert.ok(token, "an ID token reached the backend");
    const claims = jwtPayload(token);
    assert.equal(claims.iss, (op as TestOp).issuer);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(claims.sub, TEST_USER);
    assert.ok(
      (op as TestOp).accessTokens.every((t) => t !== token),
      "not the access token",
    );
  };

  it("forwardIDToken: the backend gets the ID token on x-id-token (raw) and the access token as Bearer", async () => {
    const b = browser();
    const r = await b.fetch(`${url("idtoken")}/page`, { headers: { "x-id-token": "forged" } });
    assert.equal(r.status, 200, JSON.stringify(r.hops, null, 1));
    const seen = upstream(r);
    assertIdToken(seen["x-id-token"]);
    assert.ok((op as TestOp).accessTokens.includes(String(seen.authorization).slice("Bearer ".length)));
    const again = await b.fetch(`${url("idtoken")}/next`, { maxHops: 0, headers: { "x-id-token": "forged" } });
    assert.equal(again.status, 200);
    assert.equal(upstream(again)["x-id-token"], seen["x-id-token"], "the client's value is replaced");
    const anonymous = await browser().fetch(`${url("idtoken")}/`, { maxHops: 0, headers: { "x-id-token": "x" } });
    assert.equal(anonymous.status, 302, "no session: the login, nothing forwarded");
  });

  it("forwardIDToken on Authorization: the backend gets Bearer <ID token>", async () => {
    const b = browser();
    const r = await b.fetch(`${url("idauth")}/page`);
    assert.equal(r.status, 200, JSON.stringify(r.hops, null, 1));
    const auth = String(upstream(r).authorization);
    assert.match(auth, /^Bearer /);
    assertIdToken(auth.slice("Bearer ".length));
    const again = await b.fetch(`${url("idauth")}/next`, { maxHops: 0, headers: { authorization: "Bearer forged" } });
    assert.equal(again.status, 200);
    assert.equal(upstream(again).authorization, auth, "the client's Authorization is replaced");
  });

  it("logs in with the endpoints discovered from the issuer", async () => {
    const r = await browser().fetch(`${url("discovered")}/d`);
    assert.equal(r.status, 200, JSON.stringify(r.hops, null, 1));
    assert.ok(
      r.hops.some((h) => h.url.startsWith(`${(op as TestOp).authorizationEndpoint}?`)),
      "the discovered endpoint",
    );
  });

  it("fails closed when the issuer's discovery fails: Accepted=False with the reason, the route answers 500", async () => {
    const status = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", "broken")?.status as
      { ancestors: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    const accepted = status?.ancestors[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(
      accepted?.message ?? "",
      /^OIDC: failed fetching openid-configuration from issuer URL: .*\/nowhere, status code: 404/,
    );
    assert.equal((await browser().fetch(`${url("broken")}/`)).status, 500);
  });

  it("logs out: the cookies are cleared and the user goes to the end session endpoint", async () => {
    const b = browser();
    assert.equal((await login(b)).status, 200);
    assert.ok(b.cookies(`${app}/`)[`AccessToken-${suffix}`], "logged in");
    const r = await b.fetch(`${app}/logout`, { maxHops: 0 });
    assert.equal(r.status, 302);
    assert.ok(String(r.headers.location).startsWith((op as TestOp).endSessionEndpoint), String(r.headers.location));
    assert.equal(b.cookies(`${app}/`)[`AccessToken-${suffix}`], undefined, "the access token cookie is cleared");
    const next = await b.fetch(`${app}/`, { maxHops: 0 });
    assert.equal(next.status, 302, "logged out: the next request logs in again");
  });

  it("a rotated client secret is used without restarting Envoy", async () => {
    const t = (g as PolicyGateway).t;
    const pid = t.gw.runner?.list()[0]?.pid;
    assert.ok(pid, "Envoy runs");
    (op as TestOp).setClient({ secret: "secret-2" });
    // Until Envoy has the new secret the OP refuses its token request: the login does not end in 200.
    const stale = await login(browser());
    assert.notEqual(stale.status, 200, "the old secret no longer works");
    assert.ok(
      stale.hops.some((h) => h.url.startsWith(`${app}/oauth2/callback`)),
      "the login reached the callback",
    );
    await t.write("op-client.yaml", clientSecretYaml("secret-2"));
    await eventually(async () => (await login(browser())).status === 200, 20_000, "a login with the new secret");
    assert.equal(t.gw.runner?.list()[0]?.pid, pid, "same Envoy process");
  });
});
