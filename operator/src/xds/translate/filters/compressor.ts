/**
 * envoy.filters.http.compressor (rank 308), placement `disabled`, fed by BackendTrafficPolicy `compressor` /
 * `compression` (`RouteIr.traffic.compression`).
 *
 * As Envoy Gateway: one filter per algorithm, `envoy.filters.http.compressor.<gzip|brotli|zstd>`, with that
 * library's defaults, `choose_first` and `min_content_length`, `disabled: true`; a route turns it on with an
 * (empty) CompressorPerRoute override, and its `accept-encoding` is removed upstream (route.ts) so the backend
 * answers uncompressed. Envoy Gateway builds each algorithm's filter from the first route that uses it, so a
 * listener whose routes differ (minContentLength, first place) gives some routes another's settings; here each
 * further distinct setting of an algorithm gets its own filter, `envoy.filters.http.compressor.gzip/1`, ....
 */
import type {
  Compressor,
  CompressorPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/compressor/v3/compressor";
import type { Brotli } from "../../../../../proto/gen/envoy/extensions/compression/brotli/compressor/v3/brotli";
import type { Gzip } from "../../../../../proto/gen/envoy/extensions/compression/gzip/compressor/v3/gzip";
import type { Zstd } from "../../../../../proto/gen/envoy/extensions/compression/zstd/compressor/v3/zstd";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType, type RegisteredType } from "../../../../../proto/any";
import type { CompressionIr } from "../../../ir/compression-ir";
import type { HttpListenerIr } from "../../../ir/xds-ir";
import { filterInstances, type FilterInstance, type HttpFilterDef, instanceKey, packPartial } from "./registry";

/** Compressor, registered for Any packing. */
export const CompressorType = registerLazyType<Compressor>(
  "envoy/extensions/filters/http/compressor/v3/compressor",
  "Compressor",
);
/** CompressorPerRoute, registered for Any packing. */
export const CompressorPerRouteType = registerLazyType<CompressorPerRoute>(
  "envoy/extensions/filters/http/compressor/v3/compressor",
  "CompressorPerRoute",
);

const LIBRARIES: Readonly<Record<CompressionIr["type"], { name: string; type: RegisteredType<unknown> }>> = {
  Gzip: {
    name: "envoy.compression.gzip.compressor",
    type: registerLazyType<Gzip>(
      "envoy/extensions/compression/gzip/compressor/v3/gzip",
      "Gzip",
    ) as RegisteredType<unknown>,
  },
  Brotli: {
    name: "envoy.compression.brotli.compressor",
    type: registerLazyType<Brotli>(
      "envoy/extensions/compression/brotli/compressor/v3/brotli",
      "Brotli",
    ) as RegisteredType<unknown>,
  },
  Zstd: {
    name: "envoy.compression.zstd.compressor",
    type: registerLazyType<Zstd>(
      "envoy/extensions/compression/zstd/compressor/v3/zstd",
      "Zstd",
    ) as RegisteredType<unknown>,
  },
};

const NAME = "envoy.filters.http.compressor";

/** The compressor filter's registry entry. */
export const compressor: HttpFilterDef = {
  name: NAME,
  rank: 308,
  configType: CompressorType.name,
  perRouteType: CompressorPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...instances(listener).values()].map(
      (i) =>
        ({ name: i.name, typedConfig: packPartial(CompressorType, config(i.config)), disabled: true }) as HttpFilter,
    ),
  // perRouteConfig names the listener's instance of each setting.
  routeContext: (listener) => [...instances(listener)].map(([key, i]) => [key, i.name]),
  perRouteConfig: (route, listener) => {
    const list = route.traffic?.compression;
    if (!list) return undefined;
    const names = instances(listener);
    const override = packPartial(CompressorPerRouteType, { overrides: { responseDirectionConfig: {} } });
    return Object.fromEntries(list.map((c) => [names.get(instanceKey(baseName(c), c))?.name as string, override]));
  },
  sampleConfig: () => packPartial(CompressorType, config({ type: "Gzip", chooseFirst: false })),
};

function config(c: CompressionIr): object {
  const lib = LIBRARIES[c.type];
  return {
    compressorLibrary: { name: lib.name, typedConfig: packPartial(lib.type, {}) },
    ...(c.chooseFirst ? { chooseFirst: true } : {}),
    ...(c.minContentLength !== undefined
      ? { responseDirectionConfig: { commonConfig: { minContentLength: c.minContentLength } } }
      : {}),
  };
}

function baseName(c: CompressionIr): string {
  return `${NAME}.${c.type.toLowerCase()}`;
}

/** Each distinct compression setting on the listener → its filter instance. */
function instances(listener: HttpListenerIr): Map<string, FilterInstance<CompressionIr>> {
  return filterInstances(listener, (r) =>
    (r.traffic?.compression ?? []).map((c) => ({ base: baseName(c), config: c })),
  );
}
