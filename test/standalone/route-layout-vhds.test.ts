/**
 * The VHDS route layout (ADR 0008; `EGTS_ROUTE_LAYOUT=vhds`, here the standalone option) against real Envoy: the listener's RouteConfiguration
 * carries no virtual hosts, Envoy fetches them over VHDS (DeltaVirtualHosts streams), a one-route change sends that
 * route's virtual host only, Envoy's config dump still shows every route under the route configuration, a removed
 * route's host answers 404 again, a listener without virtual hosts starts at once, and a route Envoy rejects is still
 * found by the NACK bisection.
 */
import assert from "node:assert/strict";
import { filter, firstValueFrom } from "rxjs";
import { unpack } from "../../proto/any";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { RouteType, TypeUrl, VirtualHostType } from "../../operator/src/xds/types";
import { vhdsNamespace } from "../../operator/src/xds/translate/vhds";
import { eventually, freePort, httpGet } from "../support/http";
import { sentForPathChange } from "../support/route-change";
import { gatewayWithListenersYaml, hugeRegexRouteYaml, routeYaml } from "../support/manifests";
import { startBasicGateway, type BasicGateway, type TestGateway } from "../support/standalone";

const NODE = "default/eg";

describe("VHDS route layout with real Envoy", function () {
  this.timeout(60_000);
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "b", route: "ok", host: "ok.example.com", routeLayout: "vhds" });
    ({ t, port } = g);
    await t.write("more.yaml", routeYaml("two", "two.example.com", "b"));
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 200, 15_000, "route two");
  });

  after(async function () {
    valueChecks.disabled = new Set();
    await g?.close();
  });

  it("sends the RouteConfiguration without virtual hosts and each virtual host as a resource in its namespace", function () {
    const snap = t.gw.cache.getNode(NODE);
    assert.ok(snap, "the node has resources");
    const rcs = [...(snap.resources.get(TypeUrl.Route)?.values() ?? [])];
    assert.equal(rcs.length, 1);
    const rc = unpack(RouteType, rcs[0]!.value);
    assert.deepEqual(rc.virtualHosts, []);
    assert.ok(rc.vhds?.configSource?.apiConfigSource, "the route configuration names a VHDS config source");
    const vhosts = [...(snap.resources.get(TypeUrl.VirtualHost)?.values() ?? [])];
    assert.equal(vhosts.length, 2);
    for (const v of vhosts) {
      assert.equal(vhdsNamespace(v.name), rc.name, `${v.name} is in the namespace Envoy subscribes to`);
      assert.equal(unpack(VirtualHostType, v.value).name, v.name, "the resource name is the virtual host's name");
    }
  });

  it("shows every route in Envoy's config dump under the route configuration", async function () {
    const admin = await t.gw.runner?.adminUrl(NODE);
    assert.ok(admin, "the Envoy of default/eg has an admin address");
    const dump = (await (await fetch(`${admin}/config_dump?resource=dynamic_route_configs`)).json()) as {
      configs: { route_config: { name: string; virtual_hosts?: { name: string; domains: string[] }[] } }[];
    };
    const rc = dump.configs.map((c) => c.route_config).find((c) => c.name === "default/eg/http");
    assert.ok(rc, "Envoy has the route configuration");
    const domains = (rc.virtual_hosts ?? []).flatMap((v) => v.domains).sort();
    assert.deepEqual(domains, ["ok.example.com", "two.example.com"]);
  });

  it("sends only the changed route's virtual host for a one-route change, and removes a deleted route's host", async function () {
    const events = await sentForPathChange(t, port, NODE, {
      file: "more.yaml",
      name: "two",
      host: "two.example.com",
      backend: "b",
    });
    const types = new Set(events.map((e) => e.typeUrl));
    assert.deepEqual([...types], [TypeUrl.VirtualHost], "only virtual hosts were sent");
    assert.deepEqual(
      events.flatMap((e) => e.names ?? []),
      ["default/eg/http/two_example_com"],
      "only the changed virtual host was sent",
    );
    assert.equal((await httpGet(port, "two.example.com", "/changed")).status, 200);
    await t.remove("more.yaml");
    await eventually(async () => (await httpGet(port, "two.example.com")).status === 404, 15_000, "route two gone");
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });

  it("answers a listener without virtual hosts at once, so that Envoy does not wait its 15 s initial fetch timeout", async function () {
    const empty = await freePort();
    await t.write(
      "gateway.yaml",
      gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${port} }\n` +
          `    - { name: empty, protocol: HTTP, port: ${empty}, hostname: none.example.net }`,
      ),
    );
    const t0 = Date.now();
    await eventually(
      async () => (await httpGet(empty, "none.example.net")).status === 404,
      10_000,
      "the empty listener",
    );
    console.log(`      measured: listener without virtual hosts serving after ${Date.now() - t0} ms`);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });

  it("still attributes a route Envoy rejects to that route (NACK bisection over VHDS)", async function () {
    valueChecks.disabled = new Set(["regex"]);
    const nack = firstValueFrom(t.gw.server.events$.pipe(filter((e) => e.kind === "nack")));
    const bisected = firstValueFrom(t.gw.events$.pipe(filter((p) => p.kind === "quarantined")));
    await t.write("regex.yaml", `${hugeRegexRouteYaml()}---\n${routeYaml("also-new", "also.example.com", "b")}`);
    const e = await nack;
    assert.equal(e.typeUrl, TypeUrl.VirtualHost);
    assert.match(String(e.error), /regex|program size/i);
    try {
      await eventually(async () => (await httpGet(port, "also.example.com")).status === 200, 15_000, "also-new");
    } catch (err) {
      console.log(t.logs.slice(-80).join("\n"));
      throw err;
    }
    const b = await bisected;
    assert.ok(b.kind === "quarantined");
    assert.deepEqual(b.culprits, ["HTTPRoute/default/huge-regex"]);
    assert.equal((await httpGet(port, "regex.example.com")).status, 404);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
  });
});
