/**
 * The Envoy bootstrap: node identity, delta ADS to our server, admin, and (in Kubernetes) a readiness
 * listener and mTLS to the xDS server. Host-run proxies and Kubernetes pods share this one builder.
 */

import { isIP } from "node:net";
import type { ProxyRuntimeIr, StatMatchIr } from "../ir/infra-ir";
import type { CompressionIr } from "../ir/compression-ir";
import type { MetricSinkIr } from "../ir/telemetry-ir";
import { metricSinkBootstrap } from "./bootstrap-metric-sinks";
import { xdsTokenUpstreamFilters, type XdsTokenFiles } from "./bootstrap-xds-token";

/** Client certificate files Envoy presents to the xDS server, and the CA it trusts the server with. */
export interface XdsTlsFiles {
  /** PEM certificate chain. */
  readonly certFile: string;
  /** PEM private key. */
  readonly keyFile: string;
  /** PEM CA bundle that signed the xDS server's certificate. */
  readonly caFile: string;
  /** Name the server certificate must carry (SNI and SAN check). */
  readonly serverName: string;
  /**
   * Folder holding the two SDS files of {@link xdsSdsFiles}: the client certificate and the CA then come
   * over file-based SDS and Envoy reloads them whenever the certificate folder changes (a rename in it, as
   * Kubernetes' atomic Secret-volume update and our own writes do), without a restart. @default static files
   */
  readonly sdsDir?: string;
}

/** SDS resource names and file names of the xDS client certificate and trusted CA. */
const SDS = {
  certificate: { name: "xds_client_certificate", file: "xds-client-certificate-sds.json" },
  ca: { name: "xds_trusted_ca", file: "xds-trusted-ca-sds.json" },
} as const;

/** The directory of a file path. */
function dirOf(file: string): string {
  const i = file.lastIndexOf("/");
  return i > 0 ? file.slice(0, i) : "/";
}

/**
 * The SDS files (file name → JSON) `xdsTls.sdsDir` must hold: one Secret each, pointing at the certificate
 * files and watching their folder.
 */
export function xdsSdsFiles(tls: XdsTlsFiles): Record<string, string> {
  const secretType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
  const watched = { path: dirOf(tls.certFile) };
  const file = (resource: Record<string, unknown>): string =>
    `${JSON.stringify({ resources: [{ "@type": secretType, ...resource }] }, null, 2)}\n`;
  return {
    [SDS.certificate.file]: file({
      name: SDS.certificate.name,
      tls_certificate: {
        certificate_chain: { filename: tls.certFile },
        private_key: { filename: tls.keyFile },
        watched_directory: watched,
      },
    }),
    [SDS.ca.file]: file({
      name: SDS.ca.name,
      validation_context: { trusted_ca: { filename: tls.caFile }, watched_directory: { path: dirOf(tls.caFile) } },
    }),
  };
}

/** A file-based SDS resource: its name and the SDS file (in the proxy's file system) that holds it. */
export interface SdsFileSource {
  /** The SDS resource name. */
  readonly name: string;
  /** The SDS file's path. */
  readonly path: string;
}

/**
 * The proxy's xDS client certificate and trusted CA as file-based SDS resources of `sdsDir` (the files of
 * {@link xdsSdsFiles}). Other connections to the control plane's components (the proxies' ratelimit cluster,
 * to the rate limit service) present and trust the same, reloaded the same way.
 */
export function xdsSdsSources(sdsDir: string): { certificate: SdsFileSource; trustedCa: SdsFileSource } {
  const source = (s: { name: string; file: string }): SdsFileSource => ({ name: s.name, path: `${sdsDir}/${s.file}` });
  return { certificate: source(SDS.certificate), trustedCa: source(SDS.ca) };
}

/** The CommonTlsContext of the xDS cluster: static files, or file-based SDS when `sdsDir` is set. */
function xdsCommonTlsContext(tls: XdsTlsFiles): Record<string, unknown> {
  const sanCheck = { match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: tls.serverName } }] };
  const sdsDir = tls.sdsDir;
  if (sdsDir === undefined) {
    return {
      tls_certificates: [{ certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } }],
      validation_context: { trusted_ca: { filename: tls.caFile }, ...sanCheck },
    };
  }
  const sources = xdsSdsSources(sdsDir);
  const sds = (s: SdsFileSource): unknown => ({
    name: s.name,
    sds_config: { path_config_source: { path: s.path }, resource_api_version: "V3" },
  });
  return {
    tls_certificate_sds_secret_configs: [sds(sources.certificate)],
    combined_validation_context: {
      default_validation_context: sanCheck,
      validation_context_sds_secret_config: sds(sources.trustedCa),
    },
  };
}

