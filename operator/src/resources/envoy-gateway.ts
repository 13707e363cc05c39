/** Envoy Gateway's extension kinds (gateway.envoyproxy.io/v1alpha1) the translator reads. */
import type { KubeObject } from "./meta";

/** API group of Envoy Gateway's extension kinds. */
export const ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io";

/** The default GatewayClass controller name, as in Envoy Gateway. */
export const DEFAULT_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";

/** One endpoint of a Backend: an IP, a hostname or a unix socket. */
export interface BackendEndpoint {
  /** Zone of the endpoint (for zone-aware load balancing). */
  readonly zone?: string;
  /** IP address and port. */
  readonly ip?: {
    /** IPv4 or IPv6 address. */
    readonly address: string;
    /** Port. @minimum 1 @maximum 65535 */
    readonly port: number;
  };
  /** DNS name and port. */
  readonly fqdn?: {
    /** Hostname, resolved by Envoy. */
    readonly hostname: string;
    /** Port. @minimum 1 @maximum 65535 */
    readonly port: number;
  };
  /** Unix domain socket. */
  readonly unix?: {
    /** Path of the socket. */
    readonly path: string;
  };
}

/** Backend spec: where the backend's traffic goes. */
export interface BackendSpec {
  /** Envoy Gateway's other Backend fields (type, tls, fallback, …): a Backend setting one is refused by name (backends.ts). */
  readonly [field: string]: unknown;
  /** Endpoints. */
  readonly endpoints?: readonly BackendEndpoint[];
  /** Application protocols (e.g. gateway.envoyproxy.io/h2c). */
  readonly appProtocols?: readonly string[];
}
/** Backend. */
export type Backend = KubeObject<BackendSpec>;
