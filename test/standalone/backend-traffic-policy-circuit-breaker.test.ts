/**
 * BackendTrafficPolicy `circuitBreaker` on the wire (real Envoy, standalone). Six clients send a request at the
 * same time to a backend that answers after 1.5 s (a ClientTrafficPolicy turns on Envoy's headers, which Envoy
 * Gateway suppresses by default, so that the overflow header shows):
 * - without a policy, all six are answered;
 * - maxParallelRequests 2: two are answered, four fail at once with 503 and `x-envoy-overloaded: true`;
 * - maxConnections 1 + maxPendingRequests 1, and perEndpoint.maxConnections 1 + maxPendingRequests 1: one
 *   request in flight at a time (one or two answered, see assertOneAtATime), the others overflow;
 * - maxRequestsPerConnection 1: sequential requests over one client connection each reach the backend on a new
 *   connection (without it, Envoy reuses one);
 * - retryBudget 0% with minRetryConcurrency 1 (and a retry policy): of six concurrent requests whose first attempt
 *   gets 503 and whose retry takes 1 s, one retry runs and the other five return the 503 (without the budget,
 *   all six are retried and answered);
 * - an invalid limit: the policy is Accepted=False naming the field, and its route answers 500.
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import { createServer, type Server } from "node:http";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { applyPolicy, btpConditions, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "cb.example.com";
const CONN_HOST = "conn.example.com";
const RETRY_HOST = "retry.example.com";

/** Sends `n` requests at once, each on its own client connection; resolves with every answer. */
function concurrent(port: number, n: number, path: string): Promise<HttpResult[]> {
  return Promise.all(
    Array.from({ length: n }, () => httpGet(port, HOST, path, { agent: new Agent({ keepAlive: false }) })),
  );
}

/**
 * Statuses of the answers, sorted, and how many overflowed: 503 with `x-envoy-overloaded: true` and Envoy's
 * "reset reason: overflow" body.
 */
function summary(rs: readonly HttpResult[]): { statuses: number[]; overloaded: number } {
  return {
    statuses: rs.map((r) => r.status).sort(),
    overloaded: rs.filter(
      (r) => r.status === 503 && r.headers["x-envoy-overloaded"] === "true" && /reset reason: overflow/.test(r.body),
    ).length,
  };
}

/**
 * Six concurrent slow requests through one connection: one or two are answered, the second only after the first
 * (on the one connection), and the others overflow. Measured with Envoy 1.36: whether a request held back by the
 * connection limit waits (maxPendingRequests 1) or overflows depends on which worker thread took it, so one or
 * two are answered.
 */
async function assertOneAtATime(port: number): Promise<void> {
  const started = Date.now();
  const { statuses, overloaded } = summary(await concurrent(port, 6, "/delay/1500"));
  const answered = statuses.filter((s) => s === 200).length;
  assert.ok(answered === 1 || answered === 2, `answered: ${statuses.join(", ")}`);
  assert.equal(overloaded, 6 - answered, `the others overflow: ${statuses.join(", ")}`);
  if (answered === 2) assert.ok(Date.now() - started >= 2900, "the second went after the first");
}

