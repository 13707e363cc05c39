/**
 * EnvoyProxy (gateway.envoyproxy.io/v1alpha1): how the Envoy proxies of a GatewayClass or Gateway are
 * deployed. Field names follow Envoy Gateway's API reference; the Kubernetes provider is modelled, and of the Host
 * provider only `envoyVersion`.
 */
import type { Compression } from "./backend-traffic-policy";
import type { TlsParamsSettings } from "./client-traffic-policy";
import type { JSONPatchOperation } from "./envoy-patch-policy";
import type { SecretObjectReference } from "./gateway-api";
import type { KubeObject } from "./meta";
import type { LabelSelector } from "./policy-common";

/** A patch applied to a rendered object after everything else. */
export interface KubernetesPatchSpec {
  /** `StrategicMerge` (lists of named items merge by name) or `JSONMerge` (RFC 7386). @default StrategicMerge */
  readonly type?: "StrategicMerge" | "JSONMerge";
  /** The patch document. */
  readonly value: Readonly<Record<string, unknown>>;
}

/** Resource requests and limits of a container. */
export interface ResourceRequirements {
  /** Requests, e.g. `{ cpu: 100m, memory: 512Mi }`. */
  readonly requests?: Readonly<Record<string, string>>;
  /** Limits. */
  readonly limits?: Readonly<Record<string, string>>;
}

/** Settings of the Envoy container. */
export interface KubernetesContainerSpec {
  /** Extra environment variables. */
  readonly env?: readonly {
    /** Variable name. */
    readonly name: string;
    /** Value. @default empty */
    readonly value?: string;
    /** Where the value comes from instead (a Kubernetes EnvVarSource: fieldRef, secretKeyRef, …). */
    readonly valueFrom?: Readonly<Record<string, unknown>>;
  }[];
  /** Resources. @default requests cpu 100m, memory 512Mi */
  readonly resources?: ResourceRequirements;
  /** Container security context (merged over ours). */
  readonly securityContext?: Readonly<Record<string, unknown>>;
  /** Envoy image. @default the image the controller is configured with */
  readonly image?: string;
  /**
   * Envoy image repository without a tag: the image is this repository with the default image's tag (mutually
   * exclusive with `image`).
   */
  readonly imageRepository?: string;
  /** Extra volume mounts. */
  readonly volumeMounts?: readonly Readonly<Record<string, unknown>>[];
}

/** Settings of the Envoy pods. */
export interface KubernetesPodSpec {
  /** Pod annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Pod labels (selector labels cannot be overridden). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Pod security context. */
  readonly securityContext?: Readonly<Record<string, unknown>>;
  /** Affinity. */
  readonly affinity?: Readonly<Record<string, unknown>>;
  /** Tolerations. */
  readonly tolerations?: readonly Readonly<Record<string, unknown>>[];
  /** Extra volumes. */
  readonly volumes?: readonly Readonly<Record<string, unknown>>[];
  /** Node selector. */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Topology spread constraints. */
  readonly topologySpreadConstraints?: readonly Readonly<Record<string, unknown>>[];
  /** Image pull secrets. */
  readonly imagePullSecrets?: readonly {
    /** Name of a Secret in the proxies' namespace. */
    readonly name: string;
  }[];
  /** Priority class of the pods. @default the cluster's default priority */
  readonly priorityClassName?: string;
}

/** `envoyDeployment`. */
export interface KubernetesDeploymentSpec {
  /** Replicas; ignored when an HPA is configured. @default 1 @minimum 0 */
  readonly replicas?: number;
  /** Deployment strategy. */
  readonly strategy?: Readonly<Record<string, unknown>>;
  /** Pod settings. */
  readonly pod?: KubernetesPodSpec;
  /** Envoy container settings. */
  readonly container?: KubernetesContainerSpec;
  /** A patch applied to the rendered Deployment. */
  readonly patch?: KubernetesPatchSpec;
  /** Init containers of the pods (Kubernetes Containers), run before Envoy. */
  readonly initContainers?: readonly Readonly<Record<string, unknown>>[];
  /** Name of the Deployment. @default a name derived from the Gateway */
  readonly name?: string;
}

/** `envoyDaemonSet`. */
export interface KubernetesDaemonSetSpec {
  /** Update strategy. */
  readonly strategy?: Readonly<Record<string, unknown>>;
  /** Pod settings. */
  readonly pod?: KubernetesPodSpec;
  /** Envoy container settings. */
  readonly container?: KubernetesContainerSpec;
  /** A patch applied to the rendered DaemonSet. */
  readonly patch?: KubernetesPatchSpec;
  /** Name of the DaemonSet. @default a name derived from the Gateway */
  readonly name?: string;
}

