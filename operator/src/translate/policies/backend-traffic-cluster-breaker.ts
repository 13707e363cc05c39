/**
 * BackendTrafficPolicy `circuitBreaker` → CircuitBreakerIr: the limits over which Envoy fails requests fast
 * (503 with `x-envoy-overloaded`). `retryBudget` is not implemented (left out of CIRCUIT_BREAKER_FIELDS).
 */
import type { CircuitBreakerIr } from "../../ir/backend-traffic-cluster-ir";
import type { CircuitBreaker } from "../../resources/backend-cluster";
import { defined, wholeOf } from "./backend-traffic-values";

/** The `circuitBreaker` paths implemented. */
export const CIRCUIT_BREAKER_FIELDS: readonly string[] = [
  "circuitBreaker.maxConnections",
  "circuitBreaker.maxPendingRequests",
  "circuitBreaker.maxParallelRequests",
  "circuitBreaker.maxParallelRetries",
  "circuitBreaker.maxRequestsPerConnection",
  "circuitBreaker.perEndpoint.maxConnections",
];

/**
 * The limits of `cb` (each 0 to 2^32-1, as Envoy Gateway's schema says); undefined when it is not set. An empty
 * `circuitBreaker` still counts: it sets Envoy Gateway's default of 1024 parallel retries (Envoy's is 3).
 */
export function circuitBreakerOf(cb: CircuitBreaker | undefined, invalid: string[]): CircuitBreakerIr | undefined {
  if (!cb) return undefined;
  const at = (f: string): string => `spec.circuitBreaker.${f}`;
  const out = defined<CircuitBreakerIr>({
    maxConnections: wholeOf(at("maxConnections"), cb.maxConnections, invalid),
    maxPendingRequests: wholeOf(at("maxPendingRequests"), cb.maxPendingRequests, invalid),
    maxParallelRequests: wholeOf(at("maxParallelRequests"), cb.maxParallelRequests, invalid),
    maxParallelRetries: wholeOf(at("maxParallelRetries"), cb.maxParallelRetries, invalid),
    maxRequestsPerConnection: wholeOf(at("maxRequestsPerConnection"), cb.maxRequestsPerConnection, invalid),
    perEndpointMaxConnections: wholeOf(at("perEndpoint.maxConnections"), cb.perEndpoint?.maxConnections, invalid),
  });
  return out;
}
