/** What the BackendTrafficPolicy field translations share: the policy's namespace and the objects it may reference. */
import type { RateLimitServiceUseIr } from "../../ir/global-rate-limit-route-ir";
import type { ResourceSnapshot } from "../../resources/snapshot";

/** The context of one BackendTrafficPolicy spec's translation. */
export interface BackendTrafficContext {
  /** The policy's namespace (references without a namespace resolve here; others need a ReferenceGrant). */
  readonly namespace: string;
  /** The policy's `namespace/name` (a shared global rate limit's domain). */
  readonly policy: string;
  /** The snapshot (ConfigMaps and Secrets a field references). */
  readonly snapshot: ResourceSnapshot;
  /** The rate limit service (the EnvoyGateway configuration's `rateLimit`); absent: global rate limits refused. */
  readonly rateLimitService?: RateLimitServiceUseIr;
}
