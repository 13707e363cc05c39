/**
 * A Backend's `spec.tls`: TLS from Envoy to its endpoints (CA bundle from ConfigMaps or Secrets, the system CAs, or
 * no check at all; a fixed SNI, the request's Host or the endpoint's hostname; a client certificate; TLS versions,
 * ciphers, curves, signature algorithms and ALPN), merged with a BackendTLSPolicy targeting the Backend, whose CA,
 * SNI and subject alt names win (as in Envoy Gateway).
 */
import type { UpstreamTlsIr } from "../ir/xds-ir";
import type { Backend, BackendLocalRef, BackendTlsSettings } from "../resources/envoy-gateway";
import { namespaceOf } from "../resources/meta";
import { CA_CERT_KEY, type ServicePortTls } from "./backendtlspolicy";
import { resolveCertificate, secretValue, type ListenerRefs } from "./listener-tls";
import { tlsParamsOf } from "./tls-params";

/** What a Backend's TLS comes to: the settings (none: plaintext), or why the Backend cannot be accepted. */
export type BackendTlsResult = { readonly tls?: UpstreamTlsIr } | { readonly problem: string };

/**
 * The TLS of `backend`'s cluster: its own `spec.tls` with the BackendTLSPolicy `policy` (the one that applies to
 * it, when one does) laid over it. A policy that is unusable is the caller's to handle (the backend fails).
 */
export function backendTls(backend: Backend, refs: ListenerRefs, policy: ServicePortTls): BackendTlsResult {
  const spec = backend.spec.tls;
  if (spec === undefined) return policy.tls ? { tls: policy.tls } : {};
  const problem = tlsSpecProblem(backend, spec, policy.tls !== undefined);
  if (problem) return { problem };
  const params = paramsOf(spec);
  if ("problem" in params) return params;
  const ns = namespaceOf(backend.metadata);
  const skipVerify = spec.insecureSkipVerify === true;
  const bundle = skipVerify ? {} : caBundle(spec.caCertificateRefs ?? [], ns, refs);
  if ("problem" in bundle) return bundle;
  const caCertificate = bundle.pem;
  const client = clientCertificate(spec, ns, refs);
  if (client && "problem" in client) return client;
  const own: UpstreamTlsIr = {
    ...sniOf(spec),
    ...(skipVerify ? { skipVerify } : { autoSanValidation: true }),
    ...(caCertificate !== undefined ? { caCertificate } : {}),
    subjectAltNames: [],
    ...(client ? { clientCertificate: client.secret } : {}),
    ...params,
  };
  return { tls: policy.tls ? withPolicy(own, policy.tls) : own };
}

/** The protocol parameters (versions, ciphers, curves, signature algorithms, ALPN) when any is set, or the problems. */
function paramsOf(spec: BackendTlsSettings): Pick<UpstreamTlsIr, "params"> | { readonly problem: string } {
  const invalid: string[] = [];
  const params = tlsParamsOf(spec, "spec.tls", invalid);
  if (invalid.length > 0) return { problem: invalid.join("; ") };
  return params && Object.keys(params).length > 0 ? { params } : {};
}

/** The fixed SNI, else where it comes from: the endpoint's hostname or the request's Host (Envoy Gateway's auto SNI). */
function sniOf(spec: BackendTlsSettings): Pick<UpstreamTlsIr, "sni" | "autoSni"> {
  if (spec.sni) return { sni: spec.sni };
  return { sni: "", autoSni: spec.autoSNIFromEndpointHostname === true ? "endpoint" : "host" };
}

/** Envoy Gateway's merge: the policy's CA, SNI and SANs replace the Backend's; its client certificate stays. */
function withPolicy(own: UpstreamTlsIr, p: UpstreamTlsIr): UpstreamTlsIr {
  const { autoSni: _sni, autoSanValidation: _san, caCertificate: _ca, ...rest } = own;
  return {
    ...rest,
    sni: p.sni,
    ...(p.caCertificate !== undefined ? { caCertificate: p.caCertificate } : {}),
    subjectAltNames: p.subjectAltNames,
  };
}

/** Why `spec.tls` cannot be used (Envoy Gateway's validation messages), or undefined. */
function tlsSpecProblem(backend: Backend, tls: BackendTlsSettings, policyHasCa: boolean): string | undefined {
  if (tls.fingerprints !== undefined) {
    return "spec.tls.fingerprints: client fingerprints are computed on a listener (ClientTrafficPolicy tls.fingerprints), not towards a backend; remove it";
  }
  return exclusionProblem(tls, policyHasCa) ?? autoSniProblem(backend, tls);
}

