/** BackendTrafficPolicy `bandwidthLimit`, normalized for Envoy's bandwidth_limit filter (KiB per second). */

/** A route's bandwidth limits, per direction. */
export interface BandwidthLimitIr {
  /** Request bodies, in KiB/s (at least 1). */
  readonly requestKibps?: number;
  /** Response bodies, in KiB/s (at least 1). */
  readonly response?: {
    readonly kibps: number;
    /** Trailers reporting the delay the limit added, with this name prefix ("" for none); absent: no trailers. */
    readonly trailerPrefix?: string;
  };
}
