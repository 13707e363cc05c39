/**
 * SecurityPolicy authorization on JWT claims and scopes, end to end on real Envoy: the jwt_authn filter verifies a
 * token (local JWKS, ES256 signed by the test) and puts its payload in the dynamic metadata under the provider's
 * name; the RBAC filter's rules read it there. Per route: a StringArray claim (`roles` holds `admin`), a nested
 * String claim (`org.team` is `blue`), scopes (`scope` "read write" split into a list, and `scp` as a list), and a
 * Deny rule on a claim before a catch-all Allow. Tokens with and without the claims get 200 and 403; no token 401
 * (the jwt filter, before RBAC).
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import { eventually, httpGet } from "../support/http";
import { bearer, jwksJson, makeSigningKey, signToken, type TestSigningKey } from "../support/jwt";
import { startSecurityGateway } from "../support/security";

/** A jwt provider `idp` with the inline key set, then `authorization` lines (indented for the spec). */
function spec(jwks: string, authorization: string): string {
  return `  jwt:
    providers:
      - name: idp
        localJWKS: { type: Inline, inline: '${jwks}' }
  authorization:
${authorization.replace(/\n?$/, "")}`;
}

describe("SecurityPolicy authorization on JWT claims and scopes (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let key: TestSigningKey;
  const gw = (): PolicyGateway => g as PolicyGateway;
  const token = (claims: Record<string, unknown>): Promise<string> => signToken(key, { subject: "u", claims });
  const status = async (name: string, claims?: Record<string, unknown>): Promise<number> =>
    (await httpGet(gw().port, gw().host(name), "/", claims ? { headers: bearer(await token(claims)) } : {})).status;

  before(async () => {
    key = await makeSigningKey("ES256", "k1");
    const jwks = jwksJson([key]);
    const allow = (principal: string): string => `    defaultAction: Deny
    rules:
      - action: Allow
        principal:
          jwt:
            provider: idp
${principal}`;
    g = await startSecurityGateway({
      roles: spec(jwks, allow("            claims: [{ name: roles, valueType: StringArray, values: [admin] }]")),
      team: spec(jwks, allow("            claims: [{ name: org.team, values: [blue] }]")),
      scopes: spec(jwks, allow("            scopes: [read]")),
      deny: spec(
        jwks,
        `    defaultAction: Deny
    rules:
      - action: Deny
        principal: { jwt: { provider: idp, claims: [{ name: tier, values: [free] }] } }
      - action: Allow
        principal: { clientCIDRs: [0.0.0.0/0] }`,
      ),
    });
    await eventually(async () => (await status("roles", { roles: ["admin"] })) === 200, 20_000, "the roles route");
  });
  after(async () => g?.close());

  it("a StringArray claim: a token whose roles hold admin passes, others get 403, none 401", async () => {
    assert.equal(await status("roles", { roles: ["viewer", "admin"] }), 200);
    assert.equal(await status("roles", { roles: ["viewer"] }), 403);
    assert.equal(await status("roles", {}), 403);
    assert.equal(await status("roles"), 401);
  });

  it("a nested String claim (org.team)", async () => {
    assert.equal(await status("team", { org: { team: "blue" } }), 200);
    assert.equal(await status("team", { org: { team: "red" } }), 403);
    assert.equal(await status("team", { team: "blue" }), 403, "a top-level claim of that name is another claim");
  });

  it("scopes: from the space-delimited scope claim or the scp list", async () => {
    assert.equal(await status("scopes", { scope: "write read" }), 200);
    assert.equal(await status("scopes", { scp: ["read"] }), 200);
    assert.equal(await status("scopes", { scope: "write" }), 403);
  });

  it("a Deny rule on a claim before a catch-all Allow: the first match decides", async () => {
    assert.equal(await status("deny", { tier: "free" }), 403);
    assert.equal(await status("deny", { tier: "paid" }), 200);
  });
});
