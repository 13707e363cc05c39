/**
 * Envoy 1.36 load balancing policy messages the pinned proto source (the Envoy API jar
 * io.envoyproxy.controlplane:api 1.0.49, ADR 0004) lacks, encoded here by hand, with field numbers from Envoy's
 * protos (the descriptors in the Envoy 1.36 binary agree):
 * - load_balancing_policies.override_host.v3.OverrideHost (BackendTrafficPolicy `loadBalancer.endpointOverride`):
 *   repeated OverrideHostSource override_host_sources = 1 { string header = 1 }, LoadBalancingPolicy
 *   fallback_policy = 3;
 * - client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin's slow_start_config = 8 (BackendUtilization
 *   with slowStart), on top of the generated codec's fields. Registered under its type URL in place of the
 *   generated codec, so goldens show every field.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerLazyCodec, registerType, type MessageCodec } from "../../../../proto/any";
import { LoadBalancingPolicy } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type * as CswrrProto from "../../../../proto/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin";
import type { ClientSideWeightedRoundRobin } from "../../../../proto/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin";
import type * as LbCommonProto from "../../../../proto/gen/envoy/extensions/load_balancing_policies/common/v3/common";
import type { SlowStartConfig } from "../../../../proto/gen/envoy/extensions/load_balancing_policies/common/v3/common";
import { protoModule } from "../../../../proto/lazy";
import "../extension-types";

const cswrrProto = protoModule<typeof CswrrProto>(
  "envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin",
);
const lbCommonProto = protoModule<typeof LbCommonProto>("envoy/extensions/load_balancing_policies/common/v3/common");

const LEN = 2;
const tag = (field: number): number => (field << 3) | LEN;

/** A reader and the end of the message it reads. */
function reader(input: BinaryReader | Uint8Array, length?: number): { r: BinaryReader; end: number } {
  const r = input instanceof BinaryReader ? input : new BinaryReader(input);
  return { r, end: length === undefined ? r.len : r.pos + length };
}

/** override_host.v3.OverrideHost, with header sources only (what Envoy Gateway sets). */
export interface OverrideHost {
  /** The headers naming the endpoints, tried in order. */
  readonly overrideHostSources: readonly { readonly header: string }[];
  /** The policy picking the endpoint when no header names one. */
  readonly fallbackPolicy?: LoadBalancingPolicy;
}

const overrideHostCodec = {
  $type: "envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost",
  encode(m: OverrideHost, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const s of m.overrideHostSources) w.uint32(tag(1)).fork().uint32(tag(1)).string(s.header).join();
    if (m.fallbackPolicy) LoadBalancingPolicy.encode(m.fallbackPolicy, w.uint32(tag(3)).fork()).join();
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): OverrideHost {
    const { r, end } = reader(input, length);
    const sources: { header: string }[] = [];
    let fallbackPolicy: LoadBalancingPolicy | undefined;
    while (r.pos < end) {
      const t = r.uint32();
      if (t === tag(1)) sources.push(decodeSource(r, r.uint32()));
      else if (t === tag(3)) fallbackPolicy = LoadBalancingPolicy.decode(r, r.uint32());
      else r.skip(t & 7);
    }
    return { overrideHostSources: sources, ...(fallbackPolicy ? { fallbackPolicy } : {}) };
  },
  fromPartial(o: never): OverrideHost {
    const p = o as Partial<OverrideHost>;
    return {
      overrideHostSources: (p.overrideHostSources ?? []).map((s) => ({ header: s.header ?? "" })),
      ...(p.fallbackPolicy ? { fallbackPolicy: LoadBalancingPolicy.fromPartial(p.fallbackPolicy as never) } : {}),
    };
  },
  toJSON(m: OverrideHost): unknown {
    return {
      overrideHostSources: m.overrideHostSources.map((s) => ({ header: s.header })),
      ...(m.fallbackPolicy ? { fallbackPolicy: LoadBalancingPolicy.toJSON(m.fallbackPolicy) } : {}),
    };
  },
};

function decodeSource(r: BinaryReader, length: number): { header: string } {
  const end = r.pos + length;
  let header = "";
  while (r.pos < end) {
    const t = r.uint32();
    if (t === tag(1)) header = r.string();
    else r.skip(t & 7);
  }
  return { header };
}

/** ClientSideWeightedRoundRobin with Envoy 1.36's slow_start_config (field 8). */
export type ClientSideWeightedRoundRobinFull = ClientSideWeightedRoundRobin & {
  readonly slowStartConfig?: SlowStartConfig;
};

const SLOW_START = 8;

/** The codec, built on first use (ADR 0038). */
function cswrrCodec(): MessageCodec<ClientSideWeightedRoundRobinFull> {
  const { ClientSideWeightedRoundRobin } = cswrrProto();
  const { SlowStartConfig } = lbCommonProto();
  return {
    $type: ClientSideWeightedRoundRobin.$type,
    encode(m: ClientSideWeightedRoundRobinFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
      ClientSideWeightedRoundRobin.encode(m, w);
      if (m.slowStartConfig) SlowStartConfig.encode(m.slowStartConfig, w.uint32(tag(SLOW_START)).fork()).join();
      return w;
    },
    decode(input: BinaryReader | Uint8Array, length?: number): ClientSideWeightedRoundRobinFull {
      const { r, end } = reader(input, length);
      const start = r.pos;
      const base = ClientSideWeightedRoundRobin.decode(r, end - start);
      r.pos = start;
      let slowStartConfig: SlowStartConfig | undefined;
      while (r.pos < end) {
        const t = r.uint32();
        if (t === tag(SLOW_START)) slowStartConfig = SlowStartConfig.decode(r, r.uint32());
        else r.skip(t & 7);
      }
      return slowStartConfig ? { ...base, slowStartConfig } : base;
    },
    fromPartial(o: never): ClientSideWeightedRoundRobinFull {
      const p = o as Partial<ClientSideWeightedRoundRobinFull>;
      const base = ClientSideWeightedRoundRobin.fromPartial(o);
      return p.slowStartConfig ? { ...base, slowStartConfig: SlowStartConfig.fromPartial(p.slowStartConfig) } : base;
    },
    toJSON(m: ClientSideWeightedRoundRobinFull): unknown {
      const json = ClientSideWeightedRoundRobin.toJSON(m) as object;
      return m.slowStartConfig ? { ...json, slowStartConfig: SlowStartConfig.toJSON(m.slowStartConfig) } : json;
    },
  };
}

/** Envoy's override_host load balancing policy. */
export const OverrideHostLbType = registerType(overrideHostCodec);
/** Envoy's client-side weighted round robin, with slow start (in place of the generated codec). */
export const ClientSideWeightedRoundRobinFullLbType = registerLazyCodec(
  "envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin",
  cswrrCodec,
);
