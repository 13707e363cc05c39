/** The infra IR: which Envoy proxies must exist, one per Gateway. */

/** One Envoy proxy to run. */
export interface ProxyInfraIr {
  /** `namespace/name` of the Gateway; the Envoy node id. */
  readonly name: string;
  /** Gateway namespace. */
  readonly namespace: string;
  /** Gateway name. */
  readonly gatewayName: string;
  /** Ports the proxy listens on. */
  readonly ports: readonly { readonly name: string; readonly port: number; readonly protocol: string }[];
}
