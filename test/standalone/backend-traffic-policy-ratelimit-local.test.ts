/**
 * BackendTrafficPolicy `rateLimit.local` on the wire (real Envoy, standalone, an echo backend): each case is its
 * own route and policy, so each has its own buckets.
 * - the default rule (no selectors), 3 per minute: three 200s, then 429 with Envoy's X-RateLimit-* headers;
 * - a header-selected rule: only requests with the header are limited; others are not (no default rule);
 * - Distinct header / query parameter: one bucket per value;
 * - methods (one bucket for the rule), path prefix, source CIDR (Exact: one bucket; Distinct: one per client
 *   address, 127.0.0.1 vs 127.0.0.2), request cost 2 (a 4-token bucket lasts two requests);
 * - xRateLimitHeaders Off on the default rule: no X-RateLimit-* headers.
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { httpGet, type HttpResult } from "../support/http";

const rules = (yaml: string): string => `  rateLimit:\n    type: Local\n    local:\n      rules:\n${yaml}`;

const CASES = {
  "default-limit": rules(`        - limit: { requests: 3, unit: Minute }`),
  "header-exact": rules(`        - clientSelectors: [{ headers: [{ name: x-user-id, value: one }] }]
          limit: { requests: 2, unit: Minute }`),
  "header-distinct": rules(`        - clientSelectors: [{ headers: [{ type: Distinct, name: x-tenant }] }]
          limit: { requests: 2, unit: Minute }`),
  "query-distinct": rules(`        - clientSelectors: [{ queryParams: [{ type: Distinct, name: key }] }]
          limit: { requests: 1, unit: Minute }`),
  methods: rules(`        - clientSelectors: [{ methods: [{ value: POST }, { value: PUT }], path: { value: /api } }]
          limit: { requests: 2, unit: Minute }`),
  "cidr-exact": rules(`        - clientSelectors: [{ sourceCIDR: { value: 127.0.0.0/8 } }]
          limit: { requests: 2, unit: Minute }`),
  "cidr-distinct": rules(`        - clientSelectors: [{ sourceCIDR: { type: Distinct, value: 127.0.0.0/8 } }]
          limit: { requests: 1, unit: Minute }`),
  cost: rules(`        - clientSelectors: [{ headers: [{ name: x-costly, value: "yes" }] }]
          limit: { requests: 4, unit: Minute }
          cost: { request: { from: Number, number: 2 } }`),
  "headers-off": rules(`        - limit: { requests: 1, unit: Minute }
          xRateLimitHeaders: "Off"`),
};

describe("BackendTrafficPolicy rateLimit.local (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES);
  });
  after(async () => {
    await g?.close();
  });

  const send = (name: keyof typeof CASES, path = "/", opts: Parameters<typeof httpGet>[3] = {}): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), path, opts);
  const statuses = async (n: number, req: () => Promise<HttpResult>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await req()).status);
    return out;
  };

  it("default rule, 3 per minute: three 200s then 429, with X-RateLimit-* headers", async () => {
    const first = await send("default-limit");
    assert.equal(first.status, 200);
    assert.equal(first.headers["x-ratelimit-limit"], "3");
    assert.equal(first.headers["x-ratelimit-remaining"], "2");
    assert.deepEqual(await statuses(2, () => send("default-limit")), [200, 200]);
    const limited = await send("default-limit");
    assert.equal(limited.status, 429, limited.body);
    assert.equal(limited.headers["x-ratelimit-limit"], "3");
    assert.equal(limited.headers["x-ratelimit-remaining"], "0");
    const reset = Number(limited.headers["x-ratelimit-reset"]);
    assert.ok(reset > 0 && reset <= 60, `x-ratelimit-reset ${String(limited.headers["x-ratelimit-reset"])}`);
  });

  it("a header-selected rule limits only the requests it selects", async () => {
    const one = { headers: { "x-user-id": "one" } };
    assert.deepEqual(await statuses(3, () => send("header-exact", "/", one)), [200, 200, 429]);
    assert.deepEqual(
      await statuses(4, () => send("header-exact", "/", { headers: { "x-user-id": "two" } })),
      [200, 200, 200, 200],
    );
    assert.deepEqual(await statuses(4, () => send("header-exact")), [200, 200, 200, 200]);
  });

  it("Distinct header and query parameter: one bucket per value", async () => {
    const tenant = (v: string) => () => send("header-distinct", "/", { headers: { "x-tenant": v } });
    assert.deepEqual(await statuses(3, tenant("a")), [200, 200, 429]);
    assert.deepEqual(await statuses(3, tenant("b")), [200, 200, 429]);
    assert.deepEqual(await statuses(2, () => send("query-distinct", "/?key=k1")), [200, 429]);
    assert.deepEqual(await statuses(2, () => send("query-distinct", "/?key=k2")), [200, 429]);
  });

  it("methods and path: POST and PUT under /api share the rule's bucket; GET and other paths are not limited", async () => {
    assert.equal((await send("methods", "/api/x", { method: "POST" })).status, 200);
    assert.equal((await send("methods", "/api", { method: "PUT" })).status, 200);
    assert.equal((await send("methods", "/api/y", { method: "POST" })).status, 429);
    assert.equal((await send("methods", "/api/y", { method: "PUT" })).status, 429);
    assert.deepEqual(await statuses(3, () => send("methods", "/api/y")), [200, 200, 200]);
    assert.deepEqual(await statuses(3, () => send("methods", "/apix", { method: "POST" })), [200, 200, 200]);
  });

  it("source CIDR: Exact is one bucket for the range, Distinct one per client address", async () => {
    const from = (address: string): Agent => new Agent({ keepAlive: false, localAddress: address } as object);
    const a = from("127.0.0.1");
    const b = from("127.0.0.2");
    assert.deepEqual(await statuses(2, () => send("cidr-exact", "/", { agent: a })), [200, 200]);
    assert.equal((await send("cidr-exact", "/", { agent: b })).status, 429);
    assert.deepEqual(await statuses(2, () => send("cidr-distinct", "/", { agent: a })), [200, 429]);
    assert.deepEqual(await statuses(2, () => send("cidr-distinct", "/", { agent: b })), [200, 429]);
  });

  it("request cost 2: a 4-token bucket lasts two requests", async () => {
    const costly = { headers: { "x-costly": "yes" } };
    assert.deepEqual(await statuses(3, () => send("cost", "/", costly)), [200, 200, 429]);
  });

  it("xRateLimitHeaders Off on the default rule: limited, without X-RateLimit-* headers", async () => {
    const ok = await send("headers-off");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["x-ratelimit-limit"], undefined);
    const limited = await send("headers-off");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers["x-ratelimit-limit"], undefined);
  });
});
