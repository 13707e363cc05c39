/**
 * SecurityPolicy `authorization` on HTTP routes on the wire (real Envoy, standalone, an echo backend), one route
 * and policy per case:
 * - cidr: default Deny, Allow 127.0.0.2/32: a client bound to 127.0.0.2 is forwarded, one from 127.0.0.1 gets
 *   Envoy's 403 `RBAC: access denied`;
 * - headers: Allow when x-team is a or b and x-env is prod (both needed);
 * - methods: Deny an exact path (/app/admin) first, then Allow GET under a path prefix: GET passes, POST and the admin
 *   path are refused;
 * - allow: default Allow with Deny rules on a header and on a path regex: only requests matching one are refused;
 * - empty: no rules, default Deny: everything is refused;
 * - mixed: Allow (header), Deny (127.0.0.2), Allow (GET from anywhere): the first match decides per client;
 * - cel: Allow on a header lookup, Allow on method and path (startsWith), default Deny;
 * - macros: Allow 127.0.0.2 first, then a Deny rule whose CEL uses has() (expanded by the parser into a test-only
 *   select, which Envoy's CEL runtime evaluates), default Allow;
 * - fail closed: a CEL syntax error makes the policy Accepted=False with Envoy Gateway's message and its route
 *   answer 500; so does a comprehension macro (exists), which Envoy 1.36's CEL runtime refuses.
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import type { PolicyGateway } from "../support/backend-traffic";
import { httpGet, type HttpResult } from "../support/http";
import { startSecurityGateway } from "../support/security";

const CASES = {
  cidr: `  authorization:
    defaultAction: Deny
    rules:
      - { action: Allow, principal: { clientCIDRs: ["127.0.0.2/32"] } }`,
  headers: `  authorization:
    rules:
      - action: Allow
        principal:
          headers: [{ name: x-team, values: [a, b] }, { name: x-env, values: [prod] }]`,
  methods: `  authorization:
    rules:
      - action: Deny
        operation: { path: { type: Exact, value: /app/admin } }
        principal: { clientCIDRs: ["0.0.0.0/0"] }
      - action: Allow
        operation: { methods: [GET], path: { type: PathPrefix, value: /app } }
        principal: { clientCIDRs: ["0.0.0.0/0"] }`,
  allow: `  authorization:
    defaultAction: Allow
    rules:
      - { action: Deny, principal: { headers: [{ name: x-block, values: ["yes"] }] } }
      - action: Deny
        operation: { path: { type: RegularExpression, value: "/private/.*" } }
        principal: { clientCIDRs: ["0.0.0.0/0"] }`,
  empty: `  authorization: {}`,
  mixed: `  authorization:
    rules:
      - { action: Allow, principal: { headers: [{ name: x-vip, values: ["1"] }] } }
      - { action: Deny, principal: { clientCIDRs: ["127.0.0.2/32"] } }
      - { action: Allow, operation: { methods: [GET] }, principal: { clientCIDRs: ["0.0.0.0/0"] } }`,
  cel: `  authorization:
    rules:
      - { action: Allow, cel: "request.headers['x-user'] == 'alice'" }
      - { action: Allow, cel: "request.method == 'POST' && request.path.startsWith('/admin')" }`,
  macros: `  authorization:
    defaultAction: Allow
    rules:
      - { action: Allow, principal: { clientCIDRs: ["127.0.0.2/32"] } }
      - { action: Deny, cel: "has(request.headers.authorization) || request.headers['x-block'] == '1'" }`,
  exists: `  authorization:
    rules:
      - { action: Allow, cel: "request.headers.exists(k, k.startsWith('x-block'))" }`,
  badcel: `  authorization:
    rules:
      - { action: Allow, cel: "request.headers['x-user' ==" }`,
};

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly message: string;
}

describe("SecurityPolicy authorization (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  const from2 = new Agent({ localAddress: "127.0.0.2" } as ConstructorParameters<typeof Agent>[0]);

  before(async () => {
    g = await startSecurityGateway(CASES);
  });
  after(async () => {
    from2.destroy();
    await g?.close();
  });

  const send = (
    name: string,
    path = "/",
    opts: { method?: string; headers?: Record<string, string>; agent?: Agent } = {},
  ): Promise<HttpResult> => httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), path, opts);
  /** The request was forwarded (the echo backend's JSON body). */
  const assertForwarded = (r: HttpResult): void => {
    assert.equal(r.status, 200, r.body);
    assert.ok(r.body.includes('"headers"'), r.body);
  };
  const assertDenied = (r: HttpResult): void => {
    assert.equal(r.status, 403, r.body);
    assert.equal(r.body, "RBAC: access denied");
  };

  it("cidr: a client from 127.0.0.2 is allowed, one from 127.0.0.1 is denied", async () => {
    assertForwarded(await send("cidr", "/", { agent: from2 }));
    assertDenied(await send("cidr"));
  });

  it("headers: every header must match one of its values", async () => {
    assertForwarded(await send("headers", "/", { headers: { "x-team": "b", "x-env": "prod" } }));
    assertDenied(await send("headers", "/", { headers: { "x-team": "c", "x-env": "prod" } }));
    assertDenied(await send("headers", "/", { headers: { "x-team": "a" } }));
  });

  it("methods: the first matching rule decides (Deny /app/admin before Allow GET /app)", async () => {
    assertForwarded(await send("methods", "/app/x?q=1"));
    assertForwarded(await send("methods", "/app"));
    assertDenied(await send("methods", "/app/x", { method: "POST" }));
    assertDenied(await send("methods", "/apple"));
    assertDenied(await send("methods", "/app/admin"));
    assertDenied(await send("methods", "/app/admin?x=1"));
    assertForwarded(await send("methods", "/app/admin/more"));
  });

  it("allow: default Allow, only requests matching the Deny rule are refused", async () => {
    assertForwarded(await send("allow"));
    assertDenied(await send("allow", "/", { headers: { "x-block": "yes" } }));
    assertDenied(await send("allow", "/private/x"));
    assertForwarded(await send("allow", "/public/private/x"));
  });

  it("empty: no rules and default Deny refuse everything", async () => {
    assertDenied(await send("empty"));
  });

  it("mixed: Allow, Deny, Allow rules decide by the first one each request matches", async () => {
    assertForwarded(await send("mixed", "/", { agent: from2, headers: { "x-vip": "1" } }));
    assertDenied(await send("mixed", "/", { agent: from2 }));
    assertForwarded(await send("mixed"));
    assertDenied(await send("mixed", "/", { method: "POST" }));
  });

  it("cel: a header lookup, or method and path, decide", async () => {
    assertForwarded(await send("cel", "/", { headers: { "x-user": "alice" } }));
    assertDenied(await send("cel", "/", { headers: { "x-user": "bob" } }));
    assertDenied(await send("cel"));
    assertForwarded(await send("cel", "/admin/x", { method: "POST" }));
    assertDenied(await send("cel", "/admin/x"));
    assertDenied(await send("cel", "/other", { method: "POST" }));
  });

  it("macros: has() evaluates in Envoy; an earlier Allow rule wins over it", async () => {
    assertForwarded(await send("macros"));
    assertDenied(await send("macros", "/", { headers: { authorization: "Bearer x" } }));
    assertDenied(await send("macros", "/", { headers: { "x-block": "1" } }));
    assertForwarded(await send("macros", "/", { headers: { "x-other": "1" } }));
    assertForwarded(await send("macros", "/", { agent: from2, headers: { authorization: "Bearer x" } }));
  });

  /** The Accepted condition of SecurityPolicy `default/<name>`. */
  const accepted = (name: string): Condition | undefined => {
    const s = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
      { ancestors?: { conditions: Condition[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  it("Envoy accepted every configuration (no NACK: the matchers and parsed CEL are valid for Envoy 1.36)", () => {
    const nacks = (g as PolicyGateway).t.logs.filter((l) => l.includes("NACK"));
    assert.deepEqual(nacks, []);
  });

  it("fail closed: a CEL syntax error is Accepted=False with EG's message and the route answers 500", async () => {
    assert.equal(accepted("badcel")?.status, "False");
    assert.equal(accepted("badcel")?.message, "Authorization: invalid CEL expression: request.headers['x-user' ==.");
    assert.equal((await send("badcel")).status, 500);
  });

  it("fail closed: a comprehension (exists) is refused by name and the route answers 500", async () => {
    assert.equal(accepted("exists")?.status, "False");
    assert.match(
      accepted("exists")?.message ?? "",
      /rules\[0\]\.cel: the all, exists, .* not supported by Envoy 1\.36/,
    );
    assert.equal((await send("exists")).status, 500);
  });
});
