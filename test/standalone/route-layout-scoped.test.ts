/**
 * The scoped route layout (ADR 0020; `EGTS_ROUTE_LAYOUT=scoped`, here the standalone option) against real Envoy: a
 * listener whose hosts are all exact gets scoped RDS keyed on the host part of `:authority`, one scope per host with
 * its RouteConfiguration inline; each host answers 200 (also with a port in `Host`), an unknown host Envoy's 404
 * as inline; a one-route change sends that route's scope only while the other hosts keep answering; a wildcard host
 * puts the listener back on its RouteConfiguration, and once it is gone the listener is scoped again; a Gateway with
 * no routes yet is scoped from the start and gets its routes as scopes; with no scoped listener on the running Envoy,
 * a listener of exact hosts added, and one switched from its RouteConfiguration to scopes (what a controller restarted
 * under running proxies sends), are scoped and answer, the switched one throughout. Envoy 1.37.0 started SRDS only
 * while it started up (envoyproxy/envoy#43392): both answered 404 for good there (ADR 0031, 0032).
 */
import assert from "node:assert/strict";
import { unpack } from "../../proto/any";
import { ScopedRouteType, TypeUrl } from "../../operator/src/xds/types";
import { eventually, freePort, httpGet } from "../support/http";
import { publishedLayout, type PublishedLayout } from "../support/listeners";
import { sentForPathChange } from "../support/route-change";
import { backendYaml, gatewayWithListenersYaml, gatewayYaml, httpRouteYaml, routeYaml } from "../support/manifests";
import { startBasicGateway, startTestGateway, type BasicGateway, type TestGateway } from "../support/standalone";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";

const NODE = "default/eg";

/** The node's published layout (test/support/listeners.ts). */
function published(t: TestGateway): PublishedLayout {
  return publishedLayout(t.gw.cache, NODE);
}

describe("scoped route layout with real Envoy", function () {
  this.timeout(60_000);
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "b", route: "ok", host: "ok.example.com", routeLayout: "scoped" });
    ({ t, port } = g);
    await t.write("more.yaml", routeYaml("two", "two.example.com", "b"));
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 15_000, "route two");
  });

  after(async function () {
    await g?.close();
  });

  it("sends one scope per exact host with its RouteConfiguration inline, and no RouteConfiguration", function () {
    const p = published(t);
    assert.deepEqual(p.scopes, ["ok.example.com", "two.example.com"]);
    assert.deepEqual(p.routes, []);
    assert.ok(p.scoped, "the connection manager uses scoped routes");
    const scope = unpack(
      ScopedRouteType,
      t.gw.cache.getNode(NODE)!.resources.get(TypeUrl.ScopedRoute)!.get(p.scopes[0]!)!.value,
    );
    assert.deepEqual(scope.key?.fragments, [{ stringKey: "ok.example.com" }]);
    assert.equal(scope.routeConfiguration?.name, "default/eg/http/ok.example.com");
    assert.deepEqual(
      scope.routeConfiguration?.virtualHosts.map((v) => v.domains),
      [["ok.example.com"]],
    );
  });

  it("answers 200 per host, also with a port in Host, and 404 for a host no scope has", async function () {
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    assert.equal((await httpGet(port, "two.example.com")).status, 200);
    assert.equal((await httpGet(port, `ok.example.com:${port}`)).status, 200);
    assert.equal((await httpGet(port, "ok.example.com:8080")).status, 200);
    const unknown = await httpGet(port, "unknown.example.com");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body, "", "Envoy's own 404, as for a host no virtual host has inline");
    assert.equal((await httpGet(port, "unknown.example.com:8080")).status, 404);
  });

  it("sends only the changed route's scope for a one-route change; the other host keeps answering", async function () {
    const events = await sentForPathChange(t, port, NODE, {
      file: "more.yaml",
      name: "two",
      host: "two.example.com",
      backend: "b",
    });
    assert.deepEqual([...new Set(events.map((e) => e.typeUrl))], [TypeUrl.ScopedRoute], "only scopes were sent");
    assert.deepEqual(
      events.flatMap((e) => e.names ?? []),
      ["two.example.com"],
    );
    assert.equal((await httpGet(port, "two.example.com", "/changed")).status, 200);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });

  it("puts a listener with a wildcard host back on its RouteConfiguration, and scopes it again once it is gone", async function () {
    await t.write("wild.yaml", routeYaml("wild", '"*.wild.example.com"', "b"));
    await eventually(async () => (await httpGet(port, "a.wild.example.com")).status === 200, 15_000, "wildcard");
    let p = published(t);
    assert.deepEqual(p.scopes, []);
    assert.deepEqual(p.routes, ["default/eg/http"]);
    assert.equal(p.scoped, false);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    assert.equal((await httpGet(port, "unknown.example.com")).status, 404);
    await t.remove("wild.yaml");
    await eventually(async () => (await httpGet(port, "a.wild.example.com")).status === 404, 15_000, "wildcard gone");
    p = published(t);
    assert.equal(p.scoped, true, "scoped again");
    assert.deepEqual(p.routes, []);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    assert.equal((await httpGet(port, "two.example.com", "/changed")).status, 200);
  });

  it("keeps a hostless route (catch-all) on the RouteConfiguration while it exists", async function () {
    await t.write(
      "any.yaml",
      httpRouteYaml(
        "any",
        "",
        `    - matches: [{ path: { type: PathPrefix, value: /anyhost } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: b }]`,
      ).replace("  hostnames: []\n", ""),
    );
    await eventually(async () => (await httpGet(port, "x.example.org", "/anyhost")).status === 200, 15_000, "any");
    assert.equal(published(t).scoped, false);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    await t.remove("any.yaml");
    await eventually(async () => (await httpGet(port, "x.example.org", "/anyhost")).status === 404, 15_000, "any gone");
    assert.equal(published(t).scoped, true, "scoped again");
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });
});

