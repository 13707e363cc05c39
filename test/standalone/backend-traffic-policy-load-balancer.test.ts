/**
 * BackendTrafficPolicy `loadBalancer` on the wire (real Envoy, standalone), over a Backend with three endpoints
 * that answer their own name:
 * - ConsistentHash Header: 200 requests with 10 values of `x-user` each reach one endpoint per value (and the
 *   values spread over more than one endpoint); without the policy one value reaches all three;
 * - ConsistentHash SourceIP, QueryParams and Cookie (the cookie Envoy generates pins the client);
 * - an empty consistent-hash header name: Accepted=False naming the field, the route answers 500;
 * - Random: 300 requests, each endpoint gets 60 to 140 (expected 100; about five standard deviations);
 * - RoundRobin slowStart window 3s: an endpoint added to the Backend (after the others left their own window)
 *   gets under 20% of the requests right away (Envoy ramps its weight up from 10%), where plain round robin
 *   gives it a third;
 * - LeastRequest: with one endpoint answering after 200 ms, twelve concurrent clients send it under 20% of the
 *   requests (Envoy picks the less busy of two random endpoints: both are the slow one 1 time in 9; round robin
 *   sends it a third).
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import { applyPolicy, btpConditions, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { spread as spreadAt, startNamedEndpoint, type NamedEndpoint } from "../support/lb-endpoints";
import { backendPoolYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "lb.example.com";
const NAMES = ["a", "b", "c"] as const;

/** Backend `default/pool` with the endpoints. */
function poolYaml(endpoints: readonly NamedEndpoint[]): string {
  return backendPoolYaml(
    "pool",
    endpoints.map((e) => e.port),
  );
}

/** How many of `n` sequential requests each endpoint answered. */
function spread(
  port: number,
  n: number,
  opts: { path?: string; headers?: Record<string, string> } = {},
): Promise<Record<string, number>> {
  return spreadAt(port, HOST, n, opts);
}

