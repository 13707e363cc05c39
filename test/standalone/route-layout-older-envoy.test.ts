/**
 * An Envoy older than 1.38 connected to egts (ADR 0032): Envoy 1.37.0 starts scoped route discovery only while it
 * starts up (envoyproxy/envoy#43392), so a listener switched to scopes under it answers 404 for good. Against a real
 * Envoy 1.37.0 (`node scripts/install-envoy.mjs 1.37.0`) and the pinned one, on one standalone gateway's xDS server
 * whose Envoys the test runs itself: while 1.37.0 is connected its node stays on its RouteConfiguration, also when the
 * listener comes to qualify for scopes (a wildcard host removed), and answers the new host; once it leaves, the node is
 * scoped again and the pinned Envoy answers through scopes; a 1.37.0 connecting to a scoped node is held until the
 * node is inline, so it is never sent a scope.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostRunner } from "../../operator/src/infra/host/host-runner";
import type { XdsEvent } from "../../operator/src/xds/server";
import { TypeUrl } from "../../operator/src/xds/types";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { OLDER_ENVOY, requireEnvoy, requireOlderEnvoy } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";
import { publishedLayout } from "../support/listeners";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const NODE = "default/eg";
/** One Envoy process serving node {@link NODE} from the gateway's xDS server. */
interface Proxy {
  readonly admin: string;
  stop(): Promise<void>;
}

async function runEnvoy(envoyBin: string, xdsPort: number): Promise<Proxy> {
  const stateDir = await mkdtemp(join(tmpdir(), "egts-older-envoy-"));
  const runner = new HostRunner({
    envoyBin,
    xdsHost: "127.0.0.1",
    xdsPort,
    stateDir,
    envoyOutput: process.env.EGTS_TEST_LOG ? "inherit" : "ignore",
    drainTimeoutSeconds: 0,
  });
  await runner.reconcile([{ name: NODE, namespace: "default", gatewayName: "eg", ports: [] }]);
  return {
    admin: await runner.adminUrl(NODE),
    async stop() {
      await runner.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

describe(`route layout with an Envoy older than 1.38 (${OLDER_ENVOY}) connected`, function () {
  this.timeout(90_000);
  let t: TestGateway;
  let backend: EchoBackend;
  let port: number;
  let older: Proxy | undefined;
  let pinned: Proxy | undefined;
  const events: XdsEvent[] = [];

  before(async function () {
    const bin = requireOlderEnvoy();
    backend = await startEchoBackend({ name: "b" });
    port = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "routes.yaml": `${backendYaml("b", backend.port)}---\n${routeYaml("ok", "ok.example.com", "b")}`,
        // A wildcard host keeps the listener on its RouteConfiguration, as an older controller would have sent it.
        "wild.yaml": routeYaml("wild", '"*.wild.example.com"', "b"),
      },
      { withEnvoy: false },
    );
    t.gw.server.events$.subscribe((e) => events.push(e));
    older = await runEnvoy(bin, t.gw.xdsPort);
    await eventually(async () => (await httpGet(port, "ok.example.com")).status === 200, 20_000, "ok on 1.37.0");
  });

  after(async function () {
    await older?.stop();
    await pinned?.stop();
    await t?.close();
    await backend?.close();
  });

  it("keeps the node on its RouteConfiguration when its listener comes to qualify for scopes, and answers", async function () {
    assert.deepEqual([...t.gw.server.olderEnvoys.entries()], [[NODE, [OLDER_ENVOY]]]);
    await t.remove("wild.yaml");
    await t.write("two.yaml", routeYaml("two", "two.example.com", "b"));
    // On 1.37.0, a listener switched to scopes here answered 404 for good (ADR 0031): the new host never came.
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 20_000, "two on 1.37.0");
    await eventually(async () => (await httpGet(port, "a.wild.example.com")).status === 404, 20_000, "wildcard gone");
    const p = publishedLayout(t.gw.cache, NODE);
    assert.equal(p.scoped, false, "not scoped while Envoy 1.37.0 is connected");
    assert.deepEqual(p.scopes, []);
    assert.deepEqual(p.routes, ["default/eg/http"]);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    assert.ok(
      t.logs.some((l) => l.includes("an Envoy older than 1.38 connected") && l.includes(OLDER_ENVOY)),
      "the controller says why the node is inline",
    );
  });

  it("scopes the node again once the older Envoy left, and the pinned Envoy answers through scopes", async function () {
    await older?.stop();
    older = undefined;
    await eventually(async () => publishedLayout(t.gw.cache, NODE).scoped, 20_000, "scoped again");
    assert.deepEqual(publishedLayout(t.gw.cache, NODE).scopes, ["ok.example.com", "two.example.com"]);
    assert.equal(t.gw.server.olderEnvoys.has(NODE), false);
    pinned = await runEnvoy(requireEnvoy(), t.gw.xdsPort);
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 20_000, "two on the pinned");
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    const scoped = await (await fetch(`${pinned.admin}/config_dump?resource=dynamic_scoped_route_configs`)).text();
    assert.match(scoped, /"two\.example\.com"/, "Envoy holds the host in a scope");
  });

  it("holds an older Envoy connecting to a scoped node until the node is inline: it is never sent a scope", async function () {
    assert.equal(publishedLayout(t.gw.cache, NODE).scoped, true);
    await pinned?.stop();
    pinned = undefined;
    const from = events.length;
    older = await runEnvoy(requireOlderEnvoy(), t.gw.xdsPort);
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 20_000, "two on 1.37.0");
    const connected = events.slice(from).filter((e) => e.kind === "connect" && e.nodeId === NODE);
    assert.deepEqual(
      connected.map((e) => e.envoy),
      [OLDER_ENVOY],
    );
    const stream = connected[0]!.streamId;
    const sent = events.slice(from).filter((e) => e.kind === "sent" && e.streamId === stream);
    assert.ok(
      sent.some((e) => e.typeUrl === TypeUrl.Listener),
      "listeners were sent",
    );
    assert.deepEqual(
      sent.filter((e) => e.typeUrl === TypeUrl.ScopedRoute),
      [],
      "no scope was sent to Envoy 1.37.0",
    );
    assert.equal(publishedLayout(t.gw.cache, NODE).scoped, false);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });
});
