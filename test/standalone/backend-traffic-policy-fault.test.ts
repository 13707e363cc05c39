/**
 * BackendTrafficPolicy `faultInjection` on the wire (real Envoy, standalone, an echo backend), one route and
 * policy per case:
 * - abort 503 at 50 %: over 200 requests the aborted count lies within the binomial bounds (100 ± 5σ, σ ≈ 7.1),
 *   every other answer is the backend's 200;
 * - abort without a percentage: every request (Envoy Gateway's documented default, 100 %);
 * - gRPC abort: a gRPC request gets grpc-status 14 (UNAVAILABLE) from Envoy;
 * - delay 300 ms without a percentage: every request takes at least 300 ms; a route without faults answers fast;
 * - delay at 50 %: the share of slow requests lies within the binomial bounds.
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { httpGet, type HttpResult } from "../support/http";

const CASES = {
  "abort-half": `  faultInjection:\n    abort: { httpStatus: 503, percentage: 50 }`,
  "abort-all": `  faultInjection:\n    abort: { httpStatus: 418 }`,
  "abort-grpc": `  faultInjection:\n    abort: { grpcStatus: 14 }`,
  "delay-all": `  faultInjection:\n    delay: { fixedDelay: 300ms }`,
  "delay-half": `  faultInjection:\n    delay: { fixedDelay: 200ms, percentage: 50 }`,
};

/** Whether `k` successes of `n` trials at probability `p` lie within `sigmas` standard deviations of the mean. */
function withinBinomial(k: number, n: number, p: number, sigmas = 5): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(k - n * p) <= sigmas * sd;
}

describe("BackendTrafficPolicy faultInjection (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES);
  });
  after(async () => {
    agent.destroy();
    await g?.close();
  });

  /** Enough sockets for every parallel request: none waits for another's delay. */
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const send = (name: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), "/", { headers, agent });
  /** `n` requests, `parallel` at a time; each result with its duration in ms. */
  const many = async (name: string, n: number, parallel = 10): Promise<{ r: HttpResult; ms: number }[]> => {
    const out: { r: HttpResult; ms: number }[] = [];
    for (let i = 0; i < n; i += parallel) {
      const batch = Array.from({ length: Math.min(parallel, n - i) }, async () => {
        const start = performance.now();
        const r = await send(name);
        return { r, ms: performance.now() - start };
      });
      out.push(...(await Promise.all(batch)));
    }
    return out;
  };

  it("abort 503 at 50 %: the aborted share of 200 requests is within binomial bounds", async () => {
    const results = await many("abort-half", 200);
    const aborted = results.filter((x) => x.r.status === 503).length;
    const ok = results.filter((x) => x.r.status === 200).length;
    assert.equal(aborted + ok, 200, `statuses ${JSON.stringify(results.map((x) => x.r.status))}`);
    assert.ok(withinBinomial(aborted, 200, 0.5), `${aborted} of 200 aborted`);
    console.log(`      abort 50 %: ${aborted} of 200 aborted`);
  });

  it("abort without a percentage: every request", async () => {
    const results = await many("abort-all", 20);
    assert.deepEqual(
      results.map((x) => x.r.status),
      Array(20).fill(418),
    );
    assert.match(results[0].r.body, /fault filter abort/);
  });

  it("gRPC abort: grpc-status 14 on a gRPC request", async () => {
    const r = await send("abort-grpc", { "content-type": "application/grpc" });
    assert.equal(r.status, 200);
    assert.equal(r.headers["grpc-status"], "14");
  });

  it("delay 300 ms without a percentage: every request is delayed; a route without faults is not", async () => {
    const delayed = await many("delay-all", 10);
    const times = delayed.map((x) => Math.round(x.ms));
    assert.ok(
      delayed.every((x) => x.r.status === 200 && x.ms >= 295),
      `times ${JSON.stringify(times)}`,
    );
    const plain = await many("probe", 10);
    assert.ok(
      plain.every((x) => x.ms < 250),
      `probe times ${JSON.stringify(plain.map((x) => Math.round(x.ms)))}`,
    );
    console.log(`      delay 300 ms: ${Math.min(...times)}–${Math.max(...times)} ms`);
  });

  it("delay 200 ms at 50 %: the slow share of 100 requests is within binomial bounds", async () => {
    const results = await many("delay-half", 100, 20);
    assert.ok(results.every((x) => x.r.status === 200));
    // Delayed requests take 200 ms or more; the others a few milliseconds (a loaded machine can only push a fast
    // one up, which the 5σ bound absorbs).
    const slow = results.filter((x) => x.ms >= 195).length;
    assert.ok(withinBinomial(slow, 100, 0.5), `${slow} of 100 delayed`);
    console.log(`      delay 50 %: ${slow} of 100 delayed`);
  });
});