describe("standalone: BackendTrafficPolicy loadBalancer (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let endpoints: NamedEndpoint[];
  let slowA = false;
  let port: number;

  before(async () => {
    endpoints = await Promise.all(
      NAMES.map((n) => startNamedEndpoint(n, { delay: () => (n === "a" && slowA ? 200 : 0) })),
    );
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${poolYaml(endpoints)}---\n${routeYaml("pool", HOST, "pool")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    for (const e of endpoints ?? []) e.server.close();
  });

  it("without a policy, one x-user value reaches all three endpoints", async () => {
    const counts = await spread(port, 30, { headers: { "x-user": "u1" } });
    assert.deepEqual(Object.keys(counts).sort(), ["a", "b", "c"], JSON.stringify(counts));
  });

  it("ConsistentHash Header: each x-user value reaches one endpoint over 200 requests", async () => {
    const spec = "  loadBalancer: { type: ConsistentHash, consistentHash: { type: Header, header: { name: x-user } } }";
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    const used = new Set<string>();
    for (let u = 0; u < 10; u++) {
      const counts = await spread(port, 20, { headers: { "x-user": `user-${u}` } });
      assert.equal(Object.keys(counts).length, 1, `user-${u}: ${JSON.stringify(counts)}`);
      used.add(Object.keys(counts)[0]);
    }
    assert.ok(used.size > 1, `ten keys spread over more than one endpoint (${[...used].join(", ")})`);
  });

  it("ConsistentHash SourceIP: one client address, one endpoint", async () => {
    const spec = "  loadBalancer: { type: ConsistentHash, consistentHash: { type: SourceIP } }";
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    const counts = await spread(port, 60);
    assert.equal(Object.keys(counts).length, 1, JSON.stringify(counts));
  });

  it("ConsistentHash QueryParams: each value of ?user reaches one endpoint", async () => {
    const spec =
      "  loadBalancer: { type: ConsistentHash, consistentHash: { type: QueryParams, queryParams: [{ name: user }] } }";
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    for (const u of ["x", "y", "z"]) {
      const counts = await spread(port, 20, { path: `/?user=${u}` });
      assert.equal(Object.keys(counts).length, 1, `user=${u}: ${JSON.stringify(counts)}`);
    }
  });

  it("ConsistentHash Cookie: Envoy sets the cookie, and the client carrying it stays on one endpoint", async () => {
    const spec =
      "  loadBalancer: { type: ConsistentHash, consistentHash: { type: Cookie, cookie: { name: lb-session, ttl: 60s } } }";
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    const first = await httpGet(port, HOST);
    const setCookie = String(first.headers["set-cookie"] ?? "");
    const m = /lb-session=([^;]+)/.exec(setCookie);
    assert.ok(m, `Envoy generates the cookie (set-cookie: ${setCookie})`);
    assert.match(setCookie, /Max-Age=60/);
    const counts = await spread(port, 40, { headers: { cookie: `lb-session=${m[1]}` } });
    assert.equal(Object.keys(counts).length, 1, JSON.stringify(counts));
  });

  it("an empty consistent-hash header name: Accepted=False naming the field, the route answers 500", async () => {
    const spec = '  loadBalancer: { type: ConsistentHash, consistentHash: { type: Header, header: { name: "" } } }';
    await t.write("btp.yaml", btpYaml("lb", "pool", spec));
    await eventually(async () => (await httpGet(port, HOST)).status === 500, 15_000, "the route to answer 500");
    const accepted = btpConditions(t, "lb").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(accepted?.message ?? "", /spec\.loadBalancer\.consistentHash\.header\.name: "" is empty/);
  });

  it("Random: 300 requests spread within statistical bounds", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", "  loadBalancer: { type: Random }"));
    const counts = await spread(port, 300);
    for (const n of NAMES) {
      const c = counts[n] ?? 0;
      assert.ok(c >= 60 && c <= 140, `${n}: ${c} of 300 (${JSON.stringify(counts)})`);
    }
  });

  it("RoundRobin slowStart: an endpoint added to the Backend ramps up", async () => {
    /** Share of 150 requests answered by `c` right after the Backend gains it, under `spec`. */
    const newcomerShare = async (spec: string): Promise<number> => {
      await t.write("routes.yaml", `${poolYaml(endpoints.slice(0, 2))}---\n${routeYaml("pool", HOST, "pool")}`);
      await eventually(async () => !("c" in (await spread(port, 30))), 15_000, "c out of the Backend");
      await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
      // The variant's first endpoints are new too: let them leave the slow start window before adding c.
      await new Promise((r) => setTimeout(r, 3500));
      await t.write("routes.yaml", `${poolYaml(endpoints)}---\n${routeYaml("pool", HOST, "pool")}`);
      await eventually(async () => "c" in (await spread(port, 6)), 15_000, "c back in the Backend");
      return ((await spread(port, 150)).c ?? 0) / 150;
    };
    const plain = await newcomerShare("  loadBalancer: { type: RoundRobin }");
    const slow = await newcomerShare("  loadBalancer: { type: RoundRobin, slowStart: { window: 3s } }");
    assert.ok(plain > 0.25, `plain round robin gives the new endpoint about a third (${plain.toFixed(3)})`);
    assert.ok(slow < 0.2, `slow start gives it under 20% at first (${slow.toFixed(3)})`);
  });

  it("LeastRequest: a slow endpoint gets far fewer requests than round robin gives it", async () => {
    slowA = true;
    const share = async (): Promise<number> => {
      const counts: Record<string, number> = {};
      const until = Date.now() + 3000;
      const client = async (): Promise<void> => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        while (Date.now() < until) {
          const r = await httpGet(port, HOST, "/", { agent });
          counts[r.body] = (counts[r.body] ?? 0) + 1;
        }
        agent.destroy();
      };
      await Promise.all(Array.from({ length: 12 }, client));
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return (counts.a ?? 0) / total;
    };
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", "  loadBalancer: { type: RoundRobin }"));
    const roundRobin = await share();
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", "  loadBalancer: { type: LeastRequest }"));
    const leastRequest = await share();
    slowA = false;
    assert.ok(roundRobin > 0.25, `round robin sends the slow endpoint about a third (${roundRobin.toFixed(3)})`);
    assert.ok(leastRequest < 0.2, `least request sends it under 20% (${leastRequest.toFixed(3)})`);
  });
});
