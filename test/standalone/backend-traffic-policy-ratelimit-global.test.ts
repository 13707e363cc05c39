/**
 * BackendTrafficPolicy `rateLimit.global` on the wire: real Envoy proxies, Envoy's real rate limit service
 * (envoyproxy/ratelimit) configured over xDS by our control plane, and a real Redis.
 * - Two Gateways (two Envoy processes) under one policy with a `shared` rule of 4 per hour: 4 requests pass in
 *   total across both proxies, not 4 each — the count lives in Redis.
 * - A route-level rule with a Distinct header selector (3 per hour per `x-user`): each user gets 3, then 429
 *   with X-RateLimit-* headers; another user is unaffected.
 * - A shared rule of 10 with `cost.request` 2 and `cost.response` 3 over both proxies: the first request leaves
 *   8 (X-RateLimit-Remaining), the counter in Redis reaches 5 once its stream is done, 10 after the second
 *   request (through the other proxy), and the third is refused.
 * - A rule with `limit.fromMetadata` on Gateway a (whose listener filter then runs at stage 1, the rules in the
 *   route's own rate_limits): nothing in our configuration writes that metadata, so the override is absent and
 *   the rule's own 2 per hour applies; the Distinct header rule above (RateLimitPerRoute) on the same listener
 *   keeps working beside it. The override itself (metadata present) is not exercised on the wire: no filter egts
 *   generates writes dynamic metadata yet (Envoy's behaviour, configuration shape in the xDS golden).
 * - A ClientTrafficPolicy with `headers.disableRateLimitHeaders` on one Gateway: its 429s carry no
 *   X-RateLimit-* headers.
 * - Without `rateLimit` in the EnvoyGateway configuration a global rule is refused with Envoy Gateway's message
 *   (checked through translate in test/translate).
 */
import * as assert from "node:assert/strict";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, GATEWAY_CLASS_YAML, httpRouteYaml } from "../support/manifests";
import { ratelimitBinary, startRedis, type TestRedis } from "../support/ratelimit";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";

function gateway(name: string, port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`;
}

function route(name: string, gw: string, host: string): string {
  return httpRouteYaml(
    name,
    host,
    "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]",
  ).replace("parentRefs: [{ name: eg }]", `parentRefs: [{ name: ${gw} }]`);
}

describe("standalone: BackendTrafficPolicy rateLimit.global (real Envoy, ratelimit service, Redis)", function () {
  this.timeout(120_000);
  let redis: TestRedis | undefined;
  let echo: EchoBackend | undefined;
  let t: TestGateway | undefined;
  const ports = { a: 0, b: 0 };

  before(async () => {
    redis = await startRedis();
    echo = await startEchoBackend({ name: "echo" });
    ports.a = await freePort();
    ports.b = await freePort();
    t = await startTestGateway(
      {
        "gateways.yaml": [GATEWAY_CLASS_YAML.trimEnd() + "\n", gateway("a", ports.a), gateway("b", ports.b)].join(
          "---\n",
        ),
        "routes.yaml": [
          backendYaml("echo", echo.port),
          route("shared-a", "a", "shared.example.com"),
          route("shared-b", "b", "shared.example.com"),
          route("users", "a", "users.example.com"),
          route("cost-a", "a", "cost.example.com"),
          route("cost-b", "b", "cost.example.com"),
          route("tenant", "a", "tenant.example.com"),
        ].join("---\n"),
        "policies.yaml": `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: shared, namespace: default }
spec:
  targetRefs:
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared-a }
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared-b }
  rateLimit:
    type: Global
    global:
      rules:
        - limit: { requests: 4, unit: Hour }
          shared: true
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: users, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: users }]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{ headers: [{ name: x-user, type: Distinct }] }]
          limit: { requests: 3, unit: Hour }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: costs, namespace: default }
spec:
  targetRefs:
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: cost-a }
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: cost-b }
  rateLimit:
    type: Global
    global:
      rules:
        - limit: { requests: 10, unit: Hour }
          shared: true
          cost:
            request: { from: Number, number: 2 }
            response: { from: Number, number: 3 }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: tenant, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: tenant }]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: { requests: 2, unit: Hour, fromMetadata: { namespace: acme.tenants, key: limit } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: quiet, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: b }]
  headers: { disableRateLimitHeaders: true }
