/**
 * A controller restarted under a running proxy (Kubernetes tier), as in an upgrade from a release whose default
 * route layout was `inline` (ADR 0032): the first controller sends the proxy its routes over RDS; it stops, and a new
 * one on the same xDS address, on today's default layout (`scoped`), sends the same listener with scoped RDS. Envoy
 * 1.37.0 would answer 404 from then on (a listener update that brings a SRDS subscription after start-up never
 * started it, envoyproxy/envoy#43392); the Envoy egts runs (1.40.0) starts it. Under a steady load through the
 * Gateway: zero failed requests across the stop, the reconnect and the switch; then a route created after the restart
 * is served through a scope, so the proxy really holds the scoped listener. With the proxy on Envoy 1.37.0 (an older
 * release's image, still running during an upgrade's rollout), the new controller keeps that node inline while the
 * older Envoy is connected (older-envoys.ts): zero failures again, and the new route is served over RDS.
 */
import assert from "node:assert/strict";
import { CONTROLLER_DEFAULTS } from "../../operator/src/config/controller-defaults";
import type { Controller } from "../../operator/src/pipeline/controller";
import { OLDER_ENVOY, requireOlderEnvoy } from "../../test/support/envoy";
import { eventually, httpGet } from "../../test/support/http";
import { publishedLayout, type PublishedLayout } from "../../test/support/listeners";
import { startLoad } from "../../test/support/load";
import { echoRouteYaml, quickstartYaml, startProxyStack, startTestController, type ProxyStack } from "../harness";

const NS = "envoy-gateway-system";
const PORT = 80;
const HOST = "www.example.com";
const NODE = "default/eg";

/** The Gateway's published layout on controller `c` (test/support/listeners.ts). */
function layoutOf(c: Controller): PublishedLayout {
  return publishedLayout(c.cache, NODE);
}

/** The quickstart served by a controller on the `inline` layout, its proxy pod running `envoyBin` (default: pinned). */
function startInlineStack(echoName: string, envoyBin?: string): Promise<ProxyStack> {
  return startProxyStack({
    namespace: NS,
    echoName,
    manifests: (c, echo) => quickstartYaml(PORT, c.nodeAddress, echo.port),
    probe: { port: PORT, host: HOST },
    controller: { routeLayout: "inline" },
    ...(envoyBin ? { envoyBin } : {}),
  });
}

/** Under load, stops the stack's controller and starts one on the default layout on its xDS address; then a new route. */
async function restartUnderLoad(
  stack: ProxyStack,
  started: (c: Controller) => void,
): Promise<{ restarted: Controller; failures: number; total: number; errors: unknown; switchedMs: number }> {
  const { cluster, address, controller } = stack;
  const xdsPort = controller.xdsPort;
  const load = startLoad({ address, port: PORT, host: HOST, rps: 60 });
  await new Promise((r) => setTimeout(r, 2000)); // steady first
  const stoppedAt = Date.now();
  await controller.stop();
  const restarted = await startTestController(cluster, NS, {
    xdsListen: `${cluster.nodeAddress}:${xdsPort}`,
    render: { image: CONTROLLER_DEFAULTS.envoyImage, xds: { host: cluster.nodeAddress, port: xdsPort } },
  });
  started(restarted);
  await eventually(async () => restarted.cache.getNode(NODE) !== undefined, 60_000, "the node on the new controller");
  // A route created now is served only if the proxy took what the new controller sent.
  await cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
    input: echoRouteYaml("later", "later.example.com"),
  });
  await eventually(
    async () => (await httpGet(PORT, "later.example.com", "/", { address })).status === 200,
    60_000,
    "the route created after the restart",
  );
  const switchedMs = Date.now() - stoppedAt;
  await new Promise((r) => setTimeout(r, 2000)); // the new listener alone
  const result = await load.stop();
  process.stdout.write(
    `      restart: ${result.total} requests, ${result.failures} failures ${JSON.stringify(result.errors)}; ` +
      `stop → new route served ${switchedMs} ms\n`,
  );
  return { restarted, failures: result.failures, total: result.total, errors: result.errors, switchedMs };
}

describe("controller restart under a running proxy: inline layout → scoped (Kubernetes tier)", function () {
  this.timeout(240_000);
  let stack: ProxyStack | undefined;
  let next: Controller | undefined;

  before(async () => {
    stack = await startInlineStack("restart-echo");
  });

  after(async () => {
    await next?.stop();
    await stack?.stop();
  });

  it("loses no request while the new controller scopes the routes the proxy held over RDS; new routes are served", async () => {
    assert.ok(stack);
    const before = layoutOf(stack.controller);
    assert.equal(before.scoped, false, "the first controller sends RDS");
    assert.deepEqual(before.routes, ["default/eg/http"]);
    const r = await restartUnderLoad(stack, (c) => (next = c));
    assert.ok(r.total > 200, `a real load (${r.total} requests)`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    const after = layoutOf(r.restarted);
    assert.equal(after.scoped, true, "the new controller scopes the listener");
    assert.deepEqual(after.routes, [], "no RouteConfiguration over RDS");
    assert.deepEqual(after.scopes, ["later.example.com", HOST]);
    const { address } = stack;
    assert.equal((await httpGet(PORT, "nope.example.com", "/", { address })).status, 404, "an unknown host: 404");
  });
});

describe(`controller restart under a proxy on Envoy ${OLDER_ENVOY}: its node stays inline (Kubernetes tier)`, function () {
  this.timeout(240_000);
  let stack: ProxyStack | undefined;
  let next: Controller | undefined;

  before(async () => {
    stack = await startInlineStack("restart-older-echo", requireOlderEnvoy());
  });

  after(async () => {
    await next?.stop();
    await stack?.stop();
  });

  it("loses no request and serves new routes over RDS: the new controller does not scope a 1.37.0 proxy", async () => {
    assert.ok(stack);
    const r = await restartUnderLoad(stack, (c) => (next = c));
    assert.ok(r.total > 200, `a real load (${r.total} requests)`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.deepEqual(
      [...r.restarted.server.olderEnvoys.entries()].map(([n]) => n),
      [NODE],
    );
    const after = layoutOf(r.restarted);
    assert.equal(after.scoped, false, "inline while Envoy 1.37.0 is connected");
    assert.deepEqual(after.routes, ["default/eg/http"]);
    assert.deepEqual(after.scopes, []);
  });
});