/** `envoyService`. */
export interface KubernetesServiceSpec {
  /** Service type. @default LoadBalancer */
  readonly type?: "LoadBalancer" | "ClusterIP" | "NodePort";
  /** Service annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Service labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** loadBalancerClass. */
  readonly loadBalancerClass?: string;
  /** allocateLoadBalancerNodePorts. */
  readonly allocateLoadBalancerNodePorts?: boolean;
  /** loadBalancerSourceRanges. */
  readonly loadBalancerSourceRanges?: readonly string[];
  /** loadBalancerIP. */
  readonly loadBalancerIP?: string;
  /** externalTrafficPolicy. @default Local */
  readonly externalTrafficPolicy?: "Local" | "Cluster";
  /** A patch applied to the rendered Service. */
  readonly patch?: KubernetesPatchSpec;
  /** Name of the Service. @default a name derived from the Gateway */
  readonly name?: string;
}

/** `envoyHpa`: a HorizontalPodAutoscaler (autoscaling/v2) for the Deployment. */
export interface KubernetesHorizontalPodAutoscalerSpec {
  /** Minimum replicas. @default 1 @minimum 1 */
  readonly minReplicas?: number;
  /** Maximum replicas. @minimum 1 */
  readonly maxReplicas: number;
  /** Metrics. @default 80% average CPU utilization */
  readonly metrics?: readonly Readonly<Record<string, unknown>>[];
  /** Scaling behavior. */
  readonly behavior?: Readonly<Record<string, unknown>>;
  /** A patch applied to the rendered HPA. */
  readonly patch?: KubernetesPatchSpec;
  /** Name of the HPA. @default a name derived from the Gateway */
  readonly name?: string;
}

/** `envoyPDB`: a PodDisruptionBudget for the proxies. */
export interface KubernetesPodDisruptionBudgetSpec {
  /** minAvailable (number or percentage). */
  readonly minAvailable?: number | string;
  /** maxUnavailable (number or percentage). */
  readonly maxUnavailable?: number | string;
  /** A patch applied to the rendered PDB. */
  readonly patch?: KubernetesPatchSpec;
  /** Name of the PDB. @default a name derived from the Gateway */
  readonly name?: string;
}

/** `provider.kubernetes`. */
export interface EnvoyProxyKubernetesProvider {
  /** Run the proxies as a Deployment (the default). */
  readonly envoyDeployment?: KubernetesDeploymentSpec;
  /** Run the proxies as a DaemonSet instead. */
  readonly envoyDaemonSet?: KubernetesDaemonSetSpec;
  /** The Service in front of the proxies. */
  readonly envoyService?: KubernetesServiceSpec;
  /** An optional HPA. */
  readonly envoyHpa?: KubernetesHorizontalPodAutoscalerSpec;
  /** An optional PDB. */
  readonly envoyPDB?: KubernetesPodDisruptionBudgetSpec;
  /**
   * Bind each listener on its own port in the container. By default a listener port below 1024 is bound as
   * port + 10000 (the Service still exposes the listener's port), so Envoy needs no NET_BIND_SERVICE
   * capability; with this set, give the container that capability (a container patch) to use such ports.
   * @default false
   */
  readonly useListenerPortAsContainerPort?: boolean;
  /** The ServiceAccount. */
  readonly envoyServiceAccount?: {
    /** Name of the ServiceAccount. @default a name derived from the Gateway */
    readonly name?: string;
  };
}

/** Envoy Gateway's `EnvoyFilter`: the HTTP filters `filterOrder` may move (the router always stays last). */
export type EnvoyFilter =
  | "envoy.filters.http.custom_response"
  | "envoy.filters.http.health_check"
  | "envoy.filters.http.fault"
  | "envoy.filters.http.cors"
  | "envoy.filters.http.csrf"
  | "envoy.filters.http.header_mutation"
  | "envoy.filters.http.ext_authz"
  | "envoy.filters.http.api_key_auth"
  | "envoy.filters.http.basic_auth"
  | "envoy.filters.http.oauth2"
  | "envoy.filters.http.jwt_authn"
  | "envoy.filters.http.stateful_session"
  | "envoy.filters.http.buffer"
  | "envoy.filters.http.lua"
  | "envoy.filters.http.ext_proc"
  | "envoy.filters.http.wasm"
  | "envoy.filters.http.dynamic_modules"
  | "envoy.filters.http.geoip"
  | "envoy.filters.http.rbac"
  | "envoy.filters.http.local_ratelimit"
  | "envoy.filters.http.ratelimit"
  | "envoy.filters.http.bandwidth_limit"
  | "envoy.filters.http.grpc_web"
  | "envoy.filters.http.grpc_stats"
  | "envoy.filters.http.credential_injector"
  | "envoy.filters.http.compressor"
  | "envoy.filters.http.dynamic_forward_proxy";

