/**
 * The ranked HTTP filter registry: Envoy Gateway's order (its xDS translator's newOrderedHTTPFilter), ranking
 * of filter instances, EnvoyProxy `spec.filterOrder` reordering, and the filters today's IR feeds.
 */
import * as assert from "node:assert/strict";
import { lookupType } from "../../proto/any";
import type { HttpListenerIr } from "../../operator/src/ir/xds-ir";
import { buildHttpFilters, HTTP_FILTERS } from "../../operator/src/xds/translate/filters";
import {
  applyFilterOrder,
  DEFAULT_RANK,
  filterRank,
  sortHttpFilters,
  type FilterPosition,
} from "../../operator/src/xds/translate/filters/registry";

const P = "envoy.filters.http.";

/** Envoy Gateway's order, as issue 13 lists it (plus dynamic_modules, which EG's source ranks after wasm). */
const EG_ORDER = [
  "custom_response",
  "health_check",
  "fault",
  "cors",
  "csrf",
  "header_mutation",
  "ext_authz",
  "api_key_auth",
  "basic_auth",
  "oauth2",
  "jwt_authn",
  "stateful_session",
  "buffer",
  "lua",
  "ext_proc",
  "wasm",
  "dynamic_modules",
  "geoip",
  "rbac",
  "rbac.dfp_loopback_deny",
  "local_ratelimit",
  "ratelimit",
  "bandwidth_limit",
  "grpc_web",
  "grpc_stats",
  "credential_injector",
  "compressor",
  "dynamic_forward_proxy",
  "router",
].map((n) => P + n);

/** A name as Envoy Gateway gives the first instance of a filter (indexed ones end with /0). */
function instance(name: string): string {
  return HTTP_FILTERS.find((d) => d.name === name)?.indexed ? `${name}/policy/default/p/0` : name;
}

function names(list: readonly { name: string }[]): string[] {
  return list.map((f) => f.name);
}

const listener: HttpListenerIr = { name: "default/eg/http", address: "0.0.0.0", port: 8080, virtualHosts: [] };

