/** Envoy Gateway's extension kinds (gateway.envoyproxy.io/v1alpha1) the translator reads. */
import type { KubeObject } from "./meta";

/** API group of Envoy Gateway's extension kinds. */
export const ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io";

/** The default GatewayClass controller name, as in Envoy Gateway. */
export const DEFAULT_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";

/** One endpoint of a Backend: an IP, a hostname or a unix socket. */
export interface BackendEndpoint {
  /** IP address and port. */
  readonly ip?: { readonly address: string; readonly port: number };
  /** DNS name and port. */
  readonly fqdn?: { readonly hostname: string; readonly port: number };
  /** Unix domain socket. */
  readonly unix?: { readonly path: string };
}

/** Backend spec. */
export interface BackendSpec {
  /** Endpoints. */
  readonly endpoints?: readonly BackendEndpoint[];
  /** Application protocols (e.g. gateway.envoyproxy.io/h2c). */
  readonly appProtocols?: readonly string[];
}
/** Backend. */
export type Backend = KubeObject<BackendSpec>;
