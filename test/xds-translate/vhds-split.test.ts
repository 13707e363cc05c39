/**
 * The VHDS layout's split of encoded RouteConfigurations (ADR 0008): every virtual host becomes its own resource,
 * byte for byte, in the namespace of its route configuration; the route configuration keeps everything else and
 * names the VHDS source; a virtual host of another listener is renamed into the namespace; unchanged virtual hosts
 * keep the previous `Any` object, which the cache does not hash again.
 */
import assert from "node:assert/strict";
import { pack, unpack } from "../../proto/any";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import type { NodeResources } from "../../operator/src/xds/translate/resources";
import { splitVirtualHosts, vhdsNamespace } from "../../operator/src/xds/translate/vhds";
import { RouteType, TypeUrl, VirtualHostType } from "../../operator/src/xds/types";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";

function routeConfiguration(
  name: string,
  hosts: readonly { name: string; domain: string; path: string }[],
): RouteConfiguration {
  return RouteConfiguration.fromPartial({
    name,
    ignorePortInHostMatching: true,
    virtualHosts: hosts.map((h) => ({
      name: h.name,
      domains: [h.domain],
      routes: [{ name: `${h.name}/r`, match: { prefix: h.path }, directResponse: { status: 200 } }],
    })),
  });
}

function resources(rc: RouteConfiguration): NodeResources {
  return new Map([[TypeUrl.Route, new Map([[rc.name, pack(RouteType, rc)]])]]);
}

describe("VHDS split of route configurations", function () {
  const rc = routeConfiguration("default/eg/http", [
    { name: "default/eg/http/a_example_com", domain: "a.example.com", path: "/a" },
    { name: "default/eg/other/b_example_com", domain: "b.example.com", path: "/b" },
  ]);

  it("moves each virtual host, unchanged but for a foreign name, into a resource of the route configuration's namespace", function () {
    const out = splitVirtualHosts(resources(rc));
    const split = unpack(RouteType, out.get(TypeUrl.Route)!.get(rc.name)!);
    assert.deepEqual(split.virtualHosts, []);
    assert.equal(split.ignorePortInHostMatching, true, "the route configuration keeps its other fields");
    assert.ok(split.vhds?.configSource?.apiConfigSource?.grpcServices[0]?.envoyGrpc?.clusterName);
    const vhosts = out.get(TypeUrl.VirtualHost)!;
    assert.deepEqual(
      [...vhosts.keys()],
      ["default/eg/http/a_example_com", "default/eg/http/default~eg~other~b_example_com"],
    );
    for (const [name, any] of vhosts) {
      assert.equal(vhdsNamespace(name), rc.name);
      const vh = unpack(VirtualHostType, any);
      assert.equal(vh.name, name, "the virtual host is named like its resource (Envoy removes by that name)");
      const original = rc.virtualHosts.find((v) => v.domains[0] === vh.domains[0])!;
      assert.deepEqual(vh, { ...original, name }, "everything else is as built");
    }
  });

  it("reuses the published Any of an unchanged virtual host, and the cache diff holds only the changed one", function () {
    const cache = new XdsCache();
    cache.setNode("n", splitVirtualHosts(resources(rc)));
    const published = cache.getNode("n")!.resources.get(TypeUrl.VirtualHost)!;
    const changed = routeConfiguration("default/eg/http", [
      { name: "default/eg/http/a_example_com", domain: "a.example.com", path: "/changed" },
      { name: "default/eg/other/b_example_com", domain: "b.example.com", path: "/b" },
    ]);
    const next = splitVirtualHosts(resources(changed), published).get(TypeUrl.VirtualHost)!;
    const b = "default/eg/http/default~eg~other~b_example_com";
    assert.equal(next.get(b), published.get(b)!.value, "the unchanged virtual host is the same object");
    assert.notEqual(next.get("default/eg/http/a_example_com"), published.get("default/eg/http/a_example_com")!.value);
    const diff = cache.setNode("n", splitVirtualHosts(resources(changed), published));
    assert.deepEqual(Object.fromEntries([...diff.types].map(([t, d]) => [t, d.upserted])), {
      [TypeUrl.VirtualHost]: ["default/eg/http/a_example_com"],
    });
  });
});