`,
      },
      {
        rateLimit: {
          binary: ratelimitBinary(),
          redisUrl: redis.url,
          grpcPort: await freePort(),
          timeoutMs: 1000,
          failClosed: false,
        },
      },
    );
    // Both proxies serve (a request counts: the budget below starts after these two).
    await eventually(
      async () =>
        (await httpGet(ports.a, "users.example.com", "/", { headers: { "x-user": "warmup" } })).status === 200,
      20_000,
      "Gateway a",
    );
    await eventually(async () => (await httpGet(ports.b, "other.example.com")).status === 404, 20_000, "Gateway b");
  });

  after(async () => {
    await t?.close();
    await echo?.close();
    await redis?.stop();
  });

  it("a shared rule counts across two Envoy processes through Redis: 4 in total, not 4 each", async () => {
    const statuses: string[] = [];
    for (const [gw, port] of [
      ["a", ports.a],
      ["b", ports.b],
      ["a", ports.a],
      ["b", ports.b],
      ["a", ports.a],
      ["b", ports.b],
    ] as const) {
      statuses.push(`${gw}:${(await httpGet(port, "shared.example.com")).status}`);
    }
    assert.deepEqual(statuses, ["a:200", "b:200", "a:200", "b:200", "a:429", "b:429"]);
    assert.match(redis?.cli(["--scan"]) ?? "", /default\/shared/, "the counter lives in Redis");
  });

  it("a Distinct header rule: 3 per user, then 429 with X-RateLimit-* headers; another user is unaffected", async () => {
    const get = (user: string) => httpGet(ports.a, "users.example.com", "/", { headers: { "x-user": user } });
    const alice = [await get("alice"), await get("alice"), await get("alice"), await get("alice")];
    assert.deepEqual(
      alice.map((r) => r.status),
      [200, 200, 200, 429],
    );
    assert.equal(alice[3].headers["x-ratelimit-limit"], "3, 3;w=3600");
    assert.equal(alice[2].headers["x-ratelimit-remaining"], "0");
    assert.equal((await get("bob")).status, 200);
  });

  it("cost.request 2 and cost.response 3 on a shared rule of 10: each request takes 5 (2 on arrival, 3 when its stream is done), so 2 pass across both proxies", async () => {
    const counter = (): number => {
      const key = (redis?.cli(["--scan", "--pattern", "*default/costs*"]) ?? "").trim();
      return key === "" ? 0 : Number(redis?.cli(["get", key]).trim());
    };
    const first = await httpGet(ports.a, "cost.example.com");
    assert.equal(first.status, 200);
    assert.equal(first.headers["x-ratelimit-remaining"], "8", "the request cost (2) is taken on arrival");
    await eventually(async () => counter() === 5, 5_000, "the response cost (3) is taken when the stream is done");
    assert.equal((await httpGet(ports.b, "cost.example.com")).status, 200);
    await eventually(async () => counter() === 10, 5_000, "the second request's 2 + 3, counted through Gateway b");
    const third = await httpGet(ports.a, "cost.example.com");
    assert.equal(third.status, 429, "10 of 10 are used: 2 requests, not 5 (as 2 each would allow) nor 10");
    assert.equal(third.headers["x-ratelimit-remaining"], "0");
  });

  it("limit.fromMetadata without that metadata: Envoy takes the route's own rate_limits at stage 1 and the limit falls back to requests/unit (2 per hour)", async () => {
    const got = [
      await httpGet(ports.a, "tenant.example.com"),
      await httpGet(ports.a, "tenant.example.com"),
      await httpGet(ports.a, "tenant.example.com"),
    ];
    assert.deepEqual(
      got.map((r) => r.status),
      [200, 200, 429],
    );
    assert.equal(got[2].headers["x-ratelimit-limit"], "2, 2;w=3600");
  });

  it("headers.disableRateLimitHeaders (ClientTrafficPolicy) removes the X-RateLimit-* headers from Gateway b", async () => {
    const onA = await httpGet(ports.a, "shared.example.com");
    const onB = await httpGet(ports.b, "shared.example.com");
    assert.equal(onA.status, 429);
    assert.equal(onB.status, 429);
    assert.ok(onA.headers["x-ratelimit-limit"] !== undefined, JSON.stringify(onA.headers));
    assert.equal(onB.headers["x-ratelimit-limit"], undefined, JSON.stringify(onB.headers));
  });
});
