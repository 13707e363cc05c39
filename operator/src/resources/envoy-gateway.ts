/** Envoy Gateway's extension kinds (gateway.envoyproxy.io/v1alpha1) the translator reads. */
import type { TlsParamsSettings } from "./client-traffic-policy";
import type { KubeObject } from "./meta";

/** API group of Envoy Gateway's extension kinds. */
export const ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io";

/** The default GatewayClass controller name, as in Envoy Gateway. */
export const DEFAULT_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";

/** One endpoint of a Backend: an IP, a hostname or a unix socket. */
export interface BackendEndpoint {
  /** Zone of the endpoint (for zone-aware load balancing). */
  readonly zone?: string;
  /**
   * Hostname of the endpoint (Envoy's endpoint hostname): the SNI of `tls.autoSNIFromEndpointHostname`.
   * @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
   */
  readonly hostname?: string;
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
    /** Path of the socket (at most 108 characters). @maxLength 108 */
    readonly path: string;
  };
}

/** A reference to an object in the Backend's namespace (a CA ConfigMap or Secret, a client certificate Secret). */
export interface BackendLocalRef {
  /** API group ("" for core). */
  readonly group?: string;
  /** Kind: ConfigMap or Secret. */
  readonly kind?: string;
  /** Name. */
  readonly name: string;
}

/** A reference to a Secret, with a namespace that must be the Backend's. */
export interface BackendSecretRef {
  /** API group ("" for core). */
  readonly group?: string;
  /** Kind: Secret. */
  readonly kind?: string;
  /** Name. */
  readonly name: string;
  /** Namespace; must be the Backend's. */
  readonly namespace?: string;
}

/**
 * A Backend's TLS settings: how Envoy originates TLS to its endpoints and checks their certificates, with Envoy
 * Gateway's BackendTLSConfig protocol parameters (versions, ciphers, curves, signature algorithms, ALPN).
 */
export interface BackendTlsSettings extends TlsParamsSettings {
  /** ConfigMaps or Secrets holding the trusted CA bundle under key `ca.crt`. @maxItems 8 */
  readonly caCertificateRefs?: readonly BackendLocalRef[];
  /** `System`: trust the proxy's system CA bundle. */
  readonly wellKnownCACertificates?: string;
  /** Skip the backend certificate check (no CA, no SAN). @default false */
  readonly insecureSkipVerify?: boolean;
  /** Fixed SNI; unset (and no autoSNIFromEndpointHostname): the SNI is the request's Host. */
  readonly sni?: string;
  /** Use each endpoint's `hostname` as its SNI. @default false */
  readonly autoSNIFromEndpointHostname?: boolean;
  /** Secret (kubernetes.io/tls, same namespace) with the client certificate Envoy presents. */
  readonly clientCertificateRef?: BackendSecretRef;
  /** TLSSettings' client fingerprints: a listener setting, refused on a Backend (Envoy Gateway ignores it). */
  readonly fingerprints?: readonly string[];
}

/** Backend spec: where the backend's traffic goes. */
export interface BackendSpec {
  /** Envoy Gateway's other Backend fields: a Backend setting one egts does not act on is refused by name (backends.ts). */
  readonly [field: string]: unknown;
  /** Endpoints. */
  readonly endpoints?: readonly BackendEndpoint[];
  /** Application protocols: gateway.envoyproxy.io/h2c, gateway.envoyproxy.io/ws, gateway.envoyproxy.io/wss. */
  readonly appProtocols?: readonly string[];
  /** `Endpoints` (default) or `DynamicResolver` (the request's Host names the upstream, resolved by DNS). */
  readonly type?: string;
  /** A fallback backend: its endpoints take traffic only when the rule's other backends are unhealthy. */
  readonly fallback?: boolean;
  /** TLS to the endpoints. */
  readonly tls?: BackendTlsSettings;
}
/** Backend. */
export type Backend = KubeObject<BackendSpec>;
