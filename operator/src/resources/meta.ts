/** Kubernetes object metadata and the shapes shared by every resource kind. */

/** The part of ObjectMeta the translator reads. */
export interface ObjectMeta {
  /** Object name. */
  readonly name: string;
  /** Namespace; empty for cluster-scoped kinds. */
  readonly namespace?: string;
  /** Labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Generation of the spec, echoed as observedGeneration in conditions. */
  readonly generation?: number;
  /** Creation time (RFC 3339), used for route precedence ties. */
  readonly creationTimestamp?: string;
  /** Server-assigned version (Kubernetes provider only). */
  readonly resourceVersion?: string;
  /** Server-assigned identity (Kubernetes provider only). */
  readonly uid?: string;
}

/** Any Kubernetes-style object. */
export interface KubeObject<Spec = unknown> {
  /** `group/version` or `version` for the core group. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Metadata. */
  readonly metadata: ObjectMeta;
  /** Desired state. */
  readonly spec: Spec;
}

/** A status condition as in metav1.Condition (lastTransitionTime is added by the status writer). */
export interface Condition {
  /** Condition type, e.g. Accepted. */
  readonly type: string;
  /** "True", "False" or "Unknown". */
  readonly status: "True" | "False" | "Unknown";
  /** CamelCase reason from the spec. */
  readonly reason: string;
  /** Human-readable message saying what to fix. */
  readonly message: string;
  /** The metadata.generation the condition was computed from. */
  readonly observedGeneration?: number;
  /** Set by the status writer, never by the translator. */
  readonly lastTransitionTime?: string;
}

/** `namespace/name` key of a namespaced object. */
export function keyOf(meta: ObjectMeta): string {
  return `${meta.namespace ?? "default"}/${meta.name}`;
}

/** The namespace of an object, with Kubernetes' default. */
export function namespaceOf(meta: ObjectMeta): string {
  return meta.namespace ?? "default";
}
