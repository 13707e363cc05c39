/**
 * `envoy.extensions.http.original_ip_detection.xff.v3.XffConfig` as Envoy 1.36 has it. The pinned proto
 * source (@grpc/grpc-js-xds 1.14.1) predates `xff_trusted_cidrs` (field 2) and `skip_xff_append` (field 3),
 * which ClientTrafficPolicy's `clientIPDetection.xForwardedFor.trustedCIDRs` and `disableXForwardedForAppend`
 * need, so this message is encoded here, by hand, field for field with Envoy's xff.proto. It replaces the
 * generated codec in the Any registry (same type URL), so goldens show every field.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerType } from "../../../../proto/any";
import { CidrRange } from "../../../../proto/gen/envoy/config/core/v3/address";
import { BoolValue } from "../../../../proto/gen/google/protobuf/wrappers";
import { XffConfig } from "../../../../proto/gen/envoy/extensions/http/original_ip_detection/xff/v3/xff";

/** XffConfig (Envoy 1.36): trusted hops, or trusted CIDRs, and whether the peer address is appended. */
export interface XffConfigFull {
  /** xff_num_trusted_hops (field 1). */
  readonly xffNumTrustedHops: number;
  /** xff_trusted_cidrs.cidrs (field 2, an XffTrustedCidrs message with repeated CidrRange cidrs = 1). */
  readonly xffTrustedCidrs?: { readonly cidrs: readonly CidrRange[] };
  /** skip_xff_append (field 3, a BoolValue). */
  readonly skipXffAppend?: boolean;
}

const codec = {
  /** The same proto type as the generated (older) codec. */
  $type: XffConfig.$type,
  encode(m: XffConfigFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (m.xffNumTrustedHops !== 0) w.uint32(8).uint32(m.xffNumTrustedHops);
    if (m.xffTrustedCidrs) {
      const inner = new BinaryWriter();
      for (const c of m.xffTrustedCidrs.cidrs) CidrRange.encode(c, inner.uint32(10).fork()).join();
      w.uint32(18).bytes(inner.finish());
    }
    if (m.skipXffAppend !== undefined) BoolValue.encode({ value: m.skipXffAppend }, w.uint32(26).fork()).join();
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): XffConfigFull {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    let hops = 0;
    let cidrs: CidrRange[] | undefined;
    let skip: boolean | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 8) hops = r.uint32();
      else if (tag === 18) cidrs = decodeCidrs(r.bytes());
      else if (tag === 26) skip = BoolValue.decode(r, r.uint32()).value;
      else r.skip(tag & 7);
    }
    return {
      xffNumTrustedHops: hops,
      ...(cidrs ? { xffTrustedCidrs: { cidrs } } : {}),
      ...(skip !== undefined ? { skipXffAppend: skip } : {}),
    };
  },
  fromPartial(o: never): XffConfigFull {
    const p = o as Partial<XffConfigFull>;
    return { ...p, xffNumTrustedHops: p.xffNumTrustedHops ?? 0 };
  },
  toJSON(m: XffConfigFull): unknown {
    return {
      ...(m.xffNumTrustedHops !== 0 ? { xffNumTrustedHops: m.xffNumTrustedHops } : {}),
      ...(m.xffTrustedCidrs
        ? { xffTrustedCidrs: { cidrs: m.xffTrustedCidrs.cidrs.map((c) => CidrRange.toJSON(c)) } }
        : {}),
      ...(m.skipXffAppend !== undefined ? { skipXffAppend: m.skipXffAppend } : {}),
    };
  },
};

function decodeCidrs(bytes: Uint8Array): CidrRange[] {
  const r = new BinaryReader(bytes);
  const out: CidrRange[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 10) out.push(CidrRange.decode(r, r.uint32()));
    else r.skip(tag & 7);
  }
  return out;
}

/** The XffConfig type, registered for Any packing and golden rendering. */
export const XffConfigFullType = registerType(codec);
