/**
 * load_balancing_policies.override_host.v3.OverrideHost (BackendTrafficPolicy `loadBalancer.endpointOverride`),
 * encoded here by hand: proto/gen has no module for it (proto/generate.mjs's ROOTS do not list its proto). Field
 * numbers from Envoy's protos (the descriptors in the Envoy 1.36 binary agree): repeated OverrideHostSource
 * override_host_sources = 1 { string header = 1 }, LoadBalancingPolicy fallback_policy = 3.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerType } from "../../../../proto/any";
import { LoadBalancingPolicy } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";

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

/** Envoy's override_host load balancing policy. */
export const OverrideHostLbType = registerType(overrideHostCodec);