/** One position of `filterOrder` (Envoy Gateway's `FilterPosition`). */
export interface FilterPosition {
  /** The filter to move. */
  readonly name: EnvoyFilter;
  /** Filter to move it before; exactly one of before and after. */
  readonly before?: EnvoyFilter;
  /** Filter to move it after; exactly one of before and after. */
  readonly after?: EnvoyFilter;
}

/** `geoIP`: the GeoIP provider shared by the proxies' geoip filters. */
export interface EnvoyProxyGeoIP {
  /** The provider and its databases. */
  readonly provider: GeoIPProvider;
}

/** A GeoIP provider; only MaxMind databases on local files exist. */
export interface GeoIPProvider {
  /** Provider type. */
  readonly type: "MaxMind";
  /** The MaxMind databases; required when type is MaxMind. */
  readonly maxMind?: GeoIPMaxMind;
}

/** MaxMind databases (files mounted into the proxy); at least one must be set. */
export interface GeoIPMaxMind {
  /** City database (country, region and city). */
  readonly cityDbSource?: GeoIPDBSource;
  /** Country database: country lookups (else the City database answers them). */
  readonly countryDbSource?: GeoIPDBSource;
  /** ASN database. */
  readonly asnDbSource?: GeoIPDBSource;
  /** ISP database. */
  readonly ispDbSource?: GeoIPDBSource;
  /** Anonymous IP database. */
  readonly anonymousIpDbSource?: GeoIPDBSource;
}

/** Where a .mmdb database is read from. */
export interface GeoIPDBSource {
  /** A file on the proxy's file system. */
  readonly local: {
    /** Path of the database file. @pattern ^.*\.mmdb$ */
    readonly path: string;
  };
}

