/** CircuitBreakerIr → the Cluster's circuit_breakers (and max requests per connection, an HTTP protocol option). */
import type { CircuitBreakers } from "../../../../proto/gen/envoy/config/cluster/v3/circuit_breaker";
import { RoutingPriority } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { CircuitBreakerIr } from "../../ir/backend-traffic-cluster-ir";

/** Envoy Gateway's parallel retry limit when the policy sets none (Envoy's own default is 3). */
export const DEFAULT_MAX_PARALLEL_RETRIES = 1024;

/** The DEFAULT-priority thresholds, and the per-endpoint connection limit when set. */
export function circuitBreakers(cb: CircuitBreakerIr): CircuitBreakers {
  return {
    thresholds: [
      {
        priority: RoutingPriority.DEFAULT,
        maxConnections: cb.maxConnections,
        maxPendingRequests: cb.maxPendingRequests,
        maxRequests: cb.maxParallelRequests,
        maxRetries: cb.maxParallelRetries ?? DEFAULT_MAX_PARALLEL_RETRIES,
        ...(cb.retryBudget
          ? {
              retryBudget: {
                budgetPercent: { value: cb.retryBudget.percent },
                minRetryConcurrency: cb.retryBudget.minRetryConcurrency,
              },
            }
          : {}),
        trackRemaining: false,
      },
    ],
    perHostThresholds:
      cb.perEndpointMaxConnections !== undefined
        ? [{ priority: RoutingPriority.DEFAULT, maxConnections: cb.perEndpointMaxConnections, trackRemaining: false }]
        : [],
  } as CircuitBreakers;
}
