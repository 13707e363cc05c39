/** The Envoy bootstrap for a host-run proxy: node identity, delta ADS to our server, admin on loopback. */

/** Inputs of the bootstrap. */
export interface BootstrapOptions {
  /** Node id and cluster: the Gateway's `namespace/name`. */
  readonly nodeId: string;
  /** xDS server host (loopback in standalone). */
  readonly xdsHost: string;
  /** xDS server port. @default 18000 */
  readonly xdsPort: number;
  /** Admin interface port (0 = any free port). */
  readonly adminPort: number;
}

/** Name of the static cluster pointing at our xDS server. */
export const XDS_CLUSTER = "xds_cluster";

/**
 * Builds the bootstrap as plain data in Envoy's proto3 JSON form. Everything but the xDS cluster and
 * admin comes over delta ADS.
 */
export function buildBootstrap(o: BootstrapOptions): Record<string, unknown> {
  const ads = { ads: {}, resource_api_version: "V3" };
  return {
    node: { id: o.nodeId, cluster: o.nodeId },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: o.adminPort } } },
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
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: "STATIC",
          connect_timeout: "1s",
          load_assignment: {
            cluster_name: XDS_CLUSTER,
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: { address: { socket_address: { address: o.xdsHost, port_value: o.xdsPort } } } },
                ],
              },
            ],
          },
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        },
      ],
    },
  };
}
