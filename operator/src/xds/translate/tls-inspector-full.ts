/**
 * `envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` as Envoy 1.36 has it. The Envoy API jar egts
 * generates from (io.envoyproxy.controlplane:api 1.0.49, the newest published) predates
 * `enable_ja4_fingerprinting` (field 3, a BoolValue), which ClientTrafficPolicy `tls.fingerprints: [JA4]` needs,
 * so this codec writes the generated fields and adds field 3 by hand (field number from Envoy's
 * tls_inspector.proto). It replaces the generated codec in the Any registry (same type URL), so goldens show it.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerType } from "../../../../proto/any";
import { TlsInspector } from "../../../../proto/gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector";
import { BoolValue } from "../../../../proto/gen/google/protobuf/wrappers";

/** TlsInspector (Envoy 1.36): the generated fields and the JA4 switch. */
export interface TlsInspectorFull extends TlsInspector {
  /** enable_ja4_fingerprinting (field 3, a BoolValue): %TLS_JA4_FINGERPRINT% is computed. */
  readonly enableJa4Fingerprinting?: boolean;
}

/** Tag of field 3, length-delimited. */
const JA4_TAG = (3 << 3) | 2;

const codec = {
  /** The same proto type as the generated (older) codec. */
  $type: TlsInspector.$type,
  encode(m: TlsInspectorFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    const { enableJa4Fingerprinting: ja4, ...generated } = m;
    TlsInspector.encode(generated, w);
    if (ja4 !== undefined) BoolValue.encode({ value: ja4 }, w.uint32(JA4_TAG).fork()).join();
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): TlsInspectorFull {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    // Field 3 is read here; the others are copied out and decoded by the generated codec.
    const rest = new BinaryWriter();
    let ja4: boolean | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === JA4_TAG) ja4 = BoolValue.decode(r, r.uint32()).value;
      else if ((tag & 7) === 2) rest.uint32(tag).bytes(r.bytes());
      else if ((tag & 7) === 0) rest.uint32(tag).uint64(r.uint64());
      else r.skip(tag & 7);
    }
    const generated = TlsInspector.decode(rest.finish());
    return ja4 !== undefined ? { ...generated, enableJa4Fingerprinting: ja4 } : generated;
  },
  fromPartial(o: never): TlsInspectorFull {
    const p = o as Partial<TlsInspectorFull>;
    const generated = TlsInspector.fromPartial(p);
    return p.enableJa4Fingerprinting !== undefined
      ? { ...generated, enableJa4Fingerprinting: p.enableJa4Fingerprinting }
      : generated;
  },
  toJSON(m: TlsInspectorFull): unknown {
    const { enableJa4Fingerprinting: ja4, ...generated } = m;
    return {
      ...(TlsInspector.toJSON(generated) as object),
      ...(ja4 !== undefined ? { enableJa4Fingerprinting: ja4 } : {}),
    };
  },
};

/** The TLS inspector's config type, with field 3 (JA4). */
export const TlsInspectorFullType = registerType(codec);
