/**
 * The gateway-api-bench scenario: while clients send continuous requests, flip one route's backend and
 * add/remove a response header every 200 ms, 20 times. No request may fail, on that route or on others. Then
 * the same with BackendTrafficPolicies attached (a Gateway-level retry, and a route-level policy whose connect
 * timeout changes with every flip, so the route moves to a new policy variant cluster each time, ADR 0005).
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface Tally {
  ok: number;
  failed: { status: number; error?: string; body: string }[];
  backends: Set<string>;
  withHeader: number;
}

describe("route changes under traffic (real Envoy)", function () {
  this.timeout(120_000);
  let blue: EchoBackend;
  let green: EchoBackend;
  let steady: EchoBackend;
  let t: TestGateway;
  let port: number;

  const churnRoute = (i: number): string =>
    routeYaml(
      "churn",
      "churn.example.com",
      i % 2 === 0 ? "blue" : "green",
      i % 4 < 2 ? { responseHeader: ["x-flip", String(i)] } : {},
    );

  before(async function () {
    [blue, green, steady] = await Promise.all([
      startEchoBackend({ name: "blue" }),
      startEchoBackend({ name: "green" }),
      startEchoBackend({ name: "steady" }),
    ]);
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": [
        backendYaml("blue", blue.port),
        backendYaml("green", green.port),
        backendYaml("steady", steady.port),
      ].join("---\n"),
      "steady.yaml": routeYaml("steady", "steady.example.com", "steady"),
      "churn.yaml": churnRoute(0),
    });
    await eventually(async () => (await httpGet(port, "churn.example.com")).status === 200, 15_000, "the churn route");
    await eventually(
      async () => (await httpGet(port, "steady.example.com")).status === 200,
      15_000,
      "the steady route",
    );
  });

  after(async function () {
    await t?.close();
    await Promise.all([blue?.close(), green?.close(), steady?.close()]);
  });

  /** Clients on both routes while `change(i)` runs every 200 ms, 20 times; what they saw. */
  async function underTraffic(change: (i: number) => Promise<void>): Promise<{ churn: Tally; steady: Tally }> {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const tallies = { churn: newTally(), steady: newTally() };
    let running = true;
    const loop = async (host: string, tally: Tally): Promise<void> => {
      while (running) {
        const res = await httpGet(port, host, "/", { agent });
        if (res.status >= 200 && res.status < 300) {
          tally.ok++;
          tally.backends.add((JSON.parse(res.body) as { backend: string }).backend);
          if (res.headers["x-flip"] !== undefined) tally.withHeader++;
        } else tally.failed.push({ status: res.status, error: res.error, body: res.body.slice(0, 200) });
      }
    };
    const clients = [
      ...Array.from({ length: 4 }, () => loop("churn.example.com", tallies.churn)),
      ...Array.from({ length: 2 }, () => loop("steady.example.com", tallies.steady)),
    ];
    for (let i = 1; i <= 20; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await change(i);
    }
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await Promise.all(clients);
    agent.destroy();
    return tallies;
  }

  /** No failure on either route, both backends seen, the header toggled, and the final state is flip 20's. */
  async function assertClean(tallies: { churn: Tally; steady: Tally }): Promise<void> {
    const summary = JSON.stringify({
      churn: { ok: tallies.churn.ok, failed: tallies.churn.failed.slice(0, 5), backends: [...tallies.churn.backends] },
      steady: { ok: tallies.steady.ok, failed: tallies.steady.failed.slice(0, 5) },
    });
    assert.equal(tallies.churn.failed.length, 0, `failed requests on the churned route: ${summary}`);
    assert.equal(tallies.steady.failed.length, 0, `failed requests on the untouched route: ${summary}`);
    // The changes really happened while traffic flowed.
    assert.deepEqual([...tallies.churn.backends].sort(), ["blue", "green"], summary);
    assert.ok(
      tallies.churn.withHeader > 0 && tallies.churn.withHeader < tallies.churn.ok,
      `header toggled: ${tallies.churn.withHeader}/${tallies.churn.ok}`,
    );
    assert.ok(tallies.churn.ok > 200, `enough traffic: ${summary}`);
    // The final state is the 20th version: blue, with header x-flip: 20.
    const last = await httpGet(port, "churn.example.com");
    assert.equal((JSON.parse(last.body) as { backend: string }).backend, "blue");
    assert.equal(last.headers["x-flip"], "20");
  }

  it("20 flips every 200 ms: zero non-2xx responses", async function () {
    await assertClean(await underTraffic((i) => t.write("churn.yaml", churnRoute(i))));
  });

  it("with BackendTrafficPolicies attached, the route and its policy variant cluster changing: zero non-2xx", async function () {
    await t.write("churn.yaml", churnRoute(0));
    await t.write(
      "gateway-policy.yaml",
      `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: gateway, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  retry: {}
`,
    );
    const routePolicy = (i: number): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: churn, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: churn }]
  mergeType: StrategicMerge
  timeout: { tcp: { connectTimeout: ${1 + (i % 5)}s } }
`;
    await t.write("route-policy.yaml", routePolicy(0));
    await eventually(async () => (await httpGet(port, "churn.example.com")).status === 200, 15_000, "the churn route");
    const tallies = await underTraffic(async (i) => {
      await t.write("churn.yaml", churnRoute(i));
      await t.write("route-policy.yaml", routePolicy(i));
    });
    await assertClean(tallies);
  });
});

function newTally(): Tally {
  return { ok: 0, failed: [], backends: new Set(), withHeader: 0 };
}
