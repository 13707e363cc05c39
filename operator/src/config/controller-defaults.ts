/**
 * The defaults of `egts controller` that decide how the proxies render. `cdk8s synth` (constructs/synth.ts)
 * previews with the same ones, so they are written once, here, and cannot drift apart.
 */
import type { RenderOptions } from "../../../constructs/render";
import { PROXY_SECRET } from "../certgen/certgen";
import { env } from "./env";
import type { DeployType } from "./envoy-gateway-provider";
import { ENVOY_VERSION } from "../infra/host/envoy-binary";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";

/** Flag defaults of `egts controller` (the namespace defaults to ENVOY_GATEWAY_NAMESPACE, see env.ts). */
export const CONTROLLER_DEFAULTS = {
  /** GatewayClass controller name. */
  controllerName: DEFAULT_CONTROLLER_NAME,
  /** Envoy image: the upstream distroless build of the Envoy version we test with. */
  envoyImage: `docker.io/envoyproxy/envoy:distroless-v${ENVOY_VERSION}`,
  /** Port of the xDS server the proxies dial. */
  xdsPort: 18000,
  /** Non-empty: the proxies use mTLS xDS, each with its own client certificate Secret `<proxy>-xds`. */
  xdsTlsSecret: PROXY_SECRET,
  /** Folder of the Wasm module cache (Envoy Gateway's; the chart mounts a writable volume there). */
  wasmCacheDir: "/var/lib/eg/wasm",
} as const;

/**
 * The DNS name of the control plane's xDS Service in `namespace` (`domain`: the cluster's DNS domain); its
 * certificate carries this name.
 */
export function xdsServiceHost(namespace: string, domain = env().clusterDomain): string {
  return `envoy-gateway.${namespace}.svc.${domain}`;
}

/**
 * The audience of the service-account tokens the proxies present to the xDS server in GatewayNamespace mode:
 * the xDS Service's name, as Envoy Gateway sets it.
 */
export function xdsTokenAudience(namespace: string, domain = env().clusterDomain): string {
  return xdsServiceHost(namespace, domain);
}

/** The `egts controller` flags that shape the rendered proxies; absent ones take the defaults. */
export interface ControllerRenderFlags {
  /** Namespace of the control plane and of the proxies. */
  readonly namespace: string;
  /** `--xds-address HOST[:PORT]`. @default the xDS Service of `namespace`, port 18000 */
  readonly xdsAddress?: string;
  /** `--envoy-image`. @default CONTROLLER_DEFAULTS.envoyImage */
  readonly envoyImage?: string;
  /** `--shutdown-manager-image`. @default the renderer's (ghcr.io/egts/controller:<version>) */
  readonly shutdownManagerImage?: string;
  /** `--xds-tls-secret`: non-empty means mTLS xDS (each proxy mounts its own Secret); empty renders plaintext. @default CONTROLLER_DEFAULTS.xdsTlsSecret */
  readonly xdsTlsSecret?: string;
  /**
   * EnvoyGateway `provider.kubernetes.deploy.type`: GatewayNamespace puts each Gateway's proxies in its own
   * namespace, presenting a service-account token to the xDS server. @default ControllerNamespace
   */
  readonly deploy?: DeployType;
}

/** The render options of `egts controller` for the given flags. */
export function controllerRenderOptions(flags: ControllerRenderFlags): RenderOptions {
  const service = xdsServiceHost(flags.namespace);
  const [host = service, port = String(CONTROLLER_DEFAULTS.xdsPort)] = (flags.xdsAddress ?? "")
    .split(":")
    .filter((p) => p !== "");
  const tlsSecretName = flags.xdsTlsSecret ?? CONTROLLER_DEFAULTS.xdsTlsSecret;
  const gatewayNamespace = flags.deploy === "GatewayNamespace";
  return {
    namespace: flags.namespace,
    ...(gatewayNamespace ? { gatewayNamespace } : {}),
    image: flags.envoyImage ?? CONTROLLER_DEFAULTS.envoyImage,
    ...(flags.shutdownManagerImage ? { shutdownManagerImage: flags.shutdownManagerImage } : {}),
    xds: {
      host,
      port: Number(port),
      // The certificate names the Service, whatever address the proxies dial.
      serverName: service,
      ...(tlsSecretName ? { tlsSecretName } : {}),
      // Proxies outside our namespace also present a service-account token (Envoy Gateway's).
      ...(gatewayNamespace ? { tokenAudience: xdsTokenAudience(flags.namespace) } : {}),
    },
  };
}