/** Envoy Gateway suppresses Envoy's own headers by default: this ClientTrafficPolicy lets x-envoy-overloaded out. */
const ENVOY_HEADERS_CTP = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: envoy-headers, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  headers: { enableEnvoyHeaders: true }
`;

/** An HTTP backend answering 503 at once to the first request of each `x-key`, 200 after 1 s to the next. */
function startSecondTimeBackend(): Promise<{ server: Server; port: number }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const key = String(req.headers["x-key"]);
    if (!seen.has(key)) {
      seen.add(key);
      res.writeHead(503).end("first");
      return;
    }
    setTimeout(() => res.end("retried"), 1000);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/** An HTTP backend that counts the TCP connections it accepted. */
function startConnectionCounter(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((_req, res) => res.end("ok"));
  server.on("connection", () => n++);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as { port: number }).port, connections: () => n }),
    ),
  );
}

describe("standalone: BackendTrafficPolicy circuitBreaker (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let slow: EchoBackend;
  let counter: Awaited<ReturnType<typeof startConnectionCounter>>;
  let secondTime: Awaited<ReturnType<typeof startSecondTimeBackend>>;
  let port: number;

  before(async () => {
    slow = await startEchoBackend({ name: "slow" });
    counter = await startConnectionCounter();
    secondTime = await startSecondTimeBackend();
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": `${gatewayYaml(port)}---\n${ENVOY_HEADERS_CTP}`,
      "routes.yaml": [
        backendYaml("slow", slow.port),
        routeYaml("slow", HOST, "slow"),
        backendYaml("counter", counter.port),
        routeYaml("counter", CONN_HOST, "counter"),
        backendYaml("second", secondTime.port),
        routeYaml("second", RETRY_HOST, "second"),
      ].join("---\n"),
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
    await eventually(async () => (await httpGet(port, CONN_HOST)).status === 200, 15_000, "the counter route");
  });

  after(async () => {
    await t?.close();
    await slow?.close();
    await new Promise((r) => counter?.server.close(r));
    secondTime?.server.close();
  });

  it("without a policy, six concurrent slow requests are all answered", async () => {
    assert.deepEqual(summary(await concurrent(port, 6, "/delay/1500")), {
      statuses: [200, 200, 200, 200, 200, 200],
      overloaded: 0,
    });
  });

  it("maxParallelRequests 2: two answered, four overflow with 503 and x-envoy-overloaded", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("cb", "slow", "  circuitBreaker: { maxParallelRequests: 2 }"));
    const started = Date.now();
    const rs = await concurrent(port, 6, "/delay/1500");
    assert.deepEqual(summary(rs), { statuses: [200, 200, 503, 503, 503, 503], overloaded: 4 });
    assert.ok(Date.now() - started >= 1400, "the two answered waited for the backend");
  });

  it("maxConnections 1 + maxPendingRequests 1: one request in flight at a time, the others overflow", async () => {
    await applyPolicy(
      t,
      "btp.yaml",
      btpYaml("cb", "slow", "  circuitBreaker: { maxConnections: 1, maxPendingRequests: 1 }"),
    );
    await assertOneAtATime(port);
  });

  it("perEndpoint.maxConnections 1 + maxPendingRequests 1: the same from the endpoint's limit", async () => {
    const spec = "  circuitBreaker: { perEndpoint: { maxConnections: 1 }, maxPendingRequests: 1 }";
    await applyPolicy(t, "btp.yaml", btpYaml("cb", "slow", spec));
    await assertOneAtATime(port);
  });

  it("maxRequestsPerConnection 1: each request reaches the backend on a new connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sequential = async (): Promise<number> => {
      const before = counter.connections();
      for (let i = 0; i < 5; i++) assert.equal((await httpGet(port, CONN_HOST, "/", { agent })).status, 200);
      return counter.connections() - before;
    };
    assert.ok((await sequential()) <= 1, "without the policy Envoy reuses its backend connection");
    await applyPolicy(
      t,
      "btp-conn.yaml",
      btpYaml("conn", "counter", "  circuitBreaker: { maxRequestsPerConnection: 1 }"),
    );
    assert.equal(await sequential(), 5, "one backend connection per request");
    agent.destroy();
  });

  it("retryBudget 0% + minRetryConcurrency 1: one retry at a time, the others return the first 503", async () => {
    const retry = "  retry: { numRetries: 1, retryOn: { triggers: [retriable-status-codes], httpStatusCodes: [503] } }";
    const sixAtOnce = async (round: string): Promise<number[]> => {
      const rs = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((i) =>
          httpGet(port, RETRY_HOST, "/", {
            headers: { "x-key": `${round}-${i}` },
            agent: new Agent({ keepAlive: false }),
          }),
        ),
      );
      return rs.map((r) => r.status).sort();
    };
    // Envoy Gateway's parallel retry limit, written out so that this policy has a variant to wait for too.
    await applyPolicy(
      t,
      "btp-retry.yaml",
      btpYaml("retry", "second", `${retry}\n  circuitBreaker: { maxParallelRetries: 1024 }`),
    );
    assert.deepEqual(await sixAtOnce("plain"), [200, 200, 200, 200, 200, 200], "every request retried");
    const budget = `${retry}\n  circuitBreaker: { retryBudget: { percent: { numerator: 0 }, minRetryConcurrency: 1 } }`;
    await applyPolicy(t, "btp-retry.yaml", btpYaml("retry", "second", budget));
    assert.deepEqual(await sixAtOnce("budget"), [200, 503, 503, 503, 503, 503], "one retry within the budget");
  });

  it("an invalid limit: Accepted=False naming the field, and the route answers 500", async () => {
    await t.write("btp.yaml", btpYaml("cb", "slow", "  circuitBreaker: { maxParallelRequests: -2 }"));
    await eventually(async () => (await httpGet(port, HOST)).status === 500, 15_000, "the route to answer 500");
    const accepted = btpConditions(t, "cb").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(accepted?.message ?? "", /spec\.circuitBreaker\.maxParallelRequests: -2 must be a whole number/);
  });
});
