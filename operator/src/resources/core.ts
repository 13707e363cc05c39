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
    /** Zone of the endpoint (topology.kubernetes.io/zone of its node). */
    readonly zone?: string;
  }[];
  /** Ports. */
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
}

/** Namespace. */
export type Namespace = KubeObject<unknown>;

/** ConfigMap; its contents are top-level `data`, not under spec. */
export interface ConfigMap {
  /** v1. */
  readonly apiVersion: string;
  /** ConfigMap. */
  readonly kind: string;
  /** Metadata. */
  readonly metadata: import("./meta").ObjectMeta;
  /** String values by key (e.g. `ca.crt`). */
  readonly data?: Readonly<Record<string, string>>;
}

/** Secret; its contents are top-level `data` (base64 values), not under spec. */
export interface Secret {
  /** v1. */
  readonly apiVersion: string;
  /** Secret. */
  readonly kind: string;
  /** Metadata. */
  readonly metadata: import("./meta").ObjectMeta;
  /** Secret type, e.g. `kubernetes.io/tls`. */
  readonly type?: string;
  /** Base64 values by key (`tls.crt`, `tls.key`). */
  readonly data?: Readonly<Record<string, string>>;
  /** Plain-text values by key; the API server merges them into `data`. */
  readonly stringData?: Readonly<Record<string, string>>;
}

/** The label on an EndpointSlice naming its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
