/**
 * envoy.filters.http.compressor (rank 308), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `compression`): one filter per algorithm,
 * `envoy.filters.http.compressor.<gzip|brotli|zstd>`, with that library's defaults, `disabled: true`; a route turns
 * it on with CompressorPerRoute (overriding the library when it has its own settings) and removes `accept-encoding`
 * upstream.
 */
import {
  Compressor,
  CompressorPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/compressor/v3/compressor";
import { Gzip } from "../../../../../proto/gen/envoy/extensions/compression/gzip/compressor/v3/gzip";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** Compressor, registered for Any packing. */
export const CompressorType = registerType(Compressor);
/** CompressorPerRoute, registered for Any packing. */
export const CompressorPerRouteType = registerType(CompressorPerRoute);
const GzipType = registerType(Gzip);

/** The compressor filter's registry entry. */
export const compressor: HttpFilterDef = {
  name: "envoy.filters.http.compressor",
  rank: 308,
  configType: CompressorType.name,
  perRouteType: CompressorPerRouteType.name,
  placement: "disabled",
  sampleConfig: () =>
    packPartial(CompressorType, {
      compressorLibrary: { name: "envoy.compression.gzip.compressor", typedConfig: packPartial(GzipType, {}) },
    }),
};
