/**
 * Envoy's static resource detector for the OpenTelemetry tracer
 * (`envoy.extensions.tracers.opentelemetry.resource_detectors.v3.StaticConfigResourceDetectorConfig`: one
 * `map<string, string> attributes = 1`), with a hand codec: the tracers' extension protos are not in our generated
 * API. Registered in the Any registry so goldens and `--to xds` show it.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { registerType, type MessageCodec } from "../../../../proto/any";

/** The detector's config: the resource attributes. */
export interface StaticConfigResourceDetectorConfig {
  /** Attribute name → value. */
  attributes: Record<string, string>;
}

const NAME = "envoy.extensions.tracers.opentelemetry.resource_detectors.v3.StaticConfigResourceDetectorConfig";

function decodeEntry(bytes: Uint8Array): [string, string] {
  const r = new BinaryReader(bytes);
  let key = "";
  let value = "";
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (no === 1 && type === WireType.LengthDelimited) key = r.string();
    else if (no === 2 && type === WireType.LengthDelimited) value = r.string();
    else r.skip(type, no);
  }
  return [key, value];
}

const codec: MessageCodec<StaticConfigResourceDetectorConfig> = {
  $type: NAME,
  encode(m, w = new BinaryWriter()) {
    for (const [key, value] of Object.entries(m.attributes)) {
      w.uint32((1 << 3) | WireType.LengthDelimited).fork();
      w.uint32((1 << 3) | WireType.LengthDelimited).string(key);
      w.uint32((2 << 3) | WireType.LengthDelimited).string(value);
      w.join();
    }
    return w;
  },
  decode(input, length) {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    const attributes: Record<string, string> = {};
    while (r.pos < end) {
      const [no, type] = r.tag();
      if (no === 1 && type === WireType.LengthDelimited) {
        const [k, v] = decodeEntry(r.bytes());
        attributes[k] = v;
      } else r.skip(type, no);
    }
    return { attributes };
  },
  fromPartial(object: never) {
    const o = object as Partial<StaticConfigResourceDetectorConfig>;
    return { attributes: { ...(o.attributes ?? {}) } };
  },
  toJSON(m) {
    return { attributes: m.attributes };
  },
};

/** The registered type. */
export const StaticConfigResourceDetectorType = registerType(codec);

/** Envoy's name of the static resource detector. */
export const STATIC_RESOURCE_DETECTOR = "envoy.tracers.opentelemetry.resource_detectors.static_config";
