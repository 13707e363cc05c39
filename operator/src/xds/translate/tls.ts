/** DownstreamTlsIr → the TLS transport socket of a filter chain, and the TLS inspector listener filter. */
import type { TransportSocket } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { ListenerFilter } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import {
  CertificateValidationContext_TrustChainVerification,
  SubjectAltNameMatcher_SanType,
  TlsParameters_TlsProtocol,
} from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/common";
import { DownstreamTlsContext } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/tls";
import { TlsInspector } from "../../../../proto/gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector";
import { pack } from "../../../../proto/any";
import type { ClientCertValidationIr, ClientTlsIr } from "../../ir/client-traffic-tls-ir";
import type { ClientValidationIr, DownstreamTlsIr } from "../../ir/xds-ir";
import { stringMatcher } from "./client-traffic-http";
import { DownstreamTlsContextType, TlsInspectorType } from "../types";
import { adsConfigSource } from "./config-source";

/**
 * Terminates TLS with the named SDS certificates (fetched over ADS, so a renewed certificate is a Secret
 * update, not a listener update). `alpn` lists the protocols offered by default (h2 and http/1.1 for HTTPS).
 * `client` (the ClientTrafficPolicy's tls) sets versions, ciphers, curves, signature algorithms, ALPN,
 * session resumption and client certificate validation (replacing the Gateway's). As in Envoy Gateway,
 * session resumption (tickets and the session id cache) is off unless the policy turns it on.
 */
export function downstreamTls(ir: DownstreamTlsIr, alpn: readonly string[], client?: ClientTlsIr): TransportSocket {
  const context = downstreamTlsContext(ir, alpn, client);
  return { name: "envoy.transport_sockets.tls", typedConfig: pack(DownstreamTlsContextType, context) };
}

/** The DownstreamTlsContext of {@link downstreamTls}, unpacked (QUIC's transport socket wraps it). */
export function downstreamTlsContext(
  ir: DownstreamTlsIr,
  alpn: readonly string[],
  client?: ClientTlsIr,
): DownstreamTlsContext {
  const v = client?.clientValidation;
  return DownstreamTlsContext.fromPartial({
    commonTlsContext: {
      ...tlsParams(client),
      alpnProtocols: [...(client?.alpnProtocols ?? alpn)],
      tlsCertificateSdsSecretConfigs: ir.certificates.map((name) => ({ name, sdsConfig: adsConfigSource() })),
      ...(v ? { validationContext: policyValidation(v) } : gatewayValidation(ir.clientValidation)),
    },
    ...(v
      ? { requireClientCertificate: v.requireCertificate }
      : ir.clientValidation
        ? { requireClientCertificate: !ir.clientValidation.optional }
        : {}),
    ...(client?.statelessResumption ? {} : { disableStatelessSessionResumption: true }),
    disableStatefulSessionResumption: client?.statefulResumption !== true,
  });
}

/** The Gateway's frontend validation (AllowInsecureFallback accepts untrusted certificates). */
function gatewayValidation(v: ClientValidationIr | undefined): { validationContext?: object } {
  if (!v) return {};
  return {
    validationContext: {
      trustedCa: { inlineString: v.caCertificate },
      trustChainVerification: v.optional
        ? CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED
        : CertificateValidationContext_TrustChainVerification.VERIFY_TRUST_CHAIN,
    },
  };
}

/**
 * The policy's clientValidation (Envoy Gateway's mapping of its mode): Request and RequireAny accept untrusted
 * certificates; whether one is required is the context's require_client_certificate.
 */
function policyValidation(v: ClientCertValidationIr): object {
  return {
    ...(v.caCertificate !== undefined ? { trustedCa: { inlineString: v.caCertificate } } : {}),
    ...(v.acceptUntrusted
      ? { trustChainVerification: CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED }
      : {}),
    ...(v.allowExpiredCertificate ? { allowExpiredCertificate: true } : {}),
    verifyCertificateSpki: [...(v.spkiHashes ?? [])],
    verifyCertificateHash: [...(v.certificateHashes ?? [])],
    matchTypedSubjectAltNames: (v.subjectAltNames ?? []).map((m) => ({
      sanType: SubjectAltNameMatcher_SanType[m.sanType],
      matcher: stringMatcher(m),
      oid: m.oid ?? "",
    })),
    ...(v.crl !== undefined ? { crl: { inlineString: v.crl } } : {}),
    onlyVerifyLeafCertCrl: v.onlyVerifyLeafCrl === true,
  };
}

/** CommonTlsContext.tls_params, absent when the policy sets none of them. */
function tlsParams(c: ClientTlsIr | undefined): { tlsParams?: object } {
  if (!c) return {};
  const p = {
    ...(c.minVersion ? { tlsMinimumProtocolVersion: TlsParameters_TlsProtocol[c.minVersion] } : {}),
    ...(c.maxVersion ? { tlsMaximumProtocolVersion: TlsParameters_TlsProtocol[c.maxVersion] } : {}),
    ...(c.ciphers ? { cipherSuites: [...c.ciphers] } : {}),
    ...(c.ecdhCurves ? { ecdhCurves: [...c.ecdhCurves] } : {}),
    ...(c.signatureAlgorithms ? { signatureAlgorithms: [...c.signatureAlgorithms] } : {}),
  };
  return Object.keys(p).length > 0 ? { tlsParams: p } : {};
}

/**
 * The listener filter that reads the ClientHello's SNI, so filter chains can match server names; with
 * `client.ja3Fingerprint` / `ja4Fingerprint` it also computes the JA3 / JA4 fingerprint (%TLS_JA3_FINGERPRINT%,
 * %TLS_JA4_FINGERPRINT%).
 */
export function tlsInspector(client?: ClientTlsIr): ListenerFilter {
  const config = {
    ...(client?.ja3Fingerprint ? { enableJa3Fingerprinting: true } : {}),
    ...(client?.ja4Fingerprint ? { enableJa4Fingerprinting: true } : {}),
  };
  return {
    name: "envoy.filters.listener.tls_inspector",
    typedConfig: pack(TlsInspectorType, TlsInspector.fromPartial(config)),
  } as ListenerFilter;
}
