/**
 * Which EnvoyProxy fields egts acts on. Any other field an EnvoyProxy sets (Envoy Gateway's `telemetry.tracing`,
 * `bootstrap`, `ipFamily`, …) refuses it, naming the field ("<field> is not implemented by egts"), as the other
 * policies do (translate/policies/client-traffic-fields.ts): the class or Gateway that uses it is then
 * Accepted=False InvalidParameters, so nothing is silently ignored. Implementing a field means: act on it, add it
 * here, add a test on the wire.
 */
import { unimplementedFields } from "./policies/client-traffic-fields";

/** Fields of a Kubernetes pod (`envoyDeployment.pod`, `envoyDaemonSet.pod`) the renderer uses. */
const POD_FIELDS = [
  "annotations",
  "labels",
  "securityContext",
  "affinity",
  "tolerations",
  "volumes",
  "nodeSelector",
  "topologySpreadConstraints",
  "imagePullSecrets",
  "priorityClassName",
];
/** Fields of the Envoy container the renderer uses. */
const CONTAINER_FIELDS = ["env", "resources", "securityContext", "image", "imageRepository", "volumeMounts"];

/** A workload's (Deployment's or DaemonSet's) fields, below `at`. */
function workloadFields(at: string, own: readonly string[]): string[] {
  return [
    ...own.map((f) => `${at}.${f}`),
    ...POD_FIELDS.map((f) => `${at}.pod.${f}`),
    ...CONTAINER_FIELDS.map((f) => `${at}.container.${f}`),
  ];
}

const K8S = "provider.kubernetes";

/** EnvoyProxy spec paths egts implements (a path covers everything below it). */
export const ENVOY_PROXY_IMPLEMENTED_FIELDS: readonly string[] = [
  "provider.type",
  "provider.host.envoyVersion", // translate/envoy-version.ts: only the version egts runs
  ...workloadFields(`${K8S}.envoyDeployment`, ["replicas", "strategy", "patch", "name", "initContainers"]),
  ...workloadFields(`${K8S}.envoyDaemonSet`, ["strategy", "patch", "name"]),
  `${K8S}.envoyService`,
  `${K8S}.envoyHpa`,
  `${K8S}.envoyPDB`,
  `${K8S}.envoyServiceAccount`,
  `${K8S}.useListenerPortAsContainerPort`,
  "mergeGateways",
  "mergeType", // translate/envoy-proxy-merge.ts
  "mergeBackends", // egts's default (translate/merge-backends.ts): checked, exclusive with mergeGateways
  "routingType", // translate/routing-type.ts
  "luaValidation", // translate/policies/extension-lua.ts
  "concurrency",
  "filterOrder",
  "geoIP",
  "dynamicModules",
  "logging.level",
  "extraArgs",
  "shutdown.drainTimeout",
  "shutdown.minDrainDuration",
  "shutdown.healthCheckFailureDelay", // the shutdown manager's drain (infra/shutdown/admin-drain.ts)
  "telemetry.accessLog", // what of it egts cannot do is refused by translate/access-log.ts
  "telemetry.metrics.prometheus.disable",
  "telemetry.metrics.prometheus.compression", // the stats listener's compressor (infra/bootstrap.ts)
  "telemetry.metrics.matches",
  "telemetry.metrics.enableVirtualHostStats",
  "telemetry.metrics.enablePerEndpointStats",
  "telemetry.metrics.enableRequestResponseSizesStats",
  "telemetry.metrics.enableGRPCStats", // translate/grpc-stats.ts
  "telemetry.metrics.clusterStatName", // translate/telemetry/cluster-stat-name.ts
  "bootstrap", // checked by translate/proxy-runtime.ts, applied by infra/bootstrap-custom.ts
  "ipFamily", // translate/proxy-listen.ts; the Service's families in constructs/gateway-proxy.ts
  "preserveRouteOrder", // translate/proxy-listen.ts, translate/virtual-hosts.ts
  "backendTLS", // translate/envoy-proxy-backend-tls.ts
  "telemetry.metrics.sinks", // checked by translate/telemetry/metric-sinks.ts
  "telemetry.tracing", // what of it egts cannot do is refused by translate/telemetry/tracing.ts
  "telemetry.requestID", // translate/telemetry/request-id.ts
  "telemetry.healthCheckLog", // translate/telemetry/index.ts, on the active health checks without their own log
];

/** One message per EnvoyProxy field egts does not act on, naming it (empty when it acts on all of them). */
export function envoyProxyUnimplementedProblems(spec: unknown): string[] {
  return unimplementedFields(spec, ENVOY_PROXY_IMPLEMENTED_FIELDS).map((f) => `${f} is not implemented by egts`);
}