/** EnvoyProxy spec: where and how the proxies run. */
export interface EnvoyProxySpec {
  /**
   * Envoy Gateway's other EnvoyProxy fields (tracing, bootstrap, ipFamily, …): read so existing YAML parses, and
   * refused with a condition naming each one (translate/envoy-proxy-fields.ts), never silently ignored.
   */
  readonly [field: string]: unknown;
  /** Where the proxies run. */
  readonly provider?: {
    /** The provider; only Kubernetes is supported. */
    readonly type: "Kubernetes";
    /** Settings of the Kubernetes objects that run the proxies. */
    readonly kubernetes?: EnvoyProxyKubernetesProvider;
    /** Envoy Gateway's Host provider (standalone: Envoy processes on this host). */
    readonly host?: EnvoyProxyHostProvider;
  };
  /** Run every Gateway of the class on one shared set of proxies. @default false */
  readonly mergeGateways?: boolean;
  /**
   * How a Gateway's own EnvoyProxy combines with its GatewayClass's: unset or `Replace` replaces it; `StrategicMerge`
   * (Kubernetes' strategic merge) and `JSONMerge` (RFC 7386) merge it onto the class's. No effect on a
   * GatewayClass's own. @default Replace
   */
  readonly mergeType?: "Replace" | "StrategicMerge" | "JSONMerge";
  /**
   * Routes that reference the same backend share one cluster (Envoy Gateway's cluster deduplication; egts's
   * default, so it changes nothing); mutually exclusive with `mergeGateways`. @default unset
   */
  readonly mergeBackends?: { readonly selector?: LabelSelector };
  /**
   * `Service`: traffic to a Kubernetes Service goes to its cluster IP and Service port instead of its endpoints
   * (a BackendTrafficPolicy's `routingType` overrides it). @default Endpoint
   */
  readonly routingType?: "Service" | "Endpoint";
  /** How EnvoyExtensionPolicy Lua scripts are checked before they reach the proxies. @default Strict */
  readonly luaValidation?: LuaValidation;
  /** Envoy worker threads. @default Envoy's default (one per core) @minimum 0 */
  readonly concurrency?: number;
  /**
   * Moves of HTTP filters away from Envoy Gateway's order, applied in order: each puts the filters `name` right
   * before the first `before` filter or right after the last `after` filter. @default Envoy Gateway's order
   */
  readonly filterOrder?: readonly FilterPosition[];
  /**
   * GeoIP provider the proxies look client addresses up in (SecurityPolicy authorization `clientIPGeoLocations`).
   * @default none
   */
  readonly geoIP?: EnvoyProxyGeoIP;
  /**
   * Dynamic modules EnvoyExtensionPolicies may use, by name; the proxy must be able to read each module's file.
   * @maxItems 16
   */
  readonly dynamicModules?: readonly DynamicModuleEntry[];
  /** Envoy's logging. */
  readonly logging?: {
    /**
     * Log level by component (`default` and Envoy Gateway's components: upstream, http, connection, admin, client,
     * filter, main, router, runtime), e.g. `{ default: warn, http: debug }`. @default `{ default: warn }`
     */
    readonly level?: Readonly<Record<string, string>>;
  };
  /** Observability of the proxies. */
  readonly telemetry?: ProxyTelemetry;
  /** Graceful shutdown of the proxies. */
  readonly shutdown?: ProxyShutdown;
  /**
   * Extra command line arguments appended to Envoy's, e.g. `["--disable-extensions", "envoy.filters.http.lua"]`;
   * the flags egts sets or relies on (config, admin, base id, log levels, concurrency, drain, mode, node
   * identity) are refused. @default none
   */
  readonly extraArgs?: readonly string[];
  /**
   * The Envoy bootstrap: merged into egts's (Merge), in place of it (Replace) or patched (JSONPatch); the result
   * must keep the xDS cluster's endpoint and the dynamic resources unchanged (infra/bootstrap-custom.ts).
   * @default egts's bootstrap
   */
  readonly bootstrap?: ProxyBootstrap;
  /**
   * The IP family of the listeners: IPv6 and DualStack bind `::` (DualStack with IPv4-mapped addresses) and set
   * the proxy Service's ipFamilies. @default IPv4
   */
  readonly ipFamily?: "IPv4" | "IPv6" | "DualStack";
  /** Match HTTPRoute rules in the order written instead of Gateway API's precedence. @default false */
  readonly preserveRouteOrder?: boolean;
  /** The client certificate and TLS parameters of every TLS connection to a backend. @default none */
  readonly backendTLS?: EnvoyProxyBackendTLS;
}

/** `provider.host` (Envoy Gateway's EnvoyProxyHostProvider). */
export interface EnvoyProxyHostProvider {
  /**
   * The Envoy version to run, e.g. `1.40.0`. egts runs the one Envoy it is built and tested with
   * (translate/envoy-version.ts): another version is refused. @default the version egts is built with
   */
  readonly envoyVersion?: string;
}

/** `bootstrap` (Envoy Gateway's ProxyBootstrap). */
export interface ProxyBootstrap {
  /** How `value` or `jsonPatches` changes egts's bootstrap. @default Replace */
  readonly type?: "Merge" | "Replace" | "JSONPatch";
  /** A bootstrap in YAML (Merge, Replace). */
  readonly value?: string;
  /** RFC 6902 operations on egts's bootstrap, in order (JSONPatch). */
  readonly jsonPatches?: readonly JSONPatchOperation[];
}

/** `backendTLS` (Envoy Gateway's BackendTLSConfig): the client certificate and TLS parameters towards backends. */
export interface EnvoyProxyBackendTLS extends TlsParamsSettings {
  /** A kubernetes.io/tls Secret in the EnvoyProxy's namespace, presented to backends. @default none */
  readonly clientCertificateRef?: SecretObjectReference;
}

/** `telemetry`. */
export interface ProxyTelemetry {
  /** Envoy Gateway's other fields (refused by name, translate/envoy-proxy-fields.ts); kept so the CRD keeps them. */
  readonly [field: string]: unknown;
  /** Access logs (translate/access-log.ts reads it). */
  readonly accessLog?: Readonly<Record<string, unknown>>;
  /** Metrics. */
  readonly metrics?: ProxyMetrics;
}