describe("HTTP filter registry", () => {
  it("lists every filter once, in Envoy Gateway's order, the router last", () => {
    assert.deepEqual(names(HTTP_FILTERS), EG_ORDER);
    const ranks = HTTP_FILTERS.map((d) => d.rank);
    // Indexed filters register the rank of their first instance (lua 13, ext_proc 100, wasm 200, …).
    assert.deepEqual(
      [...ranks].sort((a, b) => a - b),
      ranks,
      "ranks increase along the list",
    );
    // A filter named after another's type (rbac.dfp_loopback_deny) shares its rank, as in Envoy Gateway.
    const own = HTTP_FILTERS.filter((d) => !HTTP_FILTERS.some((o) => o !== d && d.name.startsWith(`${o.name}.`)));
    assert.equal(new Set(own.map((d) => d.rank)).size, own.length, "no two filters share a rank");
    for (const d of HTTP_FILTERS.filter((x) => !own.includes(x))) {
      assert.equal(d.rank, own.find((o) => d.name.startsWith(`${o.name}.`))?.rank, `${d.name} ranks as its type`);
    }
  });

  it("sorts a shuffled filter list into Envoy Gateway's order", () => {
    const shuffled = [...EG_ORDER].reverse().map((n) => ({ name: instance(n) }));
    assert.deepEqual(names(sortHttpFilters(HTTP_FILTERS, shuffled)), EG_ORDER.map(instance));
  });

  it("ranks instances: indexed filters by their index (Lua 13 + index), unknown filters at 50", () => {
    const filters = [
      `${P}ext_proc/envoyextensionpolicy/default/b/1`,
      `${P}ext_proc/envoyextensionpolicy/default/a/0`,
      `${P}lua/envoyextensionpolicy/default/l/40`,
      `${P}lua/envoyextensionpolicy/default/l/0`,
      "example.unknown_filter",
      `${P}compressor.gzip`,
      `${P}compressor.brotli`,
      `${P}router`,
      `${P}wasm/envoyextensionpolicy/default/w/0`,
    ].map((name) => ({ name }));
    assert.deepEqual(names(sortHttpFilters(HTTP_FILTERS, filters)), [
      `${P}lua/envoyextensionpolicy/default/l/0`, // 13
      "example.unknown_filter", // 50
      `${P}lua/envoyextensionpolicy/default/l/40`, // 53
      `${P}ext_proc/envoyextensionpolicy/default/a/0`, // 100
      `${P}ext_proc/envoyextensionpolicy/default/b/1`, // 101
      `${P}wasm/envoyextensionpolicy/default/w/0`, // 200
      `${P}compressor.brotli`, // 308, then by name
      `${P}compressor.gzip`,
      `${P}router`,
    ]);
    assert.equal(filterRank(HTTP_FILTERS, "example.unknown_filter"), DEFAULT_RANK);
    assert.equal(filterRank(HTTP_FILTERS, `${P}oauth2/securitypolicy/default/p`), 9, "instances rank as their type");
    assert.throws(() => filterRank(HTTP_FILTERS, `${P}ext_proc/no-index`), /ext_proc\/no-index has no index/);
  });

  it("filterOrder moves a filter type before the first / after the last filter of another type", () => {
    const sorted = [
      `${P}cors`,
      `${P}basic_auth`,
      `${P}jwt_authn`,
      `${P}ext_proc/p/0`,
      `${P}ext_proc/p/1`,
      `${P}wasm/p/0`,
      `${P}wasm/p/1`,
      `${P}rbac`,
      `${P}router`,
    ].map((name) => ({ name }));
    const order: FilterPosition[] = [
      { name: `${P}wasm`, before: `${P}jwt_authn` },
      { name: `${P}cors`, after: `${P}basic_auth` },
      { name: `${P}rbac`, after: `${P}ext_proc` },
    ];
    assert.deepEqual(names(applyFilterOrder(sorted, order)), [
      `${P}basic_auth`,
      `${P}cors`,
      `${P}wasm/p/0`,
      `${P}wasm/p/1`,
      `${P}jwt_authn`,
      `${P}ext_proc/p/0`,
      `${P}ext_proc/p/1`,
      `${P}rbac`,
      `${P}router`,
    ]);
  });

  it("filterOrder positions whose filter or anchor is absent change nothing", () => {
    const sorted = [`${P}cors`, `${P}stateful_session`, `${P}router`].map((name) => ({ name }));
    const order: FilterPosition[] = [
      { name: `${P}oauth2`, before: `${P}cors` },
      { name: `${P}cors`, after: `${P}oauth2` },
      { name: `${P}cors`, before: `${P}cors` },
    ];
    assert.deepEqual(names(applyFilterOrder(sorted, order)), names(sorted));
  });

  it("a listener's HCM gets cors, stateful_session and the router, reordered by filterOrder", () => {
    assert.deepEqual(names(buildHttpFilters(listener)), [`${P}cors`, `${P}stateful_session`, `${P}router`]);
    assert.deepEqual(names(buildHttpFilters(listener, [{ name: `${P}stateful_session`, before: `${P}cors` }])), [
      `${P}stateful_session`,
      `${P}cors`,
      `${P}router`,
    ]);
  });

  it("config and per-route types are registered for Any packing", () => {
    for (const d of HTTP_FILTERS) {
      const types = [d.configType, ...(d.perRouteType ? [d.perRouteType] : [])];
      for (const t of types) assert.ok(lookupType(`type.googleapis.com/${t}`) !== undefined, `${d.name}: ${t}`);
      assert.equal(
        d.sampleConfig?.().typeUrl ?? `type.googleapis.com/${d.configType}`,
        `type.googleapis.com/${d.configType}`,
      );
    }
  });
});
