/** BackendTrafficPolicy `faultInjection`, normalized for Envoy's fault filter (xds/translate/filters/fault.ts). */

/** Share of requests, in percent (0–100, fractional allowed). */
export type PercentIr = number;

/** Injected delay and/or abort of a route's requests. */
export interface FaultIr {
  /** Delay before forwarding. */
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: PercentIr };
  /** Answer with an error instead of forwarding: an HTTP status or a gRPC status (exactly one). */
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number; readonly percentage: PercentIr };
}
