/**
 * The inputs of SecurityPolicy authorization's matcher against real Envoy, on listeners built here from the
 * matcher egts translates (rbac-matcher.ts):
 *
 * JWT principals, before the JWT filter exists in egts: a Lua
 * filter stands in for jwt_authn and writes a payload from request headers into the dynamic metadata namespace
 * `envoy.filters.http.jwt_authn` under the provider's name (what jwt_authn's payload_in_metadata does, scopes as
 * lists as its normalize_payload_in_metadata makes them). The RBAC filter after it carries the matcher egts
 * translates from the policy's rules (rbac-matcher.ts), so each request shows that the metadata inputs, paths and
 * value matchers decide as the rules say:
 * - `admins`: Allow when the nested claim `user.role` (String) is `admin` or `ops`;
 * - `readers`: Allow when the scope `read` is in `scope` or in `scp`, and the StringArray claim `groups` holds
 *   `dev`;
 * - default Deny (no token, other claims).
 *
 * Client CIDRs read the client address the HTTP connection manager computed: with X-Forwarded-For trusted (one
 * hop, as a ClientTrafficPolicy `clientIPDetection.xForwardedFor.numTrustedHops: 1` configures), a rule allowing
 * 10.1.2.3/32 allows a request whose X-Forwarded-For names that address, and not one from 127.0.0.1 without it.
 */
import * as assert from "node:assert/strict";
import type { AuthorizationIr } from "../../operator/src/ir/security-ir";
import { LuaType } from "../../operator/src/xds/translate/filters/lua";
import { RbacType } from "../../operator/src/xds/translate/filters/rbac";
import { packPartial } from "../../operator/src/xds/translate/filters/registry";
import { rbacMatcherOf } from "../../operator/src/xds/translate/rbac-matcher";
import { RouterType } from "../../operator/src/xds/types";
import { anyHostRoutes, boundPort, hcmListener, serveToEnvoy, type XdsEnvoy } from "../support/xds-envoy";

const NODE = "default/authz-inputs";
const LISTENER = "authz-jwt";
const XFF_LISTENER = "authz-xff";

/** Client CIDR rules. */
const XFF_AUTHZ: AuthorizationIr = {
  defaultAction: "Deny",
  rules: [{ name: "office", action: "Allow", cidrs: ["10.1.2.3/32"] }],
};

/** The rules, as the translator turns a policy with `jwt.providers: [{name: example}]` into IR. */
const AUTHZ: AuthorizationIr = {
  defaultAction: "Deny",
  rules: [
    {
      name: "admins",
      action: "Allow",
      jwt: {
        provider: "example",
        claims: [{ name: "user.role", valueType: "String", values: ["admin", "ops"] }],
        scopes: [],
      },
    },
    {
      name: "readers",
      action: "Allow",
      jwt: {
        provider: "example",
        claims: [{ name: "groups", valueType: "StringArray", values: ["dev"] }],
        scopes: ["read"],
      },
    },
  ],
};

/** jwt_authn's stand-in: x-role, x-scope / x-scp (space-separated) and x-groups (comma-separated) → payload. */
const LUA = `
local function words(s, sep)
  local out = {}
  if s ~= nil then for w in string.gmatch(s, sep) do table.insert(out, w) end end
  return out
end
function envoy_on_request(h)
  local role = h:headers():get("x-role")
  if role == nil then return end
  local payload = { sub = "someone", user = { role = role }, groups = words(h:headers():get("x-groups"), "[^,]+") }
  if h:headers():get("x-scope") ~= nil then payload.scope = words(h:headers():get("x-scope"), "%S+") end
  if h:headers():get("x-scp") ~= nil then payload.scp = words(h:headers():get("x-scp"), "%S+") end
  h:streamInfo():dynamicMetadata():set("envoy.filters.http.jwt_authn", "example", payload)
end
`;

describe("SecurityPolicy authorization inputs: jwt_authn metadata, client address (real Envoy)", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;
  let port = 0;
  let xffPort = 0;

  before(async () => {
    const httpFilters = [
      {
        name: "envoy.filters.http.lua",
        typedConfig: packPartial(LuaType, { defaultSourceCode: { inlineString: LUA } }),
      },
      { name: "envoy.filters.http.rbac", typedConfig: packPartial(RbacType, { matcher: rbacMatcherOf(AUTHZ) }) },
      { name: "envoy.filters.http.router", typedConfig: packPartial(RouterType, {}) },
    ];
    const xffFilters = [
      { name: "envoy.filters.http.rbac", typedConfig: packPartial(RbacType, { matcher: rbacMatcherOf(XFF_AUTHZ) }) },
      { name: "envoy.filters.http.router", typedConfig: packPartial(RouterType, {}) },
    ];
    const xff = { httpFilters: xffFilters, useRemoteAddress: true, xffNumTrustedHops: 1 };
    envoy = await serveToEnvoy(
      NODE,
      {
        Listener: new Map([
          [LISTENER, hcmListener(LISTENER, LISTENER, { httpFilters })],
          [XFF_LISTENER, hcmListener(XFF_LISTENER, LISTENER, xff)],
        ]),
        Route: new Map([
          [LISTENER, anyHostRoutes(LISTENER, [{ match: { prefix: "/" }, directResponse: { status: 200 } }])],
        ]),
      },
      ["Listener", "Route"],
    );
    port = await boundPort(envoy.admin, LISTENER);
    xffPort = await boundPort(envoy.admin, XFF_LISTENER);
  });
  after(async () => {
    await envoy?.close();
  });

  const status = async (headers: Record<string, string>, to = port): Promise<number> =>
    (await fetch(`http://127.0.0.1:${to}/`, { headers, signal: AbortSignal.timeout(10_000) })).status;

  it("no token payload: the default Deny", async () => {
    assert.equal(await status({}), 403);
  });

  it("a nested String claim: one of its values allows", async () => {
    assert.equal(await status({ "x-role": "admin" }), 200);
    assert.equal(await status({ "x-role": "ops" }), 200);
    assert.equal(await status({ "x-role": "user" }), 403);
  });

  it("a scope in scope or scp, and a StringArray claim holding the value", async () => {
    assert.equal(await status({ "x-role": "user", "x-scope": "write read", "x-groups": "qa,dev" }), 200);
    assert.equal(await status({ "x-role": "user", "x-scp": "read", "x-groups": "dev" }), 200);
    assert.equal(await status({ "x-role": "user", "x-scope": "write", "x-groups": "dev" }), 403, "scope missing");
    assert.equal(await status({ "x-role": "user", "x-scope": "read", "x-groups": "qa" }), 403, "group missing");
  });

  it("client CIDRs: the address X-Forwarded-For names (one trusted hop) decides", async () => {
    assert.equal(await status({ "x-forwarded-for": "10.1.2.3" }, xffPort), 200);
    assert.equal(await status({ "x-forwarded-for": "10.1.2.4" }, xffPort), 403);
    assert.equal(await status({}, xffPort), 403);
  });
});
