/**
 * Gateway-wide TLS settings (spec.tls) outside any one listener: the conditions the frontend validation
 * mode raises (InsecureFrontendValidationMode), and the backend client certificate (spec.tls.backend) that
 * Envoy presents when it originates TLS to a backend, with the Gateway's ResolvedRefs condition for it.
 */
import type { ClusterIr, SecretIr } from "../ir/xds-ir";
import type { Gateway } from "../resources/gateway-api";
import { namespaceOf, type Condition } from "../resources/meta";
import { condition, CondType, Reason, type RefProblem } from "./conditions";
import { resolveCertificate, type ListenerRefs } from "./listener-tls";

/** The Gateway's backend client certificate: the certificate and key to present, or why the reference is unusable. */
export interface BackendClientCertificate {
  /** The certificate and key, when the reference resolves. */
  readonly secret?: SecretIr;
  /** Why it does not (InvalidClientCertificateRef or RefNotPermitted). */
  readonly problem?: RefProblem;
}

/**
 * Resolves spec.tls.backend.clientCertificateRef (a Secret of type kubernetes.io/tls, in another namespace
 * only with a ReferenceGrant from the Gateway); undefined when the Gateway sets none.
 */
export function resolveBackendClientCertificate(
  gateway: Gateway,
  refs: ListenerRefs,
): BackendClientCertificate | undefined {
  const ref = gateway.spec.tls?.backend?.clientCertificateRef;
  if (!ref) return undefined;
  const from = { kind: "Gateway" as const, namespace: namespaceOf(gateway.metadata) };
  const r = resolveCertificate(from, ref, refs, "spec.tls.backend.clientCertificateRef");
  if (!("reason" in r)) return { secret: r };
  // The spec's Gateway reasons: RefNotPermitted for a reference no ReferenceGrant allows, else
  // InvalidClientCertificateRef (not found, wrong group or kind, malformed Secret).
  const reason = r.reason === Reason.RefNotPermitted ? r.reason : Reason.InvalidClientCertificateRef;
  return { problem: { reason, message: r.message } };
}

/**
 * The Gateway's ResolvedRefs condition, reported when it sets spec.tls.backend.clientCertificateRef:
 * False with the reference's problem, else False ListenersNotResolved while any of `unresolvedListeners`
 * (its own listeners with ResolvedRefs=False) exists, else True.
 */
export function gatewayResolvedRefs(
  backend: BackendClientCertificate | undefined,
  unresolvedListeners: number,
  gen: number | undefined,
): Condition | undefined {
  if (!backend) return undefined;
  if (backend.problem) {
    return condition(CondType.ResolvedRefs, false, backend.problem.reason, backend.problem.message, gen);
  }
  if (unresolvedListeners > 0) {
    const message = `${unresolvedListeners} listeners have unresolved references; see status.listeners`;
    return condition(CondType.ResolvedRefs, false, Reason.ListenersNotResolved, message, gen);
  }
  return condition(CondType.ResolvedRefs, true, Reason.ResolvedRefs, "Resolved all the Object references", gen);
}

/**
 * InsecureFrontendValidationMode=True (ConfigurationChanged) while spec.tls.frontend's default or a perPort
 * entry sets validation.mode AllowInsecureFallback; undefined (the condition is removed) otherwise.
 */
export function insecureFrontendCondition(gateway: Gateway, gen: number | undefined): Condition | undefined {
  const frontend = gateway.spec.tls?.frontend;
  const fields: string[] = [];
  if (frontend?.default?.validation?.mode === "AllowInsecureFallback") fields.push("spec.tls.frontend.default");
  for (const p of frontend?.perPort ?? []) {
    if (p.tls?.validation?.mode === "AllowInsecureFallback") fields.push(`spec.tls.frontend.perPort[port ${p.port}]`);
  }
  if (fields.length === 0) return undefined;
  return condition(
    CondType.InsecureFrontendValidationMode,
    true,
    Reason.ConfigurationChanged,
    `validation.mode is AllowInsecureFallback in ${fields.join(", ")}: clients without a valid certificate are accepted`,
    gen,
  );
}

/**
 * The clusters that originate TLS present `secret` as their client certificate; the others are unchanged, and
 * so are those with their own (a Backend's `tls.clientCertificateRef` wins, as in Envoy Gateway).
 */
export function withClientCertificate(clusters: readonly ClusterIr[], secret: SecretIr | undefined): ClusterIr[] {
  if (!secret) return [...clusters];
  return clusters.map((c) =>
    c.tls && !c.tls.clientCertificate ? { ...c, tls: { ...c.tls, clientCertificate: { ...secret } } } : c,
  );
}
