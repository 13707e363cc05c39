/**
 * Envoy Gateway's policy kinds and HTTPRouteFilter (gateway.envoyproxy.io/v1alpha1), as far as their CRD
 * schemas (crds/generate.ts) need them: how a policy attaches to its targets is typed, the rest of each spec
 * is kept as the user wrote it (an unknown-valued index signature becomes
 * `x-kubernetes-preserve-unknown-fields: true`). Field names follow Envoy Gateway's API reference.
 */
import type { KubeObject } from "./meta";

/** A resource in the policy's own namespace that a policy attaches to. */
export interface LocalPolicyTargetReference {
  /** API group of the target, e.g. `gateway.networking.k8s.io`. */
  readonly group: string;
  /** Kind of the target, e.g. `Gateway` or `HTTPRoute`. */
  readonly kind: string;
  /** Name of the target. */
  readonly name: string;
}

/** A target in the policy's own namespace, or one section of it. */
export interface LocalPolicyTargetReferenceWithSectionName extends LocalPolicyTargetReference {
  /**
   * Section of the target: a listener name for a Gateway, a rule name for a route, a port name for a
   * Service. @default the whole target
   */
  readonly sectionName?: string;
}

/** One requirement of a label selector. */
export interface LabelSelectorRequirement {
  /** Label key the requirement applies to. */
  readonly key: string;
  /** How the label's value relates to `values`. */
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  /** Values for `In` and `NotIn`; empty for `Exists` and `DoesNotExist`. */
  readonly values?: readonly string[];
}

/** Selects targets of one kind in the policy's namespace by their labels. */
export interface TargetSelector {
  /** API group of the selected resources. @default gateway.networking.k8s.io */
  readonly group?: string;
  /** Kind of the selected resources, e.g. `HTTPRoute`. */
  readonly kind: string;
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

/**
 * BackendTrafficPolicy spec: how the proxies talk to backends (load balancing, retries, timeouts, rate
 * limits, circuit breakers, health checks). Only the targets are validated here; the other fields are kept
 * as written.
 */
export interface BackendTrafficPolicySpec extends PolicyTargetReferences {
  readonly [field: string]: unknown;
}

/**
 * SecurityPolicy spec: authentication and authorization (CORS, JWT, OIDC, basic auth, API keys, external
 * authorization, IP allow and deny lists). Only the targets are validated here; the other fields are kept
 * as written.
 */
export interface SecurityPolicySpec extends PolicyTargetReferences {
  readonly [field: string]: unknown;
}

/**
 * EnvoyExtensionPolicy spec: extensions run by the proxies (Wasm modules, Lua scripts, external
 * processors). Only the targets are validated here; the other fields are kept as written.
 */
export interface EnvoyExtensionPolicySpec extends PolicyTargetReferences {
  readonly [field: string]: unknown;
}

/**
 * EnvoyPatchPolicy spec: JSON patches (RFC 6902) applied to the generated xDS resources of a Gateway.
 * `jsonPatches` is kept as written.
 */
export interface EnvoyPatchPolicySpec {
  /** The Gateway (or GatewayClass, with merged Gateways) whose xDS resources are patched. */
  readonly targetRef: LocalPolicyTargetReference;
  /** Patch format; only JSON Patch exists. */
  readonly type: "JSONPatch";
  /** Order among the policies of one target: lower values apply first. @default 0 */
  readonly priority?: number;
  readonly [field: string]: unknown;
}

/**
 * HTTPRouteFilter spec: filters beyond the Gateway API's (regex URL rewrites, direct responses, credential
 * injection), used from an HTTPRoute rule through an `ExtensionRef` filter. Kept as written.
 */
export interface HTTPRouteFilterSpec {
  readonly [field: string]: unknown;
}

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
