/**
 * Filter and extension configs whose fields our hand-written codecs once appended to the generated encoding (the
 * pinned protos lacked them): proto/gen has them since 9fd1f190, so these types are packed with the generated
 * codecs. Each config is decoded back with the generated decoder, and each of those fields is in the bytes once.
 */
import * as assert from "node:assert/strict";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { packPartial } from "../../proto/any";
import { RetryPolicy } from "../../proto/gen/envoy/config/core/v3/base";
import { ExtAuthz } from "../../proto/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz";
import type { ExtAuthIr } from "../../operator/src/ir/security-ir";
import type { RetryIr } from "../../operator/src/ir/xds-ir";
import { remoteRetryPolicy } from "../../operator/src/xds/translate/ext-authz-fields";
import { extAuthzConfig, ExtAuthzType } from "../../operator/src/xds/translate/filters/ext-authz";
import { oauth2, Oauth2Type } from "../../operator/src/xds/translate/filters/oauth2";
import { OAuth2 } from "../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import { DynamicModuleFilter } from "../../proto/gen/envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules";
import { StringValue } from "../../proto/gen/google/protobuf/wrappers";
import { ClientSideWeightedRoundRobin } from "../../proto/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin";
import { loadBalancingPolicy } from "../../operator/src/xds/translate/cluster-policy-lb";
import { HeaderMutation } from "../../proto/gen/envoy/extensions/filters/http/header_mutation/v3/header_mutation";
import { HeaderMutation as EarlyHeaderMutation } from "../../proto/gen/envoy/extensions/http/early_header_mutation/header_mutation/v3/header_mutation";
import { HeaderMutationType } from "../../operator/src/xds/translate/filters/header-mutation";
import { EarlyHeaderMutationType } from "../../operator/src/xds/extension-types";
import { dynamicModuleConfig, DynamicModuleFilterType } from "../../operator/src/xds/translate/filters/dynamic-modules";

/** How many times each field number stands at the top level of `bytes`; `last`: the bytes of each length-delimited one's last occurrence. */
function fieldCounts(bytes: Uint8Array): { counts: Map<number, number>; last: Map<number, Uint8Array> } {
  const r = new BinaryReader(bytes);
  const counts = new Map<number, number>();
  const last = new Map<number, Uint8Array>();
  while (r.pos < r.len) {
    const t = r.uint32();
    const field = t >>> 3;
    counts.set(field, (counts.get(field) ?? 0) + 1);
    if ((t & 7) === 2) last.set(field, r.bytes());
    else r.skip(t & 7);
  }
  return { counts, last };
}

/** The bytes of the length-delimited field at `path` (each step the only occurrence of its field). */
function nested(bytes: Uint8Array, ...path: number[]): Uint8Array {
  let at = bytes;
  for (const field of path) {
    const { counts, last } = fieldCounts(at);
    assert.equal(counts.get(field), 1, `field ${field} once`);
    at = last.get(field) as Uint8Array;
  }
  return at;
}

/** Asserts each field of `fields` stands exactly once at the top level of `bytes`. */
function once(bytes: Uint8Array, ...fields: number[]): void {
  const { counts } = fieldCounts(bytes);
  for (const f of fields) assert.equal(counts.get(f), 1, `field ${f}: ${counts.get(f) ?? 0} times`);
}

/** A DynamicModuleFilter of module `mod`, filter `f`: `on` sets do_not_close, load_globally and terminal_filter. */
function dynamicModuleAny(on: boolean, config?: string): ReturnType<typeof packPartial> {
  return packPartial(
    DynamicModuleFilterType,
    dynamicModuleConfig({
      name: "p/dynamic-module/0",
      module: "mod",
      doNotClose: on,
      loadGlobally: on,
      filterName: "f",
      ...(config !== undefined ? { config } : {}),
      terminalFilter: on,
    }),
  );
}

