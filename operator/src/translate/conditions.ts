/** Condition types and reasons from the Gateway API spec, and helpers that build conditions. */
import type { Condition } from "../resources/meta";

/**
 * Condition types. Every type the translator writes must be listed here: the status writer keeps a condition
 * of any other type as another controller's (see status/merge-status.ts), so a type missing here would never
 * be removed once we stop reporting it.
 */
export const CondType = {
  Accepted: "Accepted",
  Programmed: "Programmed",
  ResolvedRefs: "ResolvedRefs",
  Conflicted: "Conflicted",
  OverlappingTLSConfig: "OverlappingTLSConfig",
  SupportedVersion: "SupportedVersion",
  PartiallyInvalid: "PartiallyInvalid",
  InsecureFrontendValidationMode: "InsecureFrontendValidationMode",
  // Envoy Gateway's policy conditions (translate/policies/ancestors.ts).
  Overridden: "Overridden",
  Merged: "Merged",
  Aggregated: "Aggregated",
  Warning: "Warning",
} as const;

/** Reasons, spelled as in the Gateway API spec. */
export const Reason = {
  Accepted: "Accepted",
  Programmed: "Programmed",
  Invalid: "Invalid",
  InvalidParameters: "InvalidParameters",
  ListenersNotValid: "ListenersNotValid",
  ResolvedRefs: "ResolvedRefs",
  NoConflicts: "NoConflicts",
  HostnameConflict: "HostnameConflict",
  ProtocolConflict: "ProtocolConflict",
  UnsupportedProtocol: "UnsupportedProtocol",
  InvalidRouteKinds: "InvalidRouteKinds",
  NotAllowedByListeners: "NotAllowedByListeners",
  NoMatchingListenerHostname: "NoMatchingListenerHostname",
  NoMatchingParent: "NoMatchingParent",
  UnsupportedValue: "UnsupportedValue",
  IncompatibleFilters: "IncompatibleFilters",
  BackendNotFound: "BackendNotFound",
  /** Envoy Gateway's reason for a backendRef combination it cannot serve. */
  InvalidBackendRef: "InvalidBackendRef",
  InvalidKind: "InvalidKind",
  RefNotPermitted: "RefNotPermitted",
  InvalidCertificateRef: "InvalidCertificateRef",
  InvalidCACertificateRef: "InvalidCACertificateRef",
  InvalidCACertificateKind: "InvalidCACertificateKind",
  NoValidCACertificate: "NoValidCACertificate",
  SupportedVersion: "SupportedVersion",
  UnsupportedVersion: "UnsupportedVersion",
  OverlappingHostnames: "OverlappingHostnames",
  NotAllowed: "NotAllowed",
  ParentNotAccepted: "ParentNotAccepted",
  ParentNotProgrammed: "ParentNotProgrammed",
  UnsupportedAddress: "UnsupportedAddress",
  AddressNotUsable: "AddressNotUsable",
  PortUnavailable: "PortUnavailable",
  ConfigurationChanged: "ConfigurationChanged",
  InvalidClientCertificateRef: "InvalidClientCertificateRef",
  ListenersNotResolved: "ListenersNotResolved",
} as const;

/** Builds a condition. */
export function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  observedGeneration?: number,
): Condition {
  return { type, status: ok ? "True" : "False", reason, message, observedGeneration };
}

/** A status to write on one object: the edge (file log, status writer) decides how. */
export interface StatusUpdate {
  /** apiVersion of the object. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Namespace (absent for cluster-scoped). */
  readonly namespace?: string;
  /** Name. */
  readonly name: string;
  /** The whole status subresource. */
  readonly status: unknown;
}

/** A problem found while resolving a reference: the reason to report and a message saying what to fix. */
export interface RefProblem {
  /** Reason for ResolvedRefs=False. */
  readonly reason: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}
