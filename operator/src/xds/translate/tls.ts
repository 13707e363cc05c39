/** DownstreamTlsIr → the TLS transport socket of a filter chain, and the TLS inspector listener filter. */
import type { TransportSocket } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { ListenerFilter } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import { CertificateValidationContext_TrustChainVerification } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/common";
import { DownstreamTlsContext } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/tls";
import { pack } from "../../../../proto/any";
import type { DownstreamTlsIr } from "../../ir/xds-ir";
import { DownstreamTlsContextType, TlsInspectorType } from "../types";
import { adsConfigSource } from "./config-source";

/**
 * Terminates TLS with the named SDS certificates (fetched over ADS, so a renewed certificate is a Secret
 * update, not a listener update). `alpn` lists the protocols offered (h2 and http/1.1 for HTTPS).
 */
export function downstreamTls(ir: DownstreamTlsIr, alpn: readonly string[]): TransportSocket {
  const v = ir.clientValidation;
  const context = DownstreamTlsContext.fromPartial({
    commonTlsContext: {
      alpnProtocols: [...alpn],
      tlsCertificateSdsSecretConfigs: ir.certificates.map((name) => ({ name, sdsConfig: adsConfigSource() })),
      ...(v
        ? {
            validationContext: {
              trustedCa: { inlineString: v.caCertificate },
              trustChainVerification: v.optional
                ? CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED
                : CertificateValidationContext_TrustChainVerification.VERIFY_TRUST_CHAIN,
            },
          }
        : {}),
    },
    ...(v ? { requireClientCertificate: !v.optional } : {}),
  });
  return { name: "envoy.transport_sockets.tls", typedConfig: pack(DownstreamTlsContextType, context) };
}

/** The listener filter that reads the ClientHello's SNI, so filter chains can match server names. */
export function tlsInspector(): ListenerFilter {
  return {
    name: "envoy.filters.listener.tls_inspector",
    typedConfig: pack(TlsInspectorType, TlsInspectorType.codec.fromPartial({} as never)),
  } as ListenerFilter;
}
