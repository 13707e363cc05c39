/**
 * The service-account token a proxy presents to the xDS server (EnvoyGateway `provider.kubernetes.deploy.type:
 * GatewayNamespace`, as Envoy Gateway does): the kubelet projects a token for the xDS server's audience into the
 * pod, a file-based SDS generic secret points at it, and an upstream credential injector on the xDS cluster
 * sends it as the `authorization` header of every xDS stream. The SDS file is reloaded whenever the token
 * folder changes (the kubelet's atomic `..data` swap when it rotates the token), so a reconnect sends the
 * current token.
 */

/** The projected token, and the SDS file that delivers it to Envoy. */
export interface XdsTokenFiles {
  /** The token file (a projected serviceAccountToken volume). */
  readonly tokenFile: string;
  /** Path of the SDS file of {@link xdsTokenSdsFile} in the proxy's file system. */
  readonly sdsPath: string;
}

/** SDS resource name of the token (Envoy Gateway's). */
export const XDS_TOKEN_SECRET = "jwt-sa-bearer";
/** File name of the token's SDS file (Envoy Gateway's). */
export const XDS_TOKEN_SDS_FILE = "xds_service_account_token.json";

/** The directory of a file path. */
function dirOf(file: string): string {
  const i = file.lastIndexOf("/");
  return i > 0 ? file.slice(0, i) : "/";
}

/** The SDS file (JSON) holding the token as a generic secret read from `tokenFile`. */
export function xdsTokenSdsFile(tokenFile: string): string {
  const resource = {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
    name: XDS_TOKEN_SECRET,
    generic_secret: { secret: { filename: tokenFile } },
  };
  return `${JSON.stringify({ resources: [resource] }, null, 2)}\n`;
}

/**
 * The upstream HTTP filters of the xDS cluster that put the token in the `authorization` header (replacing
 * any), then encode the request.
 */
export function xdsTokenUpstreamFilters(files: XdsTokenFiles): unknown[] {
  const sdsConfig = {
    path_config_source: { path: files.sdsPath, watched_directory: { path: dirOf(files.tokenFile) } },
    resource_api_version: "V3",
  };
  return [
    {
      name: "envoy.filters.http.credential_injector",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
        overwrite: true,
        credential: {
          name: "envoy.http.injected_credentials.generic",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.http.injected_credentials.generic.v3.Generic",
            credential: { name: XDS_TOKEN_SECRET, sds_config: sdsConfig },
          },
        },
      },
    },
    {
      name: "envoy.filters.http.upstream_codec",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec",
      },
    },
  ];
}
