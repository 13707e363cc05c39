/**
 * EnvoyPatchPolicy spec (gateway.envoyproxy.io/v1alpha1): JSON patches (RFC 6902) applied to the xDS resources
 * generated for a Gateway. Field names, enums and defaults follow Envoy Gateway v1.9's API reference.
 */
import type { LocalPolicyTargetReference } from "./envoy-gateway-policies";

/** EnvoyPatchPolicy spec. */
export interface EnvoyPatchPolicySpec {
  /** Patch format. */
  readonly type: EnvoyPatchType;
  /** The patches, applied in order. */
  readonly jsonPatches?: readonly EnvoyJSONPatchConfig[];
  /** The Gateway (or, with merged Gateways, the GatewayClass) whose resources are patched; same namespace. */
  readonly targetRef: LocalPolicyTargetReference;
  /** Order among policies of one target: lower values first. @default 0 */
  readonly priority?: number;
}

/** Patch format; only JSON Patch. */
export type EnvoyPatchType = "JSONPatch";

/** Type URL of a patched xDS resource. */
export type EnvoyResourceType =
  | "type.googleapis.com/envoy.config.listener.v3.Listener"
  | "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
  | "type.googleapis.com/envoy.config.cluster.v3.Cluster"
  | "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
  | "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

/** One patch of one xDS resource. */
export interface EnvoyJSONPatchConfig {
  /** Type of the resource. */
  readonly type: EnvoyResourceType;
  /** Name of the resource. */
  readonly name: string;
  /** The operation. */
  readonly operation: JSONPatchOperation;
}

/** A JSON Patch operation. */
export type JSONPatchOperationType = "add" | "remove" | "replace" | "move" | "copy" | "test";

/** One JSON Patch operation; `path` or `jsonPath` says where. */
export interface JSONPatchOperation {
  /** The operation. */
  readonly op: JSONPatchOperationType;
  /** JSON Pointer of the target location. */
  readonly path?: string;
  /** JSONPath selecting target locations (each gets the operation, at `path` below it). */
  readonly jsonPath?: string;
  /** Source location (move, copy). */
  readonly from?: string;
  /** Value to add, replace with or test against: any JSON. */
  readonly value?: unknown;
}