/** `telemetry.metrics`. */
export interface ProxyMetrics {
  /** Envoy Gateway's other fields (refused by name, translate/envoy-proxy-fields.ts); kept so the CRD keeps them. */
  readonly [field: string]: unknown;
  /** The Prometheus endpoint, `:19001/stats/prometheus`. */
  readonly prometheus?: {
    /** Envoy Gateway's other fields (refused by name, translate/envoy-proxy-fields.ts). */
    readonly [field: string]: unknown;
    /** Serve no Prometheus endpoint (and no scrape annotations). @default false */
    readonly disable?: boolean;
    /** Compress the endpoint's responses for clients that accept it (Gzip, Brotli or Zstd). @default none */
    readonly compression?: Compression;
  };
  /** Which stats Envoy creates (its stats_matcher inclusion list); the others are never created. @default all */
  readonly matches?: readonly ProxyStatMatch[];
  /** Stats per virtual host (a virtual cluster per host). @default false */
  readonly enableVirtualHostStats?: boolean;
  /** Stats per upstream endpoint. @default false */
  readonly enablePerEndpointStats?: boolean;
  /** Request and response size histograms per cluster. @default false */
  readonly enableRequestResponseSizesStats?: boolean;
  /** The grpc_stats filter on every HTTP listener (`false`: on none). @default on where a GRPCRoute is attached */
  readonly enableGRPCStats?: boolean;
  /**
   * The stat name of route clusters (Envoy's `alt_stat_name`) from a pattern of `%ROUTE_KIND%`, `%ROUTE_NAMESPACE%`,
   * `%ROUTE_NAME%`, `%ROUTE_RULE_NAME%`, `%ROUTE_RULE_NUMBER%` and `%BACKEND_REFS%`, e.g.
   * `%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/rule/%ROUTE_RULE_NUMBER%`. A cluster shared by several route rules
   * keeps the cluster name when the pattern names the route (translate/telemetry/cluster-stat-name.ts).
   * @default the cluster name
   */
  readonly clusterStatName?: string;
}

/** One stat name matcher. */
export interface ProxyStatMatch {
  /** How `value` is compared. @default Exact */
  readonly type?: "Exact" | "Prefix" | "Suffix" | "RegularExpression";
  /** The value. */
  readonly value: string;
}

/** `shutdown`. */
export interface ProxyShutdown {
  /** Envoy Gateway's other fields (refused by name, translate/envoy-proxy-fields.ts); kept so the CRD keeps them. */
  readonly [field: string]: unknown;
  /**
   * How long a stopping proxy drains its connections before it exits (the preStop drain's limit, Envoy's
   * `--drain-time-s`; the pod's terminationGracePeriodSeconds is this plus 300 s). @default 60s
   */
  readonly drainTimeout?: string;
  /**
   * How long a stopping proxy drains at least, even with no connection left, so that load balancers and
   * kube-proxies stop sending it new ones first. @default 10s
   */
  readonly minDrainDuration?: string;
  /**
   * How long a stopping proxy keeps passing health checks after its drain starts (its listeners drain
   * gracefully meanwhile); then it fails them. @default 0s
   */
  readonly healthCheckFailureDelay?: string;
}

/** A dynamic module allowed for EnvoyExtensionPolicies (Envoy Gateway's DynamicModuleEntry). */
export interface DynamicModuleEntry {
  /** Name policies refer to it by. @pattern ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ @maxLength 253 */
  readonly name: string;
  /** Where the module's shared library is. */
  readonly source: DynamicModuleSource;
  /** Never unload the module (dlclose). @default false */
  readonly doNotClose?: boolean;
  /** Load the module with RTLD_GLOBAL. @default false */
  readonly loadGlobally?: boolean;
}

/** Where a dynamic module comes from. */
export interface DynamicModuleSource {
  /** `Local` (a file on the proxy's host) or `Remote` (a URL). @default Local */
  readonly type?: "Local" | "Remote";
  /** A local file (type Local). */
  readonly local?: {
    /** Absolute path of the shared library (`.so`). @maxLength 4096 */
    readonly path: string;
  };
  /** A remote file (type Remote). */
  readonly remote?: {
    /** http or https URL of the shared library. @pattern ^https?://[^/?#]+(?:[/?#].*)?$ */
    readonly url: string;
    /** Its SHA-256. @pattern ^[a-f0-9]{64}$ */
    readonly sha256: string;
  };
}

/** EnvoyProxy. */
export type EnvoyProxy = KubeObject<EnvoyProxySpec>;

/**
 * Envoy Gateway's `luaValidation` levels: Strict (Envoy Gateway runs the script in a sandbox; egts parses it),
 * InsecureSyntax (parsed), Disabled (only a handler must be defined).
 */
export type LuaValidation = "Strict" | "InsecureSyntax" | "Disabled";
