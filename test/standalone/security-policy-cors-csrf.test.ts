/**
 * SecurityPolicy `cors` and `csrf` on the wire (real Envoy, standalone, an echo backend), one route and policy
 * per case:
 * - cors: a preflight from an allowed wildcard origin is answered by Envoy (not forwarded) with the allowed
 *   origin, methods, headers and max age; one from another origin gets no Access-Control-Allow-Origin and is not
 *   forwarded either; an actual request gets allow-origin, expose-headers and allow-credentials;
 * - csrf: a POST whose Origin is the request's host, or an additional (wildcard) origin, passes; a foreign or
 *   missing Origin is refused 403 `Invalid origin`; a GET passes whatever its Origin; with shadowFraction 100 %
 *   a foreign POST passes (checked, counted, not enforced);
 * - fail closed: a policy with a value that cannot be used (an origin that is not one), and one with a field egts
 *   cannot honour (extAuth http.pathOverride: Envoy 1.37 has none), are Accepted=False saying why and their routes
 *   answer 500.
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import { httpGet, type HttpResult } from "../support/http";
import { startSecurityGateway } from "../support/security";

const CASES = {
  cors: `  cors:
    allowOrigins: ["https://*.example.org"]
    allowMethods: [GET, POST]
    allowHeaders: [x-custom]
    exposeHeaders: [x-trace]
    maxAge: 10m
    allowCredentials: true`,
  csrf: `  csrf:\n    additionalOrigins: ["https://*.trusted.test"]`,
  "csrf-shadow": `  csrf:\n    shadowFraction: { numerator: 100 }`,
  broken: `  cors: { allowOrigins: ["example.org"] }`,
  untranslated: `  extAuth:\n    http:\n      backendRefs: [{ name: echo, port: 1 }]\n      pathOverride: /check`,
};

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

describe("SecurityPolicy cors and csrf (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startSecurityGateway(CASES);
  });
  after(async () => {
    await g?.close();
  });

  const send = (name: string, method: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), "/", { method, headers });
  /** Whether the echo backend answered (its JSON body), i.e. the request was forwarded. */
  const forwarded = (r: HttpResult): boolean => r.body.includes('"headers"');
  const accepted = (name: string): Condition | undefined => {
    const s = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
      { ancestors?: { conditions: Condition[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  it("cors: a preflight from an allowed wildcard origin is answered by Envoy with the allowed values", async () => {
    const r = await send("cors", "OPTIONS", {
      origin: "https://app.example.org",
      "access-control-request-method": "POST",
      "access-control-request-headers": "x-custom",
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers["access-control-allow-origin"], "https://app.example.org");
    assert.equal(r.headers["access-control-allow-methods"], "GET, POST");
    assert.equal(r.headers["access-control-allow-headers"], "x-custom");
    assert.equal(r.headers["access-control-max-age"], "600");
    assert.equal(forwarded(r), false, "a preflight is not forwarded");
  });

  it("cors: a preflight from another origin gets no allow-origin and is not forwarded", async () => {
    const r = await send("cors", "OPTIONS", {
      origin: "https://evil.test",
      "access-control-request-method": "POST",
    });
    // Envoy 1.36 still sends the methods and credentials headers, but without Access-Control-Allow-Origin a browser refuses the request.
    assert.equal(r.headers["access-control-allow-origin"], undefined);
    assert.equal(forwarded(r), false, `status ${r.status}: ${r.body}`);
  });

  it("cors: an actual request gets allow-origin, expose-headers and allow-credentials", async () => {
    const r = await send("cors", "GET", { origin: "https://app.example.org" });
    assert.equal(r.status, 200);
    assert.ok(forwarded(r));
    assert.equal(r.headers["access-control-allow-origin"], "https://app.example.org");
    assert.equal(r.headers["access-control-expose-headers"], "x-trace");
    assert.equal(r.headers["access-control-allow-credentials"], "true");
    const other = await send("cors", "GET", { origin: "https://evil.test" });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
  });

  it("csrf: same-host and additional origins pass, foreign and missing origins are refused, GET passes", async () => {
    const host = (g as PolicyGateway).host("csrf");
    const same = await send("csrf", "POST", { origin: `http://${host}` });
    assert.equal(same.status, 200, same.body);
    const additional = await send("csrf", "POST", { origin: "https://a.trusted.test" });
    assert.equal(additional.status, 200, additional.body);
    const foreign = await send("csrf", "POST", { origin: "https://evil.test" });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /Invalid origin/);
    const missing = await send("csrf", "POST");
    assert.equal(missing.status, 403);
    const get = await send("csrf", "GET", { origin: "https://evil.test" });
    assert.equal(get.status, 200);
  });

  it("csrf: with shadowFraction 100 % a foreign POST passes", async () => {
    const r = await send("csrf-shadow", "POST", { origin: "https://evil.test" });
    assert.equal(r.status, 200, r.body);
    assert.ok(forwarded(r));
  });

  it("fail closed: an unusable value and an untranslated field make the route answer 500, with the reason", async () => {
    for (const name of ["broken", "untranslated"]) {
      const r = await send(name, "GET");
      assert.equal(r.status, 500, `${name}: ${r.status} ${r.body}`);
    }
    const broken = accepted("broken");
    assert.equal(broken?.status, "False");
    assert.equal(
      broken?.message,
      'spec.cors.allowOrigins[0] "example.org" is not an origin (scheme://host[:port], * allowed).',
    );
    const untranslated = accepted("untranslated");
    assert.equal(untranslated?.status, "False");
    assert.match(untranslated?.message ?? "", /http\.pathOverride: not supported by Envoy 1\.37/);
  });
});