/** Inputs of the bootstrap. */
export interface BootstrapOptions {
  /** Node id and cluster: the Gateway's `namespace/name`. */
  readonly nodeId: string;
  /** xDS server host (loopback in standalone, the controller's Service name in Kubernetes). */
  readonly xdsHost: string;
  /** xDS server port. @default 18000 */
  readonly xdsPort: number;
  /** Admin interface port (0 = any free port). */
  readonly adminPort: number;
  /** A listener on 0.0.0.0:port answering only `GET /ready`, from admin's /ready (pod readiness). @default none */
  readonly readinessPort?: number;
  /** A listener on statsHost:port answering only `GET /stats/prometheus`, from admin. @default none */
  readonly statsPort?: number;
  /** Address the stats listener binds. @default 0.0.0.0 */
  readonly statsHost?: string;
  /** mTLS to the xDS server. @default plaintext */
  readonly xdsTls?: XdsTlsFiles;
  /** A service-account token sent on every xDS stream (bootstrap-xds-token.ts). @default none */
  readonly xdsToken?: XdsTokenFiles;
  /** The only stats Envoy creates (its stats_matcher inclusion list). @default every stat */
  readonly statsMatches?: readonly StatMatchIr[];
  /** The stats listener compresses its responses for clients that accept it. @default none */
  readonly statsCompression?: CompressionIr;
  /**
   * EnvoyProxy `ipFamily`, as Envoy Gateway's bootstrap: IPv6 and DualStack move the wildcard readiness and stats
   * listeners to `::` with `ipv4_compat`, and IPv6 moves admin to `::1`. @default IPv4
   */
  readonly ipFamily?: "IPv4" | "IPv6" | "DualStack";
  /** OpenTelemetry stat sinks (bootstrap-metric-sinks.ts). @default none */
  readonly metricSinks?: readonly MetricSinkIr[];
}

/** The `statsCompression` bootstrap option of a proxy's runtime settings: present when they compress. */
export function statsCompressionOf(runtime: Pick<ProxyRuntimeIr, "statsCompression"> | undefined): {
  statsCompression?: CompressionIr;
} {
  return runtime?.statsCompression !== undefined ? { statsCompression: runtime.statsCompression } : {};
}

/** The `statsMatches` bootstrap option of a proxy's runtime settings: present when they name an inclusion list. */
export function statsMatchesOf(runtime: ProxyRuntimeIr | undefined): { statsMatches?: readonly StatMatchIr[] } {
  return runtime?.statsMatches !== undefined ? { statsMatches: runtime.statsMatches } : {};
}

/** Envoy's stats_config for an inclusion list, as Envoy Gateway writes it (regular expressions are RE2). */
function statsConfig(matches: readonly StatMatchIr[]): Record<string, unknown> {
  const patterns = matches.map((m) =>
    m.type === "regex" ? { safe_regex: { google_re2: {}, regex: m.value } } : { [m.type]: m.value },
  );
  return { stats_matcher: { inclusion_list: { patterns } } };
}

/** Name of the static cluster pointing at our xDS server. */
export const XDS_CLUSTER = "xds_cluster";
/** Name of the static cluster pointing at Envoy's own admin interface (readiness). */
export const ADMIN_CLUSTER = "envoy_admin";

/** Proto3 JSON of a static cluster with one host:port endpoint. */
function staticCluster(name: string, host: string, port: number, extra: Record<string, unknown> = {}): unknown {
  const address = { socket_address: { address: host, port_value: port } };
  return {
    name,
    type: isIP(host) !== 0 ? "STATIC" : "STRICT_DNS",
    connect_timeout: "1s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
    ...extra,
  };
}

/** The xDS cluster: HTTP/2, with an UpstreamTlsContext when mTLS files are given. */
function xdsCluster(o: BootstrapOptions): unknown {
  const tls = o.xdsTls;
  const transport = tls
    ? {
        transport_socket: {
          name: "envoy.transport_sockets.tls",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            sni: tls.serverName,
            common_tls_context: xdsCommonTlsContext(tls),
          },
        },
      }
    : {};
  return staticCluster(XDS_CLUSTER, o.xdsHost, o.xdsPort, {
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
        ...(o.xdsToken ? { http_filters: xdsTokenUpstreamFilters(o.xdsToken) } : {}),
      },
    },
    ...transport,
  });
}

/** The one request an admin-forwarding listener lets through: `GET <path>`, byte for byte, no query. */
interface AdminPath {
  /** Listener name. */
  readonly name: string;
  /** Port. */
  readonly port: number;
  /** Address. @default 0.0.0.0 */
  readonly host?: string;
  /** `::` also takes IPv4 connections. @default false */
  readonly ipv4Compat?: boolean;
  /** The admin path served, e.g. `/ready`. */
  readonly path: string;
  /** Responses compressed for clients that accept it (Envoy's compressor filter). @default none */
  readonly compression?: CompressionIr;
}

/** Envoy's compression library extension of each algorithm (the compressor filter's `compressor_library`). */
const COMPRESSION_LIBRARIES: Readonly<Record<CompressionIr["type"], string>> = {
  Gzip: "type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip",
  Brotli: "type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli",
  Zstd: "type.googleapis.com/envoy.extensions.compression.zstd.compressor.v3.Zstd",
};

/**
 * The compressor filter of an admin path listener, as Envoy Gateway's bootstrap has it on the stats listener (its
 * library named `text_optimized`, the library's defaults); `minContentLength`, which Envoy Gateway leaves out,
 * is Envoy's `min_content_length`.
 */
