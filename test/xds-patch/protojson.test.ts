/**
 * The protojson bridge and the operation engine of EnvoyPatchPolicy, below the goldens: fields egts encodes by hand
 * (absent from the pinned protos, added to the descriptor set by proto/generate.mjs) survive a patch; a field the
 * schema does not know makes the patch refuse the resource instead of dropping the field; `add` creates missing
 * parents as Envoy Gateway's EnsurePathExistsOnAdd does; jsonPath without `$` and its errors.
 */
import * as assert from "node:assert/strict";
import type { JSONValue } from "json-p3";
import { pack } from "../../proto/any";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import type { JsonPatchIr, PatchPolicyIr } from "../../operator/src/ir/patch-ir";
import { applyPatchPolicies } from "../../operator/src/xds/patch/apply";
import { applyOperation } from "../../operator/src/xds/patch/json-patch";
import { resourceFromJson, resourceToJson } from "../../operator/src/xds/patch/protojson";
import type { NodeResources } from "../../operator/src/xds/translate/resources";
import { ClusterType, ListenerType, TlsInspectorType } from "../../operator/src/xds/types";

const LISTENER = ListenerType.typeUrl;
const CLUSTER = ClusterType.typeUrl;

function policy(...patches: Omit<JsonPatchIr, "hasValue">[]): PatchPolicyIr {
  return {
    namespace: "default",
    name: "p",
    ancestor: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "default", name: "eg" },
    patches: patches.map((p) => ({ ...p, hasValue: "value" in p })),
  };
}

function node(type: string, name: string, value: Uint8Array): NodeResources {
  return new Map([[type, new Map([[name, { typeUrl: type, value: Buffer.from(value) }]])]]);
}

/** Appends varint field `no` = 1 to an encoded message (a field no schema here knows). */
function withUnknown(bytes: Uint8Array, no: number): Uint8Array {
  return Buffer.concat([Buffer.from(bytes), Buffer.from([((no << 3) & 0x7f) | 0x80, no >> 4, 1])]);
}

describe("EnvoyPatchPolicy protojson bridge", () => {
  it("keeps the TlsInspector's JA4 switch (field 3) through a patch of its listener", () => {
    const inspector = pack(TlsInspectorType, {
      enableJa4Fingerprinting: true,
      closeConnectionOnClientHelloParsingErrors: false,
    });
    const l = Listener.encode(
      Listener.fromPartial({ name: "l", listenerFilters: [{ name: "tls", typedConfig: inspector }] }),
    );
    const out = applyPatchPolicies(node(LISTENER, "l", l.finish()), [
      policy({ type: LISTENER, name: "l", op: "add", path: "/stat_prefix", value: "patched" }),
    ]);
    assert.deepEqual(out.outcomes[0]?.errors, []);
    const json = resourceToJson(LISTENER, out.resources.get(LISTENER)?.get("l")?.value ?? new Uint8Array()) as {
      stat_prefix: string;
      listener_filters: { typed_config: Record<string, unknown> }[];
    };
    assert.equal(json.stat_prefix, "patched");
    assert.deepEqual(json.listener_filters[0]?.typed_config, {
      "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
      enable_ja4_fingerprinting: true,
    });
  });

  it("round-trips the four fields §8 of the research names (ext_proc, lua, dynamic modules)", () => {
    const hcm = {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: "s",
      rds: { route_config_name: "r", config_source: { ads: {} } },
      http_filters: [
        {
          name: "ext_proc",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
            status_on_error: { code: "ServiceUnavailable" },
          },
        },
        {
          name: "dm",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            dynamic_module_config: { name: "m", load_globally: true },
            terminal_filter: true,
          },
        },
      ],
    };
    const listener = { name: "l", filter_chains: [{ filters: [{ name: "hcm", typed_config: hcm }] }] } as JSONValue;
    assert.deepEqual(resourceToJson(LISTENER, resourceFromJson(LISTENER, listener as never)), listener);
    const route = {
      name: "r",
      typed_per_filter_config: {
        lua: {
          "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute",
          filter_context: { team: "blue" },
        },
      },
    };
    const RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    assert.deepEqual(resourceToJson(RDS, resourceFromJson(RDS, route)), route);
  });

  it("refuses a resource carrying a field the schema does not know, nested in an Any too", () => {
    const cluster = withUnknown(Cluster.encode(Cluster.fromPartial({ name: "c" })).finish(), 999);
    const out = applyPatchPolicies(node(CLUSTER, "c", cluster), [
      policy({ type: CLUSTER, name: "c", op: "add", path: "/alt_stat_name", value: "x" }),
    ]);
    assert.deepEqual(out.outcomes[0]?.errors, [
      "xds resource type.googleapis.com/envoy.config.cluster.v3.Cluster carries fields egts's protojson schema does not know (envoy.config.cluster.v3.Cluster field 999); patching it would drop them",
    ]);
    assert.equal(out.resources.get(CLUSTER)?.get("c")?.value.length, cluster.length, "left as it was");
    const inner = { typeUrl: TlsInspectorType.typeUrl, value: Buffer.from(withUnknown(new Uint8Array(), 77)) };
    const l = Listener.encode(
      Listener.fromPartial({ name: "l", listenerFilters: [{ name: "tls", typedConfig: inner }] }),
    );
    assert.throws(
      () => resourceToJson(LISTENER, l.finish()),
      /envoy\.extensions\.filters\.listener\.tls_inspector\.v3\.TlsInspector field 77/,
    );
  });
});

describe("EnvoyPatchPolicy operations", () => {
  const op = (p: Omit<JsonPatchIr, "hasValue" | "type" | "name">): JsonPatchIr => ({
    type: CLUSTER,
    name: "c",
    ...p,
    hasValue: "value" in p,
  });

  it("add creates missing parents: objects, and an array before an index", () => {
    const r = applyOperation({ a: {} }, op({ op: "add", path: "/a/b/c/0/d", value: 1 }));
    assert.deepEqual(r, { doc: { a: { b: { c: [{ d: 1 }] } } }, errors: [] });
  });

  it("replace does not create parents (json-p3's message in Envoy Gateway's wording)", () => {
    const r = applyOperation({}, op({ op: "replace", path: "/a/b", value: 1 }));
    assert.deepEqual(r.errors, ["unable to apply patch: op=replace path=/a/b err: no such property '/a' (replace:0)"]);
  });

  it("a jsonPath without `$` gets one; each match gets the operation at `path` below it", () => {
    const doc = { hosts: [{ name: "a.x" }, { name: "b.y" }, { name: "c.x" }] };
    const r = applyOperation(
      doc,
      op({ op: "add", jsonPath: "..hosts[?match(@.name, '.*\\\\.x')]", path: "hit", value: true }),
    );
    assert.deepEqual(r, {
      doc: { hosts: [{ name: "a.x", hit: true }, { name: "b.y" }, { name: "c.x", hit: true }] },
      errors: [],
    });
  });

  it("a jsonPath that does not parse names it", () => {
    const r = applyOperation({}, op({ op: "remove", jsonPath: "$[?" }));
    assert.match(r.errors[0] ?? "", /^unable to convert jsonPath: '\$\[\?' into jsonPointers, err: /);
  });
});
