/**
 * Fields of the EnvoyExtensionPolicy filters that Envoy 1.36 has and our pinned API protos (1.0.49) lack,
 * hand-encoded here as ext-authz-fields.ts does for ext_authz (field numbers read from the descriptors embedded in
 * the Envoy 1.36.4 binary):
 * - `envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter.terminal_filter` = 4 (bool);
 * - `envoy.extensions.dynamic_modules.v3.DynamicModuleConfig.load_globally` = 4 (bool).
 * Each codec is registered under its type URL in place of the generated one, so filter configs carry the fields
 * and goldens show them.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerLazyCodec } from "../../../../proto/any";
import type * as DynamicModulesProto from "../../../../proto/gen/envoy/extensions/dynamic_modules/v3/dynamic_modules";
import type { DynamicModuleConfig } from "../../../../proto/gen/envoy/extensions/dynamic_modules/v3/dynamic_modules";
import type * as DynamicModuleFilterProto from "../../../../proto/gen/envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules";
import type { DynamicModuleFilter } from "../../../../proto/gen/envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules";
import { protoModule } from "../../../../proto/lazy";

const dynamicModuleFilterProto = protoModule<typeof DynamicModuleFilterProto>(
  "envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules",
);
const dynamicModulesProto = protoModule<typeof DynamicModulesProto>(
  "envoy/extensions/dynamic_modules/v3/dynamic_modules",
);

const VARINT = 0;
const LEN = 2;
const tag = (field: number, wire: number): number => (field << 3) | wire;

const DYNAMIC_MODULE_CONFIG = 1;
const TERMINAL_FILTER = 4;
const LOAD_GLOBALLY = 4;

/** The top-level fields of `bytes` by tag: the last value of each (bytes for LEN, a number for VARINT). */
function topFields(bytes: Uint8Array): Map<number, Uint8Array | number> {
  const r = new BinaryReader(bytes);
  const out = new Map<number, Uint8Array | number>();
  while (r.pos < r.len) {
    const t = r.uint32();
    if ((t & 7) === LEN) out.set(t, r.bytes());
    else if ((t & 7) === VARINT) out.set(t, r.uint32());
    else r.skip(t & 7);
  }
  return out;
}

/** DynamicModuleConfig with `load_globally` (field 4). */
export type DynamicModuleConfigFull = DynamicModuleConfig & { readonly loadGlobally?: boolean };

/** DynamicModuleFilter with `terminal_filter` (field 4) and its config's `load_globally`. */
export type DynamicModuleFilterFull = Omit<DynamicModuleFilter, "dynamicModuleConfig"> & {
  readonly dynamicModuleConfig?: DynamicModuleConfigFull;
  readonly terminalFilter?: boolean;
};

/** The DynamicModuleFilter codec with `terminal_filter` and `dynamic_module_config.load_globally`. */
export const DynamicModuleFilterFullType = registerLazyCodec(
  "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
  () => {
    const { DynamicModuleFilter } = dynamicModuleFilterProto();
    const { DynamicModuleConfig } = dynamicModulesProto();
    return {
      $type: DynamicModuleFilter.$type,
      encode(m: DynamicModuleFilterFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
        const { dynamicModuleConfig, terminalFilter, ...rest } = m;
        DynamicModuleFilter.encode(rest as DynamicModuleFilter, w);
        if (dynamicModuleConfig) {
          const { loadGlobally, ...config } = dynamicModuleConfig;
          w.uint32(tag(DYNAMIC_MODULE_CONFIG, LEN)).fork();
          DynamicModuleConfig.encode({ ...config, loadGlobally: false }, w);
          if (loadGlobally) w.uint32(tag(LOAD_GLOBALLY, VARINT)).bool(true);
          w.join();
        }
        if (terminalFilter) w.uint32(tag(TERMINAL_FILTER, VARINT)).bool(true);
        return w;
      },
      // Only ever decoded from an Any's bytes; a nested reader (never used) would lose the hand-encoded fields.
      decode(input: BinaryReader | Uint8Array, length?: number): DynamicModuleFilterFull {
        if (input instanceof BinaryReader) return DynamicModuleFilter.decode(input, length);
        const base = DynamicModuleFilter.decode(input);
        const top = topFields(input);
        const cfg = top.get(tag(DYNAMIC_MODULE_CONFIG, LEN));
        const loadGlobally = cfg instanceof Uint8Array && topFields(cfg).get(tag(LOAD_GLOBALLY, VARINT)) === 1;
        const terminalFilter = top.get(tag(TERMINAL_FILTER, VARINT)) === 1;
        return {
          ...base,
          ...(base.dynamicModuleConfig && loadGlobally
            ? { dynamicModuleConfig: { ...base.dynamicModuleConfig, loadGlobally } }
            : {}),
          ...(terminalFilter ? { terminalFilter } : {}),
        };
      },
      fromPartial(o: never): DynamicModuleFilterFull {
        const p = o as { terminalFilter?: boolean; dynamicModuleConfig?: { loadGlobally?: boolean } };
        const base = DynamicModuleFilter.fromPartial(o);
        const loadGlobally = p.dynamicModuleConfig?.loadGlobally === true;
        return {
          ...base,
          ...(base.dynamicModuleConfig && loadGlobally
            ? { dynamicModuleConfig: { ...base.dynamicModuleConfig, loadGlobally } }
            : {}),
          ...(p.terminalFilter ? { terminalFilter: true } : {}),
        };
      },
      toJSON(m: DynamicModuleFilterFull): unknown {
        const json = DynamicModuleFilter.toJSON(m as DynamicModuleFilter) as Record<string, unknown>;
        const cfg = json.dynamicModuleConfig as Record<string, unknown> | undefined;
        return {
          ...json,
          ...(cfg && m.dynamicModuleConfig?.loadGlobally
            ? { dynamicModuleConfig: { ...cfg, loadGlobally: true } }
            : {}),
          ...(m.terminalFilter ? { terminalFilter: true } : {}),
        };
      },
    };
  },
);
