/** ClusterIr → Envoy Cluster (+ ClusterLoadAssignment for EDS clusters). */
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
} from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../../../proto/gen/envoy/config/endpoint/v3/endpoint";
import type { TransportSocket } from "../../../../proto/gen/envoy/config/core/v3/base";
import {
  SubjectAltNameMatcher_SanType,
  TlsParameters_TlsProtocol,
} from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/common";
import { UpstreamTlsContext } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/tls";
import { pack } from "../../../../proto/any";
import type { TlsParamsIr } from "../../ir/client-traffic-tls-ir";
import type { ClusterIr, EndpointIr, HttpListenerIr, UpstreamTlsIr } from "../../ir/xds-ir";
import { HttpProtocolOptionsType, UpstreamTlsContextType } from "../types";
import { clusterPolicyFields, clusterPolicyHttp2Options, clusterPolicyHttpOptions } from "./cluster-policy";
import { clusterPolicyHttpFilters } from "./cluster-policy-admission";
import { dynamicClusterFields } from "./cluster-dfp";
import { dnsFields, proxyProtocolSocket } from "./cluster-policy-conn";
import { loadBalancingPolicy } from "./cluster-policy-lb";
import { zoneLocalities } from "./cluster-policy-lb-zones";
import { adsConfigSource, fileConfigSource } from "./config-source";
import { preserveCaseHeaderKeyFormat } from "./listener-defaults";

/** Connect timeout for upstream connections. */
export const CONNECT_TIMEOUT = { seconds: 10, nanos: 0 };

/** Envoy Gateway's per-connection buffer limit of every cluster (Envoy's own default is 1 MiB). */
export const CLUSTER_BUFFER_LIMIT_BYTES = 32_768;

/**
 * The settings Envoy Gateway gives every cluster, which a BackendTrafficPolicy's cluster settings override:
 * least request load balancing (EG's default `loadBalancer`), its 32 KiB connection buffer limit, and endpoints
 * removed by EDS or DNS leave at once even while a health check still passes them.
 */
const EG_CLUSTER_DEFAULTS: Partial<Cluster> = {
  loadBalancingPolicy: loadBalancingPolicy({ type: "LeastRequest" }),
  perConnectionBufferLimitBytes: CLUSTER_BUFFER_LIMIT_BYTES,
  ignoreHealthOnHostRemoval: true,
};

/** The system CA bundle Envoy reads for "System" well-known CAs (Debian/Ubuntu/Alpine path). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** What the listeners routing to a cluster ask of it. */
export interface ClusterUse {
  /**
   * A listener with ClientTrafficPolicy `http1.preserveHeaderCase` routes to it: the upstream HTTP/1 codec gets
   * the preserve_case formatter too (see preserveCaseClusters). @default false
   */
  readonly preserveHeaderCase?: boolean;
}

/** Builds the Cluster for one backend. EDS for IP endpoints, STRICT_DNS for hostnames. */
export function buildCluster(ir: ClusterIr, use: ClusterUse = {}): Cluster {
  const options = upstreamHttpOptions(ir, use);
  const base = {
    name: ir.name,
    connectTimeout: CONNECT_TIMEOUT,
    typedExtensionProtocolOptions: options
      ? { [HttpProtocolOptionsType.name]: pack(HttpProtocolOptionsType, options) }
      : {},
    ...transportSocketOf(ir),
    ...EG_CLUSTER_DEFAULTS,
    ...clusterPolicyFields(ir.policy, ir),
    ...(ir.altStatName !== undefined ? { altStatName: ir.altStatName } : {}),
  };
  if (ir.discovery === "dynamic") return Cluster.fromPartial({ ...base, ...dynamicClusterFields(ir) });
  if (ir.discovery === "dns") {
    return Cluster.fromPartial({
      ...base,
      type: Cluster_DiscoveryType.STRICT_DNS,
      dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
      ...(ir.policy?.dns ? dnsFields(ir.policy.dns) : {}),
      loadAssignment: buildLoadAssignment(ir),
    });
  }
  return Cluster.fromPartial({
    ...base,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: adsConfigSource() },
  });
}

/** TLS to the backend, behind the PROXY protocol header when the cluster's policy asks for one; none: plain. */
function transportSocketOf(ir: ClusterIr): { transportSocket?: TransportSocket } {
  const tls = ir.tls ? upstreamTls(ir.tls, ir.protocol, ir.discovery === "dynamic") : undefined;
  const pp = ir.policy?.connection?.proxyProtocol;
  const socket = pp ? proxyProtocolSocket(pp, tls) : tls;
  return socket ? { transportSocket: socket } : {};
}

/**
 * Builds the endpoints of a cluster: one locality (or one per zone, zone-aware) per priority; a fallback Backend's
 * endpoints are priority 1, which Envoy uses only while the primaries' health is low (overprovisioning 1.4, as
 * Envoy Gateway sets it).
 */
