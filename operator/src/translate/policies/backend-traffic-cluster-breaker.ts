/**
 * BackendTrafficPolicy `circuitBreaker` → CircuitBreakerIr: the limits over which Envoy fails requests fast
 * (503 with `x-envoy-overloaded`), and the retry budget.
 */
import type { CircuitBreakerIr } from "../../ir/backend-traffic-cluster-ir";
import type { CircuitBreaker } from "../../resources/backend-cluster";
import { defined, wholeOf } from "./backend-traffic-values";

/** Largest Gateway API Fraction part (int32). */
const INT32_MAX = 0x7fff_ffff;

/** The `circuitBreaker` paths implemented. */
export const CIRCUIT_BREAKER_FIELDS: readonly string[] = [
  "circuitBreaker.maxConnections",
  "circuitBreaker.maxPendingRequests",
  "circuitBreaker.maxParallelRequests",
  "circuitBreaker.maxParallelRetries",
  "circuitBreaker.maxRequestsPerConnection",
  "circuitBreaker.perEndpoint.maxConnections",
  "circuitBreaker.retryBudget",
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
    retryBudget: cb.retryBudget ? retryBudgetOf(cb.retryBudget, invalid) : undefined,
  });
  return out;
}

/** `retryBudget`: the percent a Fraction gives (Envoy Gateway's rule: numerator at most the denominator). */
function retryBudgetOf(
  rb: NonNullable<CircuitBreaker["retryBudget"]>,
  invalid: string[],
): CircuitBreakerIr["retryBudget"] {
  const at = "spec.circuitBreaker.retryBudget";
  if (rb.percent?.numerator === undefined) {
    invalid.push(`${at}.percent.numerator: must be set`);
    return undefined;
  }
  const numerator = wholeOf(`${at}.percent.numerator`, rb.percent.numerator, invalid, 0, INT32_MAX);
  const denominator = wholeOf(`${at}.percent.denominator`, rb.percent.denominator ?? 100, invalid, 1, INT32_MAX);
  const min = wholeOf(`${at}.minRetryConcurrency`, rb.minRetryConcurrency, invalid);
  if (numerator === undefined || denominator === undefined) return undefined;
  if (numerator > denominator) {
    invalid.push(`${at}.percent: numerator must be less than or equal to denominator`);
    return undefined;
  }
  return defined({ percent: (numerator / denominator) * 100, minRetryConcurrency: min });
}
