/** What the BackendTrafficPolicy field translations share: the policy's namespace and the objects it may reference. */
import type { ResourceSnapshot } from "../../resources/snapshot";

/** The context of one BackendTrafficPolicy spec's translation. */
export interface BackendTrafficContext {
  /** The policy's namespace (references without a namespace resolve here; others need a ReferenceGrant). */
  readonly namespace: string;
  /** The snapshot (ConfigMaps and Secrets a field references). */
  readonly snapshot: ResourceSnapshot;
}
