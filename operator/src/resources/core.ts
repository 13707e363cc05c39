/** The core Kubernetes kinds the translator reads. */
import type { KubeObject } from "./meta";

/** A Service port. */
export interface ServicePort {
  /** Port name. */
  readonly name?: string;
  /** Port. */
  readonly port: number;
  /** Target port on the pods. */
  readonly targetPort?: number | string;
  /** TCP/UDP/SCTP. */
  readonly protocol?: string;
  /** Application protocol. */
  readonly appProtocol?: string;
}

/** Service spec. */
export interface ServiceSpec {
  /** Ports. */
  readonly ports?: readonly ServicePort[];
  /** Cluster IP. */
  readonly clusterIP?: string;
  /** ClusterIP, NodePort, LoadBalancer, ExternalName. */
  readonly type?: string;
}
/** Service. */
export type Service = KubeObject<ServiceSpec>;

/** EndpointSlice (discovery.k8s.io/v1); its fields are top-level, not under spec. */
export interface EndpointSlice {
  /** discovery.k8s.io/v1. */
  readonly apiVersion: string;
  /** EndpointSlice. */
  readonly kind: string;
  /** Metadata; label kubernetes.io/service-name names the Service. */
  readonly metadata: import("./meta").ObjectMeta;
  /** IPv4, IPv6 or FQDN. */
  readonly addressType?: string;
  /** Endpoints. */
  readonly endpoints?: readonly {
    readonly addresses: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  }[];
  /** Ports. */
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
}

/** Namespace. */
export type Namespace = KubeObject<unknown>;

/** The label on an EndpointSlice naming its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
