/**
 * EnvoyPatchPolicy in the xDS IR: the JSON patches of one node (Gateway, or GatewayClass of merged Gateways), in
 * the order they are applied (priority, then creation time, then name). The patches act on the Envoy resources
 * built from the rest of the IR (operator/src/xds/patch/), not on the IR itself.
 */
import type { JSONPatchOperationType } from "../resources/envoy-patch-policy";

/** One EnvoyPatchPolicy accepted on a node. */
export interface PatchPolicyIr {
  /** Namespace of the policy. */
  readonly namespace: string;
  /** Name of the policy. */
  readonly name: string;
  /** metadata.generation of the policy (observedGeneration of its Programmed condition). */
  readonly generation?: number;
  /** The ancestor its status is reported under: the targeted Gateway or GatewayClass. */
  readonly ancestor: {
    readonly group: string;
    readonly kind: string;
    readonly namespace: string;
    readonly name: string;
  };
  /** Its patches, in spec order. */
  readonly patches: readonly JsonPatchIr[];
}

/** One patch of one xDS resource. */
export interface JsonPatchIr {
  /** Type URL of the resource (e.g. `type.googleapis.com/envoy.config.listener.v3.Listener`). */
  readonly type: string;
  /** Resource name; ignored by an `add` with neither path nor jsonPath (the value is a whole new resource). */
  readonly name: string;
  /** The RFC 6902 operation. */
  readonly op: JSONPatchOperationType;
  /** JSON Pointer (RFC 6901); below each jsonPath match when both are set. */
  readonly path?: string;
  /** JSONPath (RFC 9535) selecting where the operation applies. */
  readonly jsonPath?: string;
  /** Source pointer of move and copy. */
  readonly from?: string;
  /** Whether `value` was given (a JSON null is a value). */
  readonly hasValue: boolean;
  /** The value of add, replace and test. */
  readonly value?: unknown;
}
