/** ClusterIr → Envoy Cluster (+ ClusterLoadAssignment for EDS clusters). */
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
} from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../../../proto/gen/envoy/config/endpoint/v3/endpoint";
import type { TransportSocket } from "../../../../proto/gen/envoy/config/core/v3/base";
import { SubjectAltNameMatcher_SanType } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/common";
import { UpstreamTlsContext } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/tls";
import { pack } from "../../../../proto/any";
import type { ClusterIr, EndpointIr, UpstreamTlsIr } from "../../ir/xds-ir";
import { HttpProtocolOptionsType, UpstreamTlsContextType } from "../types";
import { adsConfigSource } from "./config-source";

/** Connect timeout for upstream connections. */
export const CONNECT_TIMEOUT = { seconds: 10, nanos: 0 };

/** The system CA bundle Envoy reads for "System" well-known CAs (Debian/Ubuntu/Alpine path). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Builds the Cluster for one backend. EDS for IP endpoints, STRICT_DNS for hostnames. */
export function buildCluster(ir: ClusterIr): Cluster {
  const base = {
    name: ir.name,
    connectTimeout: CONNECT_TIMEOUT,
    typedExtensionProtocolOptions:
      ir.protocol === "h2c" ? { [HttpProtocolOptionsType.name]: pack(HttpProtocolOptionsType, http2Options()) } : {},
    ...(ir.tls ? { transportSocket: upstreamTls(ir.tls, ir.protocol) } : {}),
  };
  if (ir.discovery === "dns") {
    return Cluster.fromPartial({
      ...base,
      type: Cluster_DiscoveryType.STRICT_DNS,
      dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
      loadAssignment: buildLoadAssignment(ir),
    });
  }
  return Cluster.fromPartial({
    ...base,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: adsConfigSource() },
  });
}

/** Builds the endpoints of a cluster. */
export function buildLoadAssignment(ir: ClusterIr): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName: ir.name,
    endpoints: [
      {
        lbEndpoints: ir.endpoints.map(lbEndpoint),
      },
    ],
  });
}

/** One endpoint of a ClusterLoadAssignment. */
export function lbEndpoint(e: EndpointIr): {
  endpoint: { address: { socketAddress: { address: string; portValue: number } } };
} {
  return { endpoint: { address: { socketAddress: { address: e.host, portValue: e.port } } } };
}

/** TLS origination: SNI, the CA bundle (inline PEM or the system file) and the SANs to match. */
export function upstreamTls(tls: UpstreamTlsIr, protocol: ClusterIr["protocol"]): TransportSocket {
  const context = UpstreamTlsContext.fromPartial({
    sni: tls.sni,
    commonTlsContext: {
      alpnProtocols: protocol === "h2c" ? ["h2"] : [],
      // The Gateway's backend client certificate, inline (see UpstreamTlsIr.clientCertificate).
      tlsCertificates: tls.clientCertificate
        ? [
            {
              certificateChain: { inlineString: tls.clientCertificate.certificateChain },
              privateKey: { inlineString: tls.clientCertificate.privateKey },
            },
          ]
        : [],
      validationContext: {
        trustedCa:
          tls.caCertificate !== undefined ? { inlineString: tls.caCertificate } : { filename: SYSTEM_CA_BUNDLE },
        matchTypedSubjectAltNames: tls.subjectAltNames.map((s) => ({
          sanType: s.type === "URI" ? SubjectAltNameMatcher_SanType.URI : SubjectAltNameMatcher_SanType.DNS,
          matcher: { exact: s.value },
        })),
      },
    },
  });
  return { name: "envoy.transport_sockets.tls", typedConfig: pack(UpstreamTlsContextType, context) };
}

function http2Options(): ReturnType<typeof HttpProtocolOptionsType.codec.fromPartial> {
  return HttpProtocolOptionsType.codec.fromPartial({ explicitHttpConfig: { http2ProtocolOptions: {} } } as never);
}
