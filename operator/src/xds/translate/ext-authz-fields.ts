/**
 * The retry of an external call (ext_authz check, ext_proc stream), as Envoy Gateway sends it: a core RetryPolicy
 * on the gRPC service (`GrpcService.retry_policy`) or on ext_authz's HTTP service (`HttpService.retry_policy`).
 */
import type { RetryIr } from "../../ir/xds-ir";
import { duration } from "./route-filters";

/** retry_on of a retry without a policy's conditions (a connection that failed or a stream refused). */
const CONNECTION_RETRY_ON = ["connect-failure", "refused-stream", "reset-before-request"];

/**
 * A retry IR → Envoy's core RetryPolicy of a remote call (as a fromPartial object): its conditions, attempts and
 * back-off (per-try timeouts, status codes and priorities do not exist there; the translator refuses them).
 */
export function remoteRetryPolicy(r: RetryIr): object {
  const base = r.backoffMs;
  const max = r.policy?.maxBackoffMs;
  return {
    retryOn: (r.policy?.retryOn ?? CONNECTION_RETRY_ON).join(","),
    numRetries: r.attempts,
    ...(base !== undefined
      ? { retryBackOff: { baseInterval: duration(base), ...(max !== undefined ? { maxInterval: duration(max) } : {}) } }
      : {}),
  };
}
