/**
 * The OpenTelemetry tracer's sampler (EnvoyProxy `telemetry.tracing.provider.openTelemetry.sampler`), as Envoy
 * Gateway builds it: AlwaysOn → `always_on`; AlwaysOff → `trace_id_ratio_based` at 0%; TraceIdRatio → that at the
 * percentage (100% when unset); the ParentBased types → `parent_based` wrapping the same. The samplers' protos
 * (`envoy.extensions.tracers.opentelemetry.samplers.v3`) are not in our generated API, so each has a hand codec of
 * its one field (field 1: `sampling_percentage` a FractionalPercent, `wrapped_sampler` a TypedExtensionConfig),
 * registered in the Any registry so goldens and `--to xds` show them.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { pack, registerType, type MessageCodec, type RegisteredType } from "../../../../proto/any";
import { TypedExtensionConfig } from "../../../../proto/gen/envoy/config/core/v3/extension";
import { FractionalPercent } from "../../../../proto/gen/envoy/type/v3/percent";
import type { OTelSamplerIr } from "../../ir/telemetry-ir";
import { fractionalPercentOf } from "./security-fields";

const PACKAGE = "envoy.extensions.tracers.opentelemetry.samplers.v3";

/** A sampler config whose only field (1) is the message `M`, absent when unset. */
interface OneField<M> {
  field?: M;
}

/** The codec of a message named `name` holding one optional message field 1 of codec `inner`. */
function oneFieldCodec<M>(
  name: string,
  inner: {
    encode(m: M, w?: BinaryWriter): BinaryWriter;
    decode(r: BinaryReader | Uint8Array, l?: number): M;
    fromPartial(o: never): M;
    toJSON(m: M): unknown;
  },
  jsonName: string,
): MessageCodec<OneField<M>> {
  return {
    $type: `${PACKAGE}.${name}`,
    encode(m, w = new BinaryWriter()) {
      if (m.field !== undefined) inner.encode(m.field, w.uint32((1 << 3) | WireType.LengthDelimited).fork()).join();
      return w;
    },
    decode(input, length) {
      const r = input instanceof BinaryReader ? input : new BinaryReader(input);
      const end = length === undefined ? r.len : r.pos + length;
      const out: OneField<M> = {};
      while (r.pos < end) {
        const [no, type] = r.tag();
        if (no === 1 && type === WireType.LengthDelimited) out.field = inner.decode(r, r.uint32());
        else r.skip(type, no);
      }
      return out;
    },
    fromPartial(object: never) {
      const o = object as { field?: unknown };
      return o.field !== undefined ? { field: inner.fromPartial(o.field as never) } : {};
    },
    toJSON(m) {
      return m.field !== undefined ? { [jsonName]: inner.toJSON(m.field) } : {};
    },
  };
}

/** `always_on`'s config: it has no fields, so the codec's field 1 is never set. */
const AlwaysOnType = registerType(oneFieldCodec("AlwaysOnSamplerConfig", FractionalPercent, "none"));
/** `trace_id_ratio_based`'s config: `sampling_percentage`. */
const TraceIdRatioType = registerType(
  oneFieldCodec("TraceIdRatioBasedSamplerConfig", FractionalPercent, "samplingPercentage"),
);
/** `parent_based`'s config: `wrapped_sampler`. */
const ParentBasedType = registerType(oneFieldCodec("ParentBasedSamplerConfig", TypedExtensionConfig, "wrappedSampler"));

/** A sampler as Envoy's TypedExtensionConfig. */
function extension<M>(name: string, type: RegisteredType<OneField<M>>, field?: M): TypedExtensionConfig {
  const config = field !== undefined ? { field } : {};
  return { name: `envoy.tracers.opentelemetry.samplers.${name}`, typedConfig: pack(type, config) };
}

/** The ratio sampler at `percentage` (100% when absent). */
function ratio(percentage: OTelSamplerIr["percentage"]): TypedExtensionConfig {
  const fp = FractionalPercent.fromPartial(
    fractionalPercentOf(percentage ?? { numerator: 100, denominator: "HUNDRED" }) as never,
  );
  return extension("trace_id_ratio_based", TraceIdRatioType, fp);
}

/** The OpenTelemetryConfig `sampler` of `s`. */
export function samplerOf(s: OTelSamplerIr): TypedExtensionConfig {
  const zero = { numerator: 0, denominator: "HUNDRED" } as const;
  const base: Readonly<Record<OTelSamplerIr["type"], () => TypedExtensionConfig>> = {
    AlwaysOn: () => extension("always_on", AlwaysOnType),
    AlwaysOff: () => ratio(zero),
    TraceIdRatio: () => ratio(s.percentage),
    ParentBasedAlwaysOn: () => extension("always_on", AlwaysOnType),
    ParentBasedAlwaysOff: () => ratio(zero),
    ParentBasedTraceIdRatio: () => ratio(s.percentage),
  };
  const wrapped = base[s.type]();
  return s.type.startsWith("ParentBased") ? extension("parent_based", ParentBasedType, wrapped) : wrapped;
}