export function buildLoadAssignment(ir: ClusterIr): ClusterLoadAssignment {
  const endpoint = (e: EndpointIr): ReturnType<typeof lbEndpoint> => withHealthCheckPort(lbEndpoint(e), ir);
  const zoneAware = ir.policy?.loadBalancer?.zoneAware;
  const priorities = [...new Set(ir.endpoints.map((e) => e.priority ?? 0))].sort((a, b) => a - b);
  const groups = priorities.length > 0 ? priorities : [0];
  const localities = groups.flatMap((priority) => {
    const eps = ir.endpoints.filter((e) => (e.priority ?? 0) === priority);
    const list = zoneAware ? zoneLocalities(eps, zoneAware, endpoint) : [{ lbEndpoints: eps.map(endpoint) }];
    return list.map((l) => (priority > 0 ? { ...l, priority } : l));
  });
  return ClusterLoadAssignment.fromPartial({
    clusterName: ir.name,
    endpoints: localities,
    ...(groups.length > 1 ? { policy: { overprovisioningFactor: 140 } } : {}),
  });
}

/** The endpoint probed on its policy's health check port (`overrides.port`), when one is set. */
function withHealthCheckPort<T extends { endpoint: object }>(e: T, ir: ClusterIr): T {
  const port = ir.policy?.healthCheck?.active?.port;
  return port === undefined ? e : { ...e, endpoint: { ...e.endpoint, healthCheckConfig: { portValue: port } } };
}

/** One endpoint of a ClusterLoadAssignment: a socket address or a unix socket (pipe), its hostname and weight. */
export function lbEndpoint(e: EndpointIr): {
  endpoint: {
    address: { socketAddress: { address: string; portValue: number } } | { pipe: { path: string } };
    hostname?: string;
  };
  loadBalancingWeight?: number;
} {
  const address = e.pipe ? { pipe: { path: e.host } } : { socketAddress: { address: e.host, portValue: e.port } };
  return {
    endpoint: { address, ...(e.hostname !== undefined ? { hostname: e.hostname } : {}) },
    ...(e.weight !== undefined ? { loadBalancingWeight: e.weight } : {}),
  };
}

/**
 * TLS origination: SNI (fixed, or the endpoint's hostname), the CA bundle (inline PEM or the system file) and the
 * SANs to match (or the SNI, auto_sni_san_validation; a dynamic forward proxy validates at the HTTP level instead),
 * no validation at all when it is skipped; or, with `sdsFiles`, the proxy's own file-based SDS certificate and CA
 * (upstreamSdsTls).
 */
export function upstreamTls(tls: UpstreamTlsIr, protocol: ClusterIr["protocol"], dynamic = false): TransportSocket {
  if (tls.sdsFiles) return upstreamSdsTls(tls, tls.sdsFiles, protocol);
  const context = UpstreamTlsContext.fromPartial({
    sni: tls.sni,
    autoHostSni: tls.autoSni === "endpoint",
    autoSniSanValidation: tls.autoSanValidation === true && !dynamic,
    commonTlsContext: {
      tlsParams: upstreamTlsParams(tls.params),
      alpnProtocols: [...(tls.params?.alpnProtocols ?? (protocol === "h2c" ? ["h2"] : []))],
      // The Gateway's backend client certificate, inline (see UpstreamTlsIr.clientCertificate).
      tlsCertificates: tls.clientCertificate
        ? [
            {
              certificateChain: { inlineString: tls.clientCertificate.certificateChain },
              privateKey: { inlineString: tls.clientCertificate.privateKey },
            },
          ]
        : [],
      // insecureSkipVerify: no validation context, any certificate is taken.
      ...(tls.skipVerify
        ? {}
        : {
            validationContext: {
              trustedCa:
                tls.caCertificate !== undefined ? { inlineString: tls.caCertificate } : { filename: SYSTEM_CA_BUNDLE },
              matchTypedSubjectAltNames: sanMatchers(tls),
            },
          }),
    },
  });
  return { name: "envoy.transport_sockets.tls", typedConfig: pack(UpstreamTlsContextType, context) };
}

/**
 * The TLS parameters of a backend connection: Envoy Gateway's versions (1.2 to 1.3 unless set: Envoy's own client
 * maximum would be 1.2), and the Backend's cipher suites, curves and signature algorithms when set.
 */
function upstreamTlsParams(p: TlsParamsIr | undefined): object {
  return {
    tlsMinimumProtocolVersion: TlsParameters_TlsProtocol[p?.minVersion ?? "TLSv1_2"],
    tlsMaximumProtocolVersion: TlsParameters_TlsProtocol[p?.maxVersion ?? "TLSv1_3"],
    cipherSuites: [...(p?.ciphers ?? [])],
    ecdhCurves: [...(p?.ecdhCurves ?? [])],
    signatureAlgorithms: [...(p?.signatureAlgorithms ?? [])],
  };
}