/** The settings that exclude each other, or a trust anchor that is missing. */
function exclusionProblem(tls: BackendTlsSettings, policyHasCa: boolean): string | undefined {
  const cas = (tls.caCertificateRefs ?? []).length > 0;
  const wellKnown = tls.wellKnownCACertificates ?? "";
  if (cas && wellKnown !== "") return "spec.tls must not contain both CACertificateRefs and WellKnownCACertificates";
  if (tls.insecureSkipVerify === true && (cas || wellKnown !== "")) {
    return "spec.tls must not contain either CACertificateRefs or WellKnownCACertificates when InsecureSkipVerify is enabled";
  }
  if (wellKnown !== "" && wellKnown !== "System") {
    return `spec.tls.wellKnownCACertificates ${wellKnown} is not supported (supported: System)`;
  }
  if (tls.insecureSkipVerify !== true && !cas && wellKnown === "" && !policyHasCa) {
    return "must specify either CACertificateRefs or WellKnownCACertificates when InsecureSkipVerify is unset or false";
  }
  return undefined;
}

/** With `autoSNIFromEndpointHostname`, an IP or unix endpoint without a hostname (it would have no SNI). */
function autoSniProblem(backend: Backend, tls: BackendTlsSettings): string | undefined {
  if (tls.autoSNIFromEndpointHostname !== true) return undefined;
  if (tls.sni) return "spec.tls: sni and autoSNIFromEndpointHostname are mutually exclusive";
  const missing = (backend.spec.endpoints ?? []).findIndex((e) => (e.ip || e.unix) && !e.hostname);
  return missing < 0
    ? undefined
    : `endpoint ${missing}: when autoSNIFromEndpointHostname is enabled, IP and Unix endpoints must define a hostname`;
}

/** The PEM bundle of all `refs` (none: the system CAs), or the first reference's problem. */
function caBundle(
  refs: readonly BackendLocalRef[],
  ns: string,
  objects: ListenerRefs,
): { readonly pem?: string } | { readonly problem: string } {
  if (refs.length === 0) return {};
  const pems: string[] = [];
  for (const ref of refs) {
    const r = caPem(ref, ns, objects);
    if ("problem" in r) return r;
    pems.push(r.pem.trim());
  }
  return { pem: pems.join("\n") + "\n" };
}

/** The PEM bundle under `ca.crt` of a ConfigMap or Secret in the Backend's namespace. */
function caPem(ref: BackendLocalRef, ns: string, refs: ListenerRefs): { pem: string } | { problem: string } {
  const kind = ref.kind ?? "";
  const what = `spec.tls.caCertificateRefs ${kind} ${ns}/${ref.name}`;
  if ((ref.group ?? "") !== "" || (kind !== "ConfigMap" && kind !== "Secret")) {
    return { problem: `${what}: only core ConfigMaps and Secrets are supported` };
  }
  const key = `${ns}/${ref.name}`;
  const cm = kind === "ConfigMap" ? refs.configMap(key) : undefined;
  const secret = kind === "Secret" ? refs.secret(key) : undefined;
  if (!cm && !secret) return { problem: `${what} not found` };
  const pem = cm ? cm.data?.[CA_CERT_KEY] : secret ? secretValue(secret, CA_CERT_KEY) : undefined;
  if (pem === undefined || !pem.includes("-----BEGIN CERTIFICATE-----")) {
    return { problem: `${what} has no PEM certificate under key ${CA_CERT_KEY}` };
  }
  return { pem };
}

/** The client certificate (a kubernetes.io/tls Secret in the Backend's namespace), when one is set. */
function clientCertificate(
  tls: BackendTlsSettings,
  ns: string,
  refs: ListenerRefs,
): { secret: NonNullable<UpstreamTlsIr["clientCertificate"]> } | { problem: string } | undefined {
  const ref = tls.clientCertificateRef;
  if (!ref) return undefined;
  if (ref.namespace !== undefined && ref.namespace !== ns) {
    return {
      problem: `clientCertificateRef Secret is not located in the same namespace as Backend. Secret namespace: ${ref.namespace} does not match Backend namespace: ${ns}`,
    };
  }
  const r = resolveCertificate(
    { kind: "Gateway", namespace: ns },
    { ...ref, namespace: ns },
    refs,
    "spec.tls.clientCertificateRef",
  );
  return "reason" in r ? { problem: r.message } : { secret: r };
}