function compressorFilter(c: CompressionIr): unknown {
  const min = c.minContentLength !== undefined ? { min_content_length: c.minContentLength } : {};
  return {
    name: "envoy.filters.http.compressor",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor",
      compressor_library: { name: "text_optimized", typed_config: { "@type": COMPRESSION_LIBRARIES[c.type] } },
      ...(c.minContentLength !== undefined ? { response_direction_config: { common_config: min } } : {}),
    },
  };
}

/** The readiness path (admin's /ready: 200 once Envoy has its initial xDS config). */
export const READINESS_PATH = "/ready";
/** Name of the Prometheus stats listener. */
export const STATS_LISTENER = "envoy-gateway-proxy-stats";
/** The Prometheus stats path. */
export const STATS_PATH = "/stats/prometheus";

/**
 * A listener that forwards exactly `GET <path>` to Envoy's admin interface and answers everything else
 * itself with a 404, so admin's other endpoints (config_dump with secrets, quitquitquit, healthcheck/fail,
 * runtime_modify...) are unreachable from outside the pod. The HCM first normalises the path (RFC 3986 dot
 * segments and percent-decoding of unreserved characters, merged slashes), rejects encoded slashes (400)
 * rather than guessing what they mean, and the route then compares the raw `:path` (query included) and the
 * method exactly: `/ready/../config_dump` becomes `/config_dump` (404), `/ready%2f..` is rejected, and
 * `/ready?x`, `/readyz`, `POST /ready` match nothing.
 */
function adminPathListener(a: AdminPath): unknown {
  const exact = (name: string, value: string): unknown => ({ name, string_match: { exact: value } });
  const forward = {
    match: { path: a.path, headers: [exact(":path", a.path), exact(":method", "GET")] },
    route: { cluster: ADMIN_CLUSTER },
  };
  const refuse = { match: { prefix: "/" }, direct_response: { status: 404 } };
  return {
    name: a.name,
    address: {
      socket_address: {
        address: a.host ?? "0.0.0.0",
        port_value: a.port,
        ...(a.ipv4Compat ? { ipv4_compat: true } : {}),
      },
    },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: a.name,
              normalize_path: true,
              merge_slashes: true,
              path_with_escaped_slashes_action: "REJECT_REQUEST",
              route_config: {
                name: a.name,
                virtual_hosts: [{ name: a.name, domains: ["*"], routes: [forward, refuse] }],
              },
              http_filters: [
                ...(a.compression ? [compressorFilter(a.compression)] : []),
                {
                  name: "envoy.filters.http.router",
                  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/**
 * Builds the bootstrap as plain data in Envoy's proto3 JSON form. Everything but the xDS cluster, admin
 * (on 127.0.0.1) and the readiness/stats listeners comes over delta ADS.
 */
export function buildBootstrap(o: BootstrapOptions): Record<string, unknown> {
  const ads = { ads: {}, resource_api_version: "V3" };
  // Admin binds loopback only, always: it can dump every secret and stop the proxy.
  const adminAddress = o.ipFamily === "IPv6" ? "::1" : "127.0.0.1";
  const v6 = o.ipFamily === "IPv6" || o.ipFamily === "DualStack";
  // A wildcard listener takes the family's wildcard (IPv4 clients too, as Envoy Gateway's); another address stays.
  const bind = (host: string): { host: string; ipv4Compat?: boolean } =>
    v6 && host === "0.0.0.0" ? { host: "::", ipv4Compat: true } : { host };
  const clusters = [xdsCluster(o)];
  const listeners: unknown[] = [];
  if (o.readinessPort !== undefined) {
    const name = "envoy-gateway-proxy-ready";
    listeners.push(adminPathListener({ name, port: o.readinessPort, path: READINESS_PATH, ...bind("0.0.0.0") }));
  }
  if (o.statsPort !== undefined) {
    const at = bind(o.statsHost ?? "0.0.0.0");
    const compression = o.statsCompression ? { compression: o.statsCompression } : {};
    listeners.push(
      adminPathListener({ name: STATS_LISTENER, port: o.statsPort, path: STATS_PATH, ...at, ...compression }),
    );
  }
  if (listeners.length > 0) clusters.push(staticCluster(ADMIN_CLUSTER, adminAddress, o.adminPort));
  const sinks = metricSinkBootstrap(o.metricSinks);
  clusters.push(...sinks.clusters);
  return {
    node: { id: o.nodeId, cluster: o.nodeId },
    admin: { address: { socket_address: { address: adminAddress, port_value: o.adminPort } } },
    dynamic_resources: {
      ads_config: {
        api_type: "DELTA_GRPC",
        transport_api_version: "V3",
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: listeners.length > 0 ? { clusters, listeners } : { clusters },
    ...(o.statsMatches !== undefined ? { stats_config: statsConfig(o.statsMatches) } : {}),
    ...(sinks.statsSinks.length > 0 ? { stats_sinks: sinks.statsSinks } : {}),
  };
}
