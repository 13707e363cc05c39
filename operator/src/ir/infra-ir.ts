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
  /** Labels for the objects created for the proxy (Gateway spec.infrastructure.labels); absent when none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations for those objects (Gateway spec.infrastructure.annotations); absent when none. */
  readonly annotations?: Readonly<Record<string, string>>;
}