/** TLS with the client certificate and the trusted CA from the proxy's file-based SDS resources, SANs matched. */
function upstreamSdsTls(
  tls: UpstreamTlsIr,
  files: NonNullable<UpstreamTlsIr["sdsFiles"]>,
  protocol: ClusterIr["protocol"],
): TransportSocket {
  const context = UpstreamTlsContext.fromPartial({
    sni: tls.sni,
    commonTlsContext: {
      alpnProtocols: protocol === "h2c" ? ["h2"] : [],
      tlsCertificateSdsSecretConfigs: [
        { name: files.certificate.name, sdsConfig: fileConfigSource(files.certificate.path) },
      ],
      combinedValidationContext: {
        defaultValidationContext: { matchTypedSubjectAltNames: sanMatchers(tls) },
        validationContextSdsSecretConfig: {
          name: files.trustedCa.name,
          sdsConfig: fileConfigSource(files.trustedCa.path),
        },
      },
    },
  });
  return { name: "envoy.transport_sockets.tls", typedConfig: pack(UpstreamTlsContextType, context) };
}

/** The SAN matchers of upstream TLS: the certificate must carry one of them. */
function sanMatchers(tls: UpstreamTlsIr): { sanType: SubjectAltNameMatcher_SanType; matcher: { exact: string } }[] {
  return tls.subjectAltNames.map((s) => ({
    sanType: s.type === "URI" ? SubjectAltNameMatcher_SanType.URI : SubjectAltNameMatcher_SanType.DNS,
    matcher: { exact: s.value },
  }));
}

/**
 * The cluster's upstream HTTP protocol options: HTTP/2 for h2c backends; HTTP/1 with the preserve_case formatter
 * when a preserving listener uses it; plus the common options and upstream HTTP filters its policy sets
 * (clusterPolicyHttpOptions, clusterPolicyHttpFilters); none
 * when nothing asks for them (Envoy's default, HTTP/1.1).
 */
function upstreamHttpOptions(
  ir: ClusterIr,
  use: ClusterUse,
): ReturnType<typeof HttpProtocolOptionsType.codec.fromPartial> | undefined {
  const common = clusterPolicyHttpOptions(ir.policy);
  const filters = clusterPolicyHttpFilters(ir.policy);
  const autoSni = upstreamAutoSni(ir);
  const commonPart = {
    ...(common ? { commonHttpProtocolOptions: common } : {}),
    ...(filters.length > 0 ? { httpFilters: filters } : {}),
    ...(autoSni ? { upstreamHttpProtocolOptions: autoSni } : {}),
  };
  if (ir.policy?.useClientProtocol) {
    // Envoy Gateway: the client's HTTP version upstream, whatever the backend's appProtocol says.
    return HttpProtocolOptionsType.codec.fromPartial({
      ...commonPart,
      useDownstreamProtocolConfig: {
        httpProtocolOptions: use.preserveHeaderCase ? { headerKeyFormat: preserveCaseHeaderKeyFormat() } : {},
        http2ProtocolOptions: clusterPolicyHttp2Options(ir.policy),
      },
    } as never);
  }
  if (ir.protocol === "h2c") {
    return HttpProtocolOptionsType.codec.fromPartial({
      ...commonPart,
      explicitHttpConfig: { http2ProtocolOptions: clusterPolicyHttp2Options(ir.policy) },
    } as never);
  }
  if (!use.preserveHeaderCase && Object.keys(commonPart).length === 0) return undefined;
  const httpProtocolOptions = use.preserveHeaderCase ? { headerKeyFormat: preserveCaseHeaderKeyFormat() } : {};
  return HttpProtocolOptionsType.codec.fromPartial({
    ...commonPart,
    explicitHttpConfig: { httpProtocolOptions },
  } as never);
}

/**
 * SNI (and, without a fixed SNI, the certificate check) from the request's Host, set on the HTTP level: a TLS
 * Backend without a fixed SNI (Envoy Gateway's auto SNI), and every dynamic forward proxy cluster, which Envoy
 * requires to set both auto_sni and auto_san_validation.
 */
function upstreamAutoSni(ir: ClusterIr): { autoSni: boolean; autoSanValidation?: boolean } | undefined {
  if (ir.discovery === "dynamic") return { autoSni: true, autoSanValidation: true };
  return ir.tls?.autoSni === "host" ? { autoSni: true } : undefined;
}

/**
 * The clusters a listener with `http1.preserveHeaderCase` forwards or mirrors to. Envoy Gateway gives them the
 * upstream preserve_case formatter too: the listener's formatter alone keeps the case of the request header names,
 * the cluster's is needed for the backend's response header names to reach the client with theirs. Our clusters are one per backend, shared by every listener
 * routing there: requests from a listener without the setting still go out lowercase (their headers carry no
 * recorded case), but the response header names such a listener sends are the backend's (measured with Envoy
 * 1.36, docs/behaviour.md).
 */
export function preserveCaseClusters(listeners: readonly HttpListenerIr[]): Set<string> {
  const out = new Set<string>();
  for (const l of listeners) {
    if (!l.clientTraffic?.httpSettings?.http1?.preserveHeaderCase) continue;
    for (const route of l.virtualHosts.flatMap((v) => v.routes)) {
      if (route.action.kind === "forward") {
        for (const d of route.action.destinations) if (d.cluster) out.add(d.cluster);
      }
      for (const m of route.mirrors ?? []) out.add(m.cluster);
    }
  }
  return out;
}
