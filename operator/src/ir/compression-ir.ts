/** BackendTrafficPolicy `compressor` (or the deprecated `compression`), normalized for Envoy's compressor filter. */

/** One compression algorithm a route offers. */
export interface CompressionIr {
  /** The algorithm. */
  readonly type: "Gzip" | "Brotli" | "Zstd";
  /** Preferred when the client's q-values tie (the first of the policy's list). */
  readonly chooseFirst: boolean;
  /** Smallest response compressed, in bytes. @default 30 (Envoy's) */
  readonly minContentLength?: number;
}
