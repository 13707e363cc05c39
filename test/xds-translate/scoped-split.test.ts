/**
 * The scoped layout's rearrangement of a node's resources (ADR 0020): the one connection manager whose virtual hosts
 * are all exact gets scoped routes keyed on the host part of `:authority` over its RDS source, each host becomes a
 * ScopedRouteConfiguration carrying the RouteConfiguration (its settings, that virtual host) inline, and the
 * RouteConfiguration goes; a wildcard or hostless domain, or a second qualifying connection manager, leaves the node
 * as it is; an unchanged scope keeps the previous `Any`, so a one-host change upserts one scope.
 */
import assert from "node:assert/strict";
import { pack, unpack } from "../../proto/any";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import type { LaidOutResources, NodeResources } from "../../operator/src/xds/translate/resources";
import { SCOPE_KEY_BUILDER, SCOPED_ROUTES_NAME, scopeRoutes } from "../../operator/src/xds/translate/scoped";
import { HcmType, ListenerType, RouteType, ScopedRouteType, TypeUrl } from "../../operator/src/xds/types";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { ConfigSource } from "../../proto/gen/envoy/config/core/v3/config_source";
import { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";

const SOURCE = ConfigSource.fromPartial({ ads: {}, resourceApiVersion: 2 });

function routeConfiguration(name: string, hosts: readonly { domain: string; path: string }[]): RouteConfiguration {
  return RouteConfiguration.fromPartial({
    name,
    ignorePortInHostMatching: true,
    virtualHosts: hosts.map((h) => ({
      name: `${name}/${h.domain}`,
      domains: [h.domain],
      routes: [{ name: `${h.domain}/r`, match: { prefix: h.path }, directResponse: { status: 200 } }],
    })),
  });
}

function listener(name: string, rc: string): Listener {
  const hcm = HttpConnectionManager.fromPartial({
    statPrefix: name,
    rds: { routeConfigName: rc, configSource: SOURCE },
  } as never);
  return Listener.fromPartial({
    name,
    defaultFilterChain: { filters: [{ name: "hcm", typedConfig: pack(HcmType, hcm) }] },
  });
}

function resources(rcs: readonly RouteConfiguration[], listeners: readonly Listener[]): NodeResources {
  return new Map([
    [TypeUrl.Route, new Map(rcs.map((rc) => [rc.name, pack(RouteType, rc)]))],
    [TypeUrl.Listener, new Map(listeners.map((l) => [l.name, pack(ListenerType, l)]))],
  ]);
}

function hcmOf(res: LaidOutResources, name: string): HttpConnectionManager {
  const l = unpack(ListenerType, res.get(TypeUrl.Listener)!.get(name)!);
  return unpack(HcmType, l.defaultFilterChain!.filters[0]!.typedConfig!);
}

describe("scoped layout of route configurations", function () {
  const rc = routeConfiguration("default/eg/http", [
    { domain: "a.example.com", path: "/a" },
    { domain: "b.example.com", path: "/b" },
  ]);

  it("turns each exact host into a scope with its RouteConfiguration inline, and the RDS use into scoped routes", function () {
    const out = scopeRoutes(resources([rc], [listener("default/eg/http", rc.name)]));
    assert.deepEqual([...out.get(TypeUrl.Route)!.keys()], []);
    const scopes = out.get(TypeUrl.ScopedRoute)!;
    assert.deepEqual([...scopes.keys()], ["a.example.com", "b.example.com"], "each scope is named by its key");
    for (const [name, any] of scopes) {
      assert.equal(any.typeUrl, TypeUrl.ScopedRoute);
      const s = unpack(ScopedRouteType, any);
      const vh = rc.virtualHosts.find((v) => v.domains[0] === name)!;
      assert.equal(s.name, name);
      assert.deepEqual(s.key, { fragments: [{ stringKey: vh.domains[0] }] });
      assert.equal(s.routeConfigurationName, "");
      const inner = `${rc.name}/${name}`;
      assert.deepEqual(s.routeConfiguration, { ...rc, name: inner, virtualHosts: [vh] }, "the settings and one host");
    }
    const hcm = hcmOf(out, "default/eg/http");
    assert.equal(hcm.rds, undefined);
    assert.equal(hcm.scopedRoutes?.name, SCOPED_ROUTES_NAME, "one name on every node: one SRDS stats prefix");
    assert.equal(hcm.scopedRoutes?.scopeKeyBuilder?.fragments.length, 1);
    const extractor = hcm.scopedRoutes?.scopeKeyBuilder?.fragments[0]?.headerValueExtractor;
    assert.deepEqual(
      { name: extractor?.name, elementSeparator: extractor?.elementSeparator, index: extractor?.index },
      SCOPE_KEY_BUILDER.fragments[0]!.headerValueExtractor,
    );
    assert.deepEqual(SCOPE_KEY_BUILDER.fragments[0]!.headerValueExtractor, {
      name: ":authority",
      elementSeparator: ":",
      index: 0,
    });
    assert.deepEqual(hcm.scopedRoutes?.scopedRds?.scopedRdsConfigSource, SOURCE);
    assert.deepEqual(hcm.scopedRoutes?.rdsConfigSource, SOURCE);
  });

  it("leaves the node as it is for a wildcard or empty domain", function () {
    for (const domain of ["*.example.com", "*", ""]) {
      const wild = routeConfiguration("default/eg/http", [
        { domain: "a.example.com", path: "/a" },
        { domain, path: "/w" },
      ]);
      const input = resources([wild], [listener("default/eg/http", wild.name)]);
      assert.equal(scopeRoutes(input), input, domain);
    }
  });

  it("leaves the node as it is when two connection managers qualify (SRDS is a wildcard subscription)", function () {
    const other = routeConfiguration("default/eg/other", [{ domain: "c.example.com", path: "/" }]);
    const input = resources(
      [rc, other],
      [listener("default/eg/http", rc.name), listener("default/eg/other", other.name)],
    );
    assert.equal(scopeRoutes(input), input);
  });

  it("scopes the one qualifying connection manager and keeps a wildcard one on its RouteConfiguration", function () {
    const wild = routeConfiguration("default/eg/wild", [{ domain: "*.example.org", path: "/" }]);
    const out = scopeRoutes(
      resources([rc, wild], [listener("default/eg/http", rc.name), listener("default/eg/wild", wild.name)]),
    );
    assert.deepEqual([...out.get(TypeUrl.Route)!.keys()], ["default/eg/wild"]);
    assert.equal(out.get(TypeUrl.ScopedRoute)!.size, 2);
    assert.equal(hcmOf(out, "default/eg/wild").rds?.routeConfigName, "default/eg/wild");
    assert.ok(hcmOf(out, "default/eg/http").scopedRoutes);
  });

  it("reuses the published Any of an unchanged scope, and the cache diff holds only the changed one", function () {
    const l = listener("default/eg/http", rc.name);
    const cache = new XdsCache();
    cache.setNode("n", scopeRoutes(resources([rc], [l])));
    const published = cache.getNode("n")!.resources.get(TypeUrl.ScopedRoute)!;
    const changed = routeConfiguration("default/eg/http", [
      { domain: "a.example.com", path: "/changed" },
      { domain: "b.example.com", path: "/b" },
    ]);
    const next = scopeRoutes(resources([changed], [l]), cache.getNode("n")!.resources);
    const b = "b.example.com";
    assert.equal(
      next.get(TypeUrl.ScopedRoute)!.get(b),
      published.get(b)!.value,
      "the unchanged scope is the same object",
    );
    const diff = cache.setNode("n", next);
    assert.deepEqual(Object.fromEntries([...diff.types].map(([t, d]) => [t, d.upserted])), {
      [TypeUrl.ScopedRoute]: ["a.example.com"],
    });
  });

  it("scopes what the node was sent over RDS, and a listener added later (Envoy 1.40 starts SRDS when a listener brings it)", function () {
    const cache = new XdsCache();
    const wild = routeConfiguration("default/eg/wild", [{ domain: "*.example.com", path: "/" }]);
    const wildListener = listener("default/eg/wild", wild.name);
    cache.setNode("n", scopeRoutes(resources([wild], [wildListener]), undefined));
    assert.equal(cache.getNode("n")!.resources.has(TypeUrl.ScopedRoute), false, "a wildcard host: not scoped");
    const later = resources([wild, rc], [wildListener, listener("default/eg/http", rc.name)]);
    const added = scopeRoutes(later, cache.getNode("n")!.resources);
    assert.equal(added.get(TypeUrl.ScopedRoute)?.size, 2, "a listener added later is scoped");
    const rds = new XdsCache();
    rds.setNode("n", resources([rc], [listener("default/eg/http", rc.name)]));
    const switched = scopeRoutes(resources([rc], [listener("default/eg/http", rc.name)]), rds.getNode("n")!.resources);
    assert.deepEqual([...switched.get(TypeUrl.Route)!.keys()], [], "a RouteConfiguration sent over RDS is scoped");
    assert.ok(hcmOf(switched, "default/eg/http").scopedRoutes);
  });

  it("a host moving to another RouteConfiguration (listener renamed) updates its scope: no second scope with its key", function () {
    const cache = new XdsCache();
    cache.setNode("n", scopeRoutes(resources([rc], [listener("default/eg/http", rc.name)])));
    const renamed = routeConfiguration("default/eg/other", [
      { domain: "a.example.com", path: "/a" },
      { domain: "b.example.com", path: "/b" },
    ]);
    const next = scopeRoutes(
      resources([renamed], [listener("default/eg/other", renamed.name)]),
      cache.getNode("n")!.resources,
    );
    const diff = cache.setNode("n", next).types.get(TypeUrl.ScopedRoute);
    assert.deepEqual(diff?.upserted, ["a.example.com", "b.example.com"], "both scopes updated in place");
    assert.deepEqual(diff?.removed, [], "no scope removed: Envoy never holds two scopes with one key");
    const a = unpack(ScopedRouteType, next.get(TypeUrl.ScopedRoute)!.get("a.example.com")!);
    assert.equal(
      a.routeConfiguration?.name,
      "default/eg/other/a.example.com",
      "the inner RouteConfiguration's new name",
    );
  });
});