describe("scoped route layout with real Envoy: a Gateway per test", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;

  afterEach(async function () {
    await t?.close();
    await backend?.close();
    t = undefined;
    backend = undefined;
  });

  it("is scoped from the start (no scope), and routes added later are served as scopes", async function () {
    backend = await startEchoBackend({ name: "b" });
    const port = await freePort();
    t = await startTestGateway(
      { "gateway.yaml": gatewayYaml(port), "backend.yaml": backendYaml("b", backend.port) },
      { routeLayout: "scoped" },
    );
    await eventually(async () => (await httpGet(port, "late.example.com")).status === 404, 15_000, "the listener");
    assert.equal(published(t).scoped, true, "scoped with no scope yet");
    assert.deepEqual(published(t).scopes, []);
    await t.write("late.yaml", routeYaml("late", "late.example.com", "b"));
    await eventually(async () => (await httpGet(port, "late.example.com")).status === 200, 15_000, "the late route");
    assert.deepEqual(published(t).scopes, ["late.example.com"]);
    await t.write("later.yaml", routeYaml("later", "later.example.com", "b"));
    await eventually(async () => (await httpGet(port, "later.example.com")).status === 200, 15_000, "one more");
    assert.equal((await httpGet(port, "late.example.com")).status, 200);
  });

  it("a listener of exact hosts added while Envoy runs, none scoped before: scoped, answers 200", async function () {
    backend = await startEchoBackend({ name: "b" });
    const [wildPort, exactPort] = [await freePort(), await freePort()];
    const wild = `    - { name: wild, protocol: HTTP, port: ${wildPort}, hostname: "*.wild.example.com" }`;
    const exact = `    - { name: exact, protocol: HTTP, port: ${exactPort}, hostname: exact.example.com }`;
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayWithListenersYaml(wild),
        "routes.yaml": `${backendYaml("b", backend.port)}---\n${routeYaml("w", '"*.wild.example.com"', "b")}`,
      },
      { routeLayout: "scoped" },
    );
    await eventually(async () => (await httpGet(wildPort, "a.wild.example.com")).status === 200, 15_000, "wild");
    assert.equal(published(t).scoped, false, "a wildcard host: on its RouteConfiguration");
    await t.write("gateway.yaml", gatewayWithListenersYaml(`${wild}\n${exact}`));
    await t.write("exact.yaml", routeYaml("e", "exact.example.com", "b"));
    // With Envoy 1.37.0 this listener answered 404 for good (its SRDS subscription never started).
    await eventually(async () => (await httpGet(exactPort, "exact.example.com")).status === 200, 15_000, "exact");
    assert.equal(published(t).scoped, true, "the new listener is scoped");
    assert.deepEqual(published(t).routes, ["default/eg/wild"]);
  });

  it("a listener switched from its RouteConfiguration to scopes while Envoy runs, none scoped before: answers throughout", async function () {
    backend = await startEchoBackend({ name: "b" });
    const port = await freePort();
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "backend.yaml": backendYaml("b", backend.port),
        "exact.yaml": routeYaml("e", "exact.example.com", "b"),
        "wild.yaml": routeYaml("w", '"*.wild.example.com"', "b"),
      },
      { routeLayout: "scoped" },
    );
    await eventually(async () => (await httpGet(port, "exact.example.com")).status === 200, 15_000, "exact");
    assert.equal(published(t).scoped, false, "a wildcard host: on its RouteConfiguration");
    const statuses = new Map<number, number>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const { status } = await httpGet(port, "exact.example.com");
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    })();
    await t.remove("wild.yaml");
    await eventually(async () => published(t!).scoped, 15_000, "the switch to scopes");
    await eventually(async () => (await httpGet(port, "a.wild.example.com")).status === 404, 15_000, "wild gone");
    await new Promise((r) => setTimeout(r, 500));
    polling = false;
    await poller;
    assert.deepEqual([...statuses.keys()], [200], `answers while switching: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(200) ?? 0) > 10, "the poller ran");
    assert.deepEqual(published(t).routes, [], "no RouteConfiguration left");
  });
});
