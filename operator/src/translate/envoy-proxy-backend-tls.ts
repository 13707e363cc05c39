/**
 * EnvoyProxy `backendTLS`, as Envoy Gateway applies it: the client certificate (a kubernetes.io/tls Secret in the
 * EnvoyProxy's namespace) and the TLS parameters (versions, ciphers, curves, signature algorithms, ALPN) of every
 * cluster that originates TLS to a backend (a Backend's `tls`, a BackendTLSPolicy). What a Backend's own `tls` sets
 * wins, field by field; a Gateway's `spec.tls.backend` replaces the EnvoyProxy's settings entirely. The control
 * plane's own clusters (rate limit service, on the proxy's xDS certificate) are left alone.
 *
 * An unusable reference (another namespace, a missing or malformed Secret) makes the Gateway not accepted
 * (InvalidParameters, Envoy Gateway's message): egts reports it once on the Gateway where Envoy Gateway fails each
 * TLS backend of it.
 */
import type { TlsParamsIr } from "../ir/client-traffic-tls-ir";
import type { ClusterIr, SecretIr } from "../ir/xds-ir";
import type { EnvoyProxy } from "../resources/envoy-proxy";
import { namespaceOf } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason } from "./conditions";
import { envoyProxyOf } from "./envoy-proxy";
import type { GatewayState } from "./gateway";
import { resolveCertificate, type ListenerRefs } from "./listener-tls";
import { tlsParamsOf } from "./tls-params";

/** The EnvoyProxy's settings for TLS to backends. */
export interface ProxyBackendTls {
  /** The client certificate presented. @default none */
  readonly clientCertificate?: SecretIr;
  /** The TLS parameters; absent: Envoy Gateway's defaults (TLS 1.2 to 1.3). */
  readonly params?: TlsParamsIr;
}

/** The problems of `backendTLS`'s parameters (`spec.backendTLS.<field>: <why>`), for the EnvoyProxy's condition. */
export function backendTlsProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const tls = spec?.backendTLS;
  if (!tls) return [];
  const invalid: string[] = [];
  tlsParamsOf(tls, "spec.backendTLS", invalid);
  return invalid;
}

/**
 * Resolves the `backendTLS` of the Gateway's EnvoyProxy onto its state (`backendTls`), or marks the Gateway not
 * accepted when its client certificate reference is unusable. Nothing when the Gateway sets `spec.tls.backend`.
 */
export function applyProxyBackendTls(state: GatewayState, snapshot: ResourceSnapshot, refs: ListenerRefs): void {
  const gw = state.gateway;
  if (gw.spec.tls?.backend) return;
  const ns = namespaceOf(gw.metadata);
  const proxy = envoyProxyOf(snapshot, ns, gw.metadata.name);
  const tls = proxy?.spec.backendTLS;
  if (!proxy || !tls) return;
  const invalid: string[] = [];
  const params = tlsParamsOf(tls, "spec.backendTLS", invalid);
  if (invalid.length > 0) return; // refused with the EnvoyProxy (envoy-proxy.ts)
  const ref = tls.clientCertificateRef;
  const out: { clientCertificate?: SecretIr; params?: TlsParamsIr } = {};
  if (params && Object.keys(params).length > 0) out.params = params;
  if (ref) {
    const problem = certificateProblem(ref, proxyNamespace(snapshot, gw, proxy.origin), refs, (secret) => {
      out.clientCertificate = secret;
    });
    if (problem) {
      state.notAccepted ??= { reason: Reason.InvalidParameters, message: problem };
      return;
    }
  }
  state.backendTls = out;
}

/** The namespace of the EnvoyProxy in effect: the Gateway's own, or its class's parametersRef's. */
function proxyNamespace(snapshot: ResourceSnapshot, gw: GatewayState["gateway"], origin: string): string {
  const ns = namespaceOf(gw.metadata);
  if (origin === "Gateway") return ns;
  const cls = snapshot.gatewayClasses.find((c) => c.metadata.name === gw.spec.gatewayClassName);
  return cls?.spec.parametersRef?.namespace ?? ns;
}

/** Envoy Gateway's messages for an unusable EnvoyProxy client certificate; `use` gets the resolved one. */
function certificateProblem(
  ref: NonNullable<NonNullable<EnvoyProxy["spec"]["backendTLS"]>["clientCertificateRef"]>,
  epNs: string,
  refs: ListenerRefs,
  use: (s: SecretIr) => void,
): string | undefined {
  const secretNs = ref.namespace ?? epNs;
  if (secretNs !== epNs) {
    return `ClientCertificateRef Secret is not located in the same namespace as EnvoyProxy. Secret namespace: ${secretNs} does not match EnvoyProxy namespace: ${epNs}`;
  }
  const r = resolveCertificate({ kind: "Gateway", namespace: epNs }, ref, refs, "spec.backendTLS.clientCertificateRef");
  if ("reason" in r) return `failed to locate TLS secret for client auth: ${r.message}`;
  use(r);
  return undefined;
}

/**
 * The clusters with the EnvoyProxy's backend TLS settings laid under their own: a cluster's client certificate and
 * parameters win field by field (a Backend's `tls`, as Envoy Gateway merges them).
 */
export function withProxyBackendTls(clusters: readonly ClusterIr[], tls: ProxyBackendTls | undefined): ClusterIr[] {
  if (!tls) return [...clusters];
  return clusters.map((c) => {
    if (!c.tls || c.tls.sdsFiles) return c;
    const params = tls.params || c.tls.params ? { ...tls.params, ...c.tls.params } : undefined;
    return {
      ...c,
      tls: {
        ...c.tls,
        ...(!c.tls.clientCertificate && tls.clientCertificate
          ? { clientCertificate: { ...tls.clientCertificate } }
          : {}),
        ...(params ? { params } : {}),
      },
    };
  });
}