describe("configs packed with the generated codecs (fields once hand-encoded)", () => {
  it("ExtAuthz: http_service.retry_policy (field 3 → 9) once, decoded as the retry IR's policy", () => {
    const retry: RetryIr = { codes: [], attempts: 3, backoffMs: 250, policy: { retryOn: ["5xx"], maxBackoffMs: 2000 } };
    const ir: ExtAuthIr = {
      name: "p",
      service: { http: { uri: "http://authz:9000", cluster: "authz", pathPrefix: "/check", headersToBackend: [] } },
      timeoutMs: 10_000,
      failOpen: false,
      recomputeRoute: false,
      includeRouteMetadata: false,
      allowedHeaders: [],
      contextExtensions: {},
      retry,
    };
    const any = packPartial(ExtAuthzType, extAuthzConfig(ir));
    const service = nested(any.value, 3);
    once(service, 9);
    const back = ExtAuthz.decode(any.value);
    assert.deepEqual(back.httpService?.retryPolicy, RetryPolicy.fromPartial(remoteRetryPolicy(retry)));
    assert.equal(back.httpService?.pathPrefix, "/check");
    assert.equal(back.httpService?.serverUri?.cluster, "authz");
  });

  it("ExtAuthz: no retry_policy without a retry", () => {
    const any = packPartial(ExtAuthzType, { httpService: { pathPrefix: "/p" }, transportApiVersion: 2 });
    assert.equal(fieldCounts(nested(any.value, 3)).counts.get(9), undefined);
    assert.equal(ExtAuthz.decode(any.value).httpService?.retryPolicy, undefined);
  });

  it("OAuth2: end_session_endpoint, csrf_token_expires_in, disable_token_encryption (fields 23, 24, 26) once", () => {
    const sample = oauth2.sampleConfig?.();
    assert.ok(sample);
    assert.equal(sample.typeUrl, Oauth2Type.typeUrl);
    once(nested(sample.value, 1), 23, 24, 26);
    const config = OAuth2.decode(sample.value).config;
    assert.equal(config?.endSessionEndpoint, "https://idp.example/logout");
    assert.deepEqual(config?.csrfTokenExpiresIn, { seconds: 600, nanos: 0 });
    assert.equal(config?.disableTokenEncryption, true);
    assert.equal(config?.authorizationEndpoint, "https://idp.example/authorize");
  });

  it("OAuth2: none of them when unset", () => {
    const any = packPartial(Oauth2Type, { config: { authorizationEndpoint: "https://idp/a" } });
    const { counts } = fieldCounts(nested(any.value, 1));
    for (const f of [23, 24, 26]) assert.equal(counts.get(f), undefined);
  });

  it("DynamicModuleFilter: fields in order, terminal_filter (4) once, load_globally (config's 4) once", () => {
    const any = dynamicModuleAny(true, '{"a":1}');
    const r = new BinaryReader(any.value);
    const order: number[] = [];
    while (r.pos < r.len) {
      const t = r.uint32();
      order.push(t >>> 3);
      r.skip(t & 7);
    }
    assert.deepEqual(order, [1, 2, 3, 4]);
    once(nested(any.value, 1), 1, 3, 4);
    const back = DynamicModuleFilter.decode(any.value);
    assert.deepEqual(back.dynamicModuleConfig, { name: "mod", doNotClose: true, loadGlobally: true });
    assert.equal(back.filterName, "f");
    assert.equal(back.terminalFilter, true);
    assert.equal(StringValue.decode(back.filterConfig?.value ?? new Uint8Array()).value, '{"a":1}');
  });

  it("DynamicModuleFilter: no terminal_filter or load_globally when false", () => {
    const any = dynamicModuleAny(false);
    assert.equal(fieldCounts(any.value).counts.get(4), undefined);
    assert.equal(fieldCounts(nested(any.value, 1)).counts.get(4), undefined);
  });

  it("ClientSideWeightedRoundRobin: slow_start_config (field 8) once, with the window of the IR", () => {
    const policy = loadBalancingPolicy({
      type: "BackendUtilization",
      slowStartWindowMs: 30_000,
      backendUtilization: { blackoutPeriodMs: 5000 },
    });
    const any = policy.policies[0]?.typedExtensionConfig?.typedConfig;
    assert.ok(any);
    assert.equal(
      any.typeUrl,
      "type.googleapis.com/envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin",
    );
    once(any.value, 3, 8);
    const back = ClientSideWeightedRoundRobin.decode(any.value);
    assert.deepEqual(back.slowStartConfig?.slowStartWindow, { seconds: 30, nanos: 0 });
    assert.deepEqual(back.blackoutPeriod, { seconds: 5, nanos: 0 });
  });

  const mutations = [
    { remove: "x-a" },
    { append: { header: { key: "x-b", value: "v" }, appendAction: 2 } },
    { removeOnMatch: { keyMatcher: { prefix: "x-c", ignoreCase: true } } },
  ];

  it("header_mutation filter: remove, append and remove_on_match (field 3) each once", () => {
    const any = packPartial(HeaderMutationType, { mutations: { responseMutations: mutations } });
    const list = nested(any.value, 1);
    assert.equal(fieldCounts(list).counts.get(2), 3);
    const back = HeaderMutation.decode(any.value).mutations?.responseMutations ?? [];
    assert.equal(back.length, 3);
    assert.equal(back[0].remove, "x-a");
    assert.equal(back[1].append?.header?.key, "x-b");
    assert.equal(back[2].removeOnMatch?.keyMatcher?.prefix, "x-c");
    assert.equal(back[2].removeOnMatch?.keyMatcher?.ignoreCase, true);
  });

  it("early header mutation: remove_on_match once per mutation", () => {
    const any = packPartial(EarlyHeaderMutationType, { mutations });
    assert.equal(fieldCounts(any.value).counts.get(1), 3);
    const back = EarlyHeaderMutation.decode(any.value).mutations;
    assert.deepEqual(
      back.map((m) => [m.remove, m.append?.header?.value, m.removeOnMatch?.keyMatcher?.prefix]),
      [
        ["x-a", undefined, undefined],
        [undefined, "v", undefined],
        [undefined, undefined, "x-c"],
      ],
    );
  });
});
