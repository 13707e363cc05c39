/**
 * Envoy Gateway's policy kinds and HTTPRouteFilter (gateway.envoyproxy.io/v1alpha1): how a policy attaches to
 * its targets, and the objects of each kind. The specs are typed field for field after Envoy Gateway v1.9's API
 * reference, one file per kind (backend-traffic-policy.ts, security-policy.ts, envoy-extension-policy.ts,
 * envoy-patch-policy.ts, http-route-filter.ts; shared pieces in policy-common.ts and backend-cluster.ts);
 * crds/generate.ts turns them into the CRD schemas.
 */
import type { BackendTrafficPolicySpec } from "./backend-traffic-policy";
import type { EnvoyExtensionPolicySpec } from "./envoy-extension-policy";
import type { EnvoyPatchPolicySpec } from "./envoy-patch-policy";
import type { HTTPRouteFilterSpec } from "./http-route-filter";
import type { KubeObject } from "./meta";
import type { Group, Kind, LabelSelector, LabelSelectorRequirement, ObjectName, SectionName } from "./policy-common";
import type { SecurityPolicySpec } from "./security-policy";

export type { BackendTrafficPolicySpec } from "./backend-traffic-policy";
export type { EnvoyExtensionPolicySpec } from "./envoy-extension-policy";
export type { EnvoyPatchPolicySpec } from "./envoy-patch-policy";
export type { HTTPRouteFilterSpec } from "./http-route-filter";
export type { LabelSelectorRequirement } from "./policy-common";
export type { SecurityPolicySpec } from "./security-policy";

/** A resource in the policy's own namespace that a policy attaches to. */
export interface LocalPolicyTargetReference {
  /** API group of the target, e.g. `gateway.networking.k8s.io`. */
  readonly group: Group;
  /** Kind of the target, e.g. `Gateway` or `HTTPRoute`. */
  readonly kind: Kind;
  /** Name of the target. */
  readonly name: ObjectName;
}

/** A target in the policy's own namespace, or one section of it. */
export interface LocalPolicyTargetReferenceWithSectionName extends LocalPolicyTargetReference {
  /**
   * Section of the target: a listener name for a Gateway, a rule name for a route, a port name for a
   * Service. @default the whole target
   */
  readonly sectionName?: SectionName;
}

/** Which namespaces a target selector looks in. */
export interface TargetSelectorNamespaces {
  /** `Same` (the policy's), `All`, or `Selector` (namespaces whose labels match `selector`). @default Same */
  readonly from: "Same" | "All" | "Selector";
  /** Labels of the namespaces (from Selector). */
  readonly selector?: LabelSelector;
}

/** Selects targets of one kind by their labels. */
export interface TargetSelector {
  /** API group of the selected resources. @default gateway.networking.k8s.io */
  readonly group?: Group;
  /** Kind of the selected resources, e.g. `HTTPRoute`. */
  readonly kind: Kind;
  /** Namespaces the targets may be in. @default the policy's namespace */
  readonly namespaces?: TargetSelectorNamespaces;
  /** Labels a target must carry, all of them. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Label requirements a target must meet, all of them. */
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** How ClientTrafficPolicy, BackendTrafficPolicy, SecurityPolicy and EnvoyExtensionPolicy choose targets. */
export interface PolicyTargetReferences {
  /** A single target. @deprecated use `targetRefs` or `targetSelectors` */
  readonly targetRef?: LocalPolicyTargetReferenceWithSectionName;
  /** The targets, by name. */
  readonly targetRefs?: readonly LocalPolicyTargetReferenceWithSectionName[];
  /** The targets, by label. */
  readonly targetSelectors?: readonly TargetSelector[];
}

/** ClientTrafficPolicy has its own file (every field typed). */
export type { ClientTrafficPolicy, ClientTrafficPolicySpec } from "./client-traffic-policy";

/** BackendTrafficPolicy. */
export type BackendTrafficPolicy = KubeObject<BackendTrafficPolicySpec>;
/** SecurityPolicy. */
export type SecurityPolicy = KubeObject<SecurityPolicySpec>;
/** EnvoyExtensionPolicy. */
export type EnvoyExtensionPolicy = KubeObject<EnvoyExtensionPolicySpec>;
/** EnvoyPatchPolicy. */
export type EnvoyPatchPolicy = KubeObject<EnvoyPatchPolicySpec>;
/** HTTPRouteFilter (the gateway.envoyproxy.io kind, not an HTTPRoute rule's filter entry in gateway-api.ts). */
export type EnvoyHTTPRouteFilter = KubeObject<HTTPRouteFilterSpec>;
