/**
 * The translator: one pure function from a resource snapshot to statuses, xDS IR and infra IR.
 * No client, no clock, no I/O. Every change rebuilds from the whole snapshot (level-based).
 */
import type { AccessLogIr, ClusterIr, GatewayXdsIr, GenericSecretIr, ProxyMetricsIr } from "../ir/xds-ir";
import { accessLogsFor } from "./access-log";
import {
  envoyProxyOwner,
  guardedTelemetry,
  markTelemetryProblems,
  withNodeTelemetry,
  withProxyMetricSinks,
} from "./telemetry";
import { proxyMetricsFor, withProxyRuntime } from "./proxy-runtime";
import { refusedBootstrapMessages, withRefusedBootstraps } from "./bootstrap-refused";
import { filterOrderFor, withFilterOrder } from "./filter-order";
import { geoIpProviderFor, withGeoIp } from "./geoip-provider";
import { grpcStatsFor, withGrpcStats } from "./grpc-stats";
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { GRPCRoute, HTTPRoute } from "../resources/gateway-api";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import { keyOf, namespaceOf } from "../resources/meta";
import { allPolicies as allPolicyObjects, type ResourceSnapshot } from "../resources/snapshot";
import type { BackendSettings } from "./backend-endpoints";
import { BackendIndex } from "./backends";
import { ExtensionRefIndex } from "./filters/extension-refs";
import type { OidcDiscoveryResult } from "./oidc-issuers";
import type { WasmModules } from "./wasm-sources";
import { DEFAULT_EXTENSION_API_GATES, type ExtensionApiGates } from "./extension-gates";
import type { StatusUpdate } from "./conditions";
import { gatewayStatus, listenerSetStatus, processGateway, type GatewayState } from "./gateway";
import { buildGatewayIr, withReusedListeners } from "./gateway-ir";
import { processGatewayClasses } from "./gatewayclass";
import { processGRPCRoutes } from "./grpcroute";
import { processL4Routes } from "./l4-routes";
import { listenerSetParents, listenerSetsByParent } from "./listener-sets";
import { ListenerRefs } from "./listener-tls";
import { envoyProxiesByKey, envoyProxyFor, envoyProxyForNode, withDynamicModuleFiles } from "./envoy-proxy";
import { applyListenSettings } from "./proxy-listen";
import { applyProxyBackendTls } from "./envoy-proxy-backend-tls";
import { checkSnapshot, type RejectedObject } from "./intake";
import { guardInto, isolate, isolateGroup, rejectedStatuses } from "./isolation";
import { markMergedConflicts, mergedClasses, mergeGatewayIrs, type GatewayIr } from "./merge-gateways";
import { markHostPortConflicts } from "./host-ports";
import { markMergeBackendsConflicts } from "./merge-backends";
import { markMergedEnvoyProxyProblems } from "./envoy-proxy-merge-status";
import { PARAMETERS_REF_UNUSED_REASON, unusedGatewayEnvoyProxies } from "./envoy-proxy-unused";
import { withGatewayWarnings } from "./gateway-messages";
import { withRoutingType } from "./routing-type";
import { markReservedPorts } from "./reserved-ports";
import { applyPolicies } from "./policies";
import type { RateLimitServiceSettings } from "./policies/backend-traffic";
import type { OidcInputs } from "./policies/security-context";
import type { GlobalRateLimitIr } from "../ir/ratelimit-ir";
import { rateLimitIrOf } from "../xds/ratelimit/from-routes";
import { ExtensionObjects, type ExtensionKinds } from "./extension-objects";
import { attachExtensionPolicies } from "./extension-policies";
import {
  clusterStatNameOf,
  messagesByGateway,
  ruleNamesIn,
  sharedClustersMessage,
  withClusterStatNames,
  withSharedClusterWarnings,
} from "./telemetry/cluster-stat-name";
import { CompileMemo, type CompileMemoStats } from "./compile-memo";
import { beginReuse } from "./ir-reuse";
import { RouteTable, type RouteTableStats } from "./route-table";
import { sortedClusters } from "./sorted-clusters";

/** HTTPRoute and GRPCRoute compiles reused across translations (ADR 0009, ADR 0013, ADR 0018). */
const compileMemo = new CompileMemo();

/** What each HTTPRoute contributed to the last translation (ADR 0023). */
const routeTable = new RouteTable();

/** What the HTTPRoute stage did in this process's last translation (tests, benches). */
export function lastRouteStats(): Readonly<RouteTableStats> {
  return { ...routeTable.stats };
}

/** What the route compile memo did in this process's last translation (tests, benches). */
export function lastCompileStats(): Readonly<CompileMemoStats> {
  return { ...compileMemo.stats };
}

/** Translator settings (pure values; the config module fills them). */
export interface TranslateOptions {
  /** GatewayClass controller name we own. @default "gateway.envoyproxy.io/gatewayclass-controller" */
  readonly controllerName?: string;
  /** Address the Envoy listeners bind to and the Gateways report. @default "0.0.0.0" */
  readonly listenAddress?: string;
  /** This machine's IP addresses, which a Gateway's spec.addresses may request. @default only listenAddress */
  readonly localAddresses?: readonly string[];
  /** Ports the proxies bind themselves, with what binds them: a listener there is PortUnavailable. @default none */
  readonly reservedPorts?: ReadonlyMap<number, string>;
  /**
   * Every Gateway's proxy runs on this one host (standalone): a port another Gateway's proxy holds on the
   * same address is PortUnavailable for the younger Gateway. @default false (Kubernetes: a pod each)
   */
  readonly sharedHost?: boolean;
  /**
   * Backend (gateway.envoyproxy.io): off unless the EnvoyGateway configuration enables it, and even then
   * endpoints on the proxy's own host are refused unless allowed. @default { enabled: false }
   */
  readonly backends?: BackendSettings;
  /** Envoy Gateway's `extensionApis` switches (other than Backend). @default every gated kind off */
  readonly extensionApis?: ExtensionApiGates;
  /**
   * The global rate limit service (the EnvoyGateway configuration's `rateLimit`, and where the service listens).
   * @default none: BackendTrafficPolicy `rateLimit.global` is refused, as in Envoy Gateway
   */
  readonly rateLimit?: RateLimitServiceSettings;
  /**
   * What OpenID Provider discovery found, by issuer (operator/src/pipeline/oidc-discovery.ts); an OIDC policy
   * that needs an issuer without a result here fails closed (discovery pending). @default none
   */
  readonly oidcDiscovery?: ReadonlyMap<string, OidcDiscoveryResult>;
  /**
   * The Wasm modules fetched so far and where Envoy fetches them from egts (operator/src/pipeline/wasm-cache.ts);
   * an EnvoyExtensionPolicy `wasm` entry without a result here fails (closed unless `failOpen`). @default none
   */
  readonly wasmModules?: WasmModules;
  /**
   * The HMAC secret signing SecurityPolicy OIDC cookies (Envoy Gateway's Secret `envoy-oidc-hmac`, key
   * `hmac-secret`, in the controller namespace; standalone: a file in its state folder).
   * @default none: every OIDC policy fails closed
   */
  readonly oidcHmacSecret?: Buffer;
  /** The controller's namespace (where the OIDC HMAC Secret lives; status messages name it). @default "envoy-gateway-system" */
  readonly controllerNamespace?: string;
  /**
   * The kinds the extension server owns (the EnvoyGateway configuration's `extensionManager`): their objects may
   * be named by ExtensionRef filters and backendRefs. @default none
   */
  readonly extensionKinds?: ExtensionKinds;
}

/** The controller namespace when none is given (Envoy Gateway's). */
export const DEFAULT_CONTROLLER_NAMESPACE = "envoy-gateway-system";

/** What one translation produces. */
export interface TranslateResult {
  /** Status of every object we own, in a stable order. */
  readonly statuses: readonly StatusUpdate[];
  /** One xDS IR per accepted Gateway (per GatewayClass with `mergeGateways`), sorted by name. */
  readonly xdsIr: readonly GatewayXdsIr[];
  /** One proxy per accepted Gateway (per GatewayClass with `mergeGateways`), sorted by name. */
  readonly infraIr: readonly ProxyInfraIr[];
  /** Objects left out: a wrong type or out-of-range value in a field (intake), or their translation threw. */
  readonly rejected: readonly RejectedObject[];
  /**
   * What the global rate limit service must enforce (BackendTrafficPolicy `rateLimit.global`); no domains: none
   * (always none without {@link TranslateOptions.rateLimit}).
   */
  readonly rateLimitIr: GlobalRateLimitIr;
}

/** The Gateway's state with its EnvoyProxy's listen and backend TLS settings applied. */
function withProxySettings(state: GatewayState, snapshot: ResourceSnapshot, refs: ListenerRefs): GatewayState {
  const gw = state.gateway;
  applyListenSettings(state, envoyProxyFor(snapshot, namespaceOf(gw.metadata), gw.metadata.name));
  applyProxyBackendTls(state, snapshot, refs);
  return state;
}

/**
 * The Gateways of the accepted classes, each with the listeners of the ListenerSets it allows, keyed by
 * `namespace/name`; a Gateway whose processing throws is rejected alone.
 */
function processGateways(
  snapshot: ResourceSnapshot,
  accepted: ReadonlySet<string>,
  rejected: RejectedObject[],
  shared: Omit<Parameters<typeof processGateway>[1], "listenerSets">,
): Map<string, GatewayState> {
  const setsByParent = listenerSetsByParent(snapshot.listenerSets ?? []);
  const gateways = new Map<string, GatewayState>();
  for (const gw of [...snapshot.gateways].sort(byKey)) {
    if (!accepted.has(gw.spec.gatewayClassName)) continue;
    const listenerSets = setsByParent.get(keyOf(gw.metadata)) ?? [];
    const state = isolate(
      gw,
      rejected,
      () => processGateway(gw, { ...shared, listenerSets }),
      () => undefined,
    );
    //  Its EnvoyProxy's ipFamily moves its default address before the conflict checks compare them, and its
    //  backendTLS client certificate must resolve, or the Gateway is not accepted.
    if (state) gateways.set(keyOf(gw.metadata), withProxySettings(state, snapshot, shared.refs));
  }
  return gateways;
}

/** Translates a snapshot. */
export function translate(input: ResourceSnapshot, opts: TranslateOptions = {}): TranslateResult {
  // 0. Intake: an object with a wrong type or an out-of-range value in a field we read is left out (and
  //    reported below); so is one whose translation throws (each step of one object is isolated).
  const { snapshot, rejected: malformed } = checkSnapshot(input);
  //    Virtual hosts and listeners equal to the last translation's are that translation's objects (ir-reuse.ts).
  beginReuse();
  const rejected: RejectedObject[] = [...malformed];
  const controllerName = opts.controllerName ?? DEFAULT_CONTROLLER_NAME;
  const address = opts.listenAddress ?? "0.0.0.0";
  //    The objects of the kinds an extension server owns, for ExtensionRef filters and backendRefs.
  const extensions = new ExtensionObjects(snapshot, opts.extensionKinds);

  // 1. GatewayClasses first: they decide which Gateways are ours.
  const envoyProxies = envoyProxiesByKey(snapshot);
  const classes = processGatewayClasses(snapshot.gatewayClasses, controllerName, envoyProxies, snapshot.unservedKinds);

  // 2. Gateways of our classes: validate listeners (protocols, kinds, certificates) and detect conflicts
  //    before any route attaches, because a conflicted listener must not accept routes.
  //    The backend index checks every BackendTLSPolicy up front: if that throws, they are rejected (each with
  //    the error) and the index is built without them.
  const backends =
    isolateGroup(
      snapshot.backendTLSPolicies,
      rejected,
      () => new BackendIndex(snapshot, opts.backends, extensions),
      undefined,
    ) ?? new BackendIndex({ ...snapshot, backendTLSPolicies: [] }, opts.backends, extensions);
  //    A Gateway's merged listener list includes those of the ListenerSets it allows, so they are
  //    checked here too, against the Gateway's listeners first (precedence).
  const listenerRefs = new ListenerRefs(snapshot, backends.grants);
  const namespaces = new Map(snapshot.namespaces.map((n) => [n.metadata.name, n]));
  const addresses = { listenAddress: address, localAddresses: opts.localAddresses };
  const gateways = processGateways(snapshot, classes.accepted, rejected, {
    refs: listenerRefs,
    namespaces,
    addresses,
    envoyProxies,
  });
  //    A Gateway's own EnvoyProxy merged onto its class's (mergeType) must be valid as merged too.
  markMergedEnvoyProxyProblems(gateways.values(), snapshot);
  //    Gateways of a class with mergeGateways share one proxy: a younger Gateway cannot take a port an older
  //    one uses unless Envoy can serve both there.
  const merged = mergedClasses(snapshot, classes.accepted);
  markMergedConflicts(gateways.values(), merged);
  //    A Gateway's own EnvoyProxy may not merge backends under a class that merges Gateways (Envoy Gateway).
  markMergeBackendsConflicts(gateways.values(), snapshot, merged);
  //    Standalone: the proxies of all Gateways share this host's ports (after the merged conflicts, so a
  //    listener refused there holds nothing here).
  markHostPortConflicts(gateways.values(), merged, opts.sharedHost === true);
  //    Ports the proxy binds itself (Kubernetes: admin, stats, readiness) cannot be listener ports.
  markReservedPorts(gateways.values(), opts.reservedPorts ?? new Map());
  //    An EnvoyProxy whose telemetry names backends that do not resolve makes its Gateways not accepted.
  markTelemetryProblems(gateways.values(), snapshot, backends);

  // 3. Routes attach to listeners (counting attachedRoutes) and resolve their backends. A route's rules compile
  //    once per content of the route and of the objects it read (compile-memo.ts).
  compileMemo.begin(snapshot, [opts.backends, opts.extensionKinds]);
  const extensionRefs = new ExtensionRefIndex(snapshot);
  const ctx = {
    gateways,
    listenerSets: listenerSetParents(gateways),
    backends,
    namespaces,
    clustersByGateway: new Map<string, Map<string, ClusterIr>>(),
    extensions: extensionRefs,
    secretsByGateway: new Map<string, Map<string, GenericSecretIr>>(),
    compile: (route: HTTPRoute) => compileMemo.compile(route, backends, extensionRefs),
    reuseCompile: <C>(route: GRPCRoute, compile: () => C) => compileMemo.reuse(route, backends, compile),
    controllerName,
    guard: guardInto(rejected),
  };
  //    Only the routes that changed are processed again while the listeners they attach to are the same
  //    (route-table.ts).
  //    (The table's own list of statuses: never changed here.)
  const tableStatuses = routeTable.run(
    snapshot.httpRoutes,
    { ctx, compileVersion: compileMemo.version, holds: (route, compiled) => compileMemo.holds(route, compiled) },
    rejected,
  );
  // GRPCRoutes after HTTPRoutes: a GRPCRoute and an HTTPRoute sharing a hostname on a listener are settled
  // there (the older keeps it), which may reject an HTTPRoute already attached (its status is replaced).
  const grpc = processGRPCRoutes(snapshot.grpcRoutes ?? [], ctx, tableStatuses);
  const l4Statuses = processL4Routes(snapshot, ctx);

  // 4. Policies that attach to backends: their ancestors (Gateways using the backend) are known only
  //    once every route has attached.
  const policyStatuses = isolateGroup(
    snapshot.backendTLSPolicies,
    rejected,
    () => ctx.backends.policyStatuses(ctx.clustersByGateway, controllerName),
    [],
  );

  // 5. Only now are listener statuses (attachedRoutes) and the IR complete.
  const built: GatewayIr[] = [];
  const gatewayStatuses: StatusUpdate[] = [];
  for (const gw of gateways.values()) {
    ctx.guard(gw.gateway, () => {
      const statuses = [gatewayStatus(gw), ...gw.listenerSets.map(listenerSetStatus)];
      const clusters = sortedClusters(gw.key, ctx.clustersByGateway.get(gw.key));
      const ir = buildGatewayIr(gw, clusters, valuesOf(ctx.secretsByGateway.get(gw.key)));
      gatewayStatuses.push(...statuses);
      if (ir) built.push({ gw, ...ir }); // else not accepted, or no usable address: nothing to run or serve
    });
  }
  // 6. Envoy Gateway's policies: their targets' listeners and routes exist only now; they change the built
  //    IR (before Gateways of merged classes are combined, as a policy names one Gateway).
  const policies = isolateGroup(
    allPolicyObjects(snapshot),
    rejected,
    () =>
      applyPolicies({
        snapshot,
        gateways,
        built,
        controllerName,
        gates: opts.extensionApis ?? DEFAULT_EXTENSION_API_GATES,
        merged,
        ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
        backends: ctx.backends,
        oidc: oidcInputs(opts),
        wasm: opts.wasmModules,
      }),
    { built, statuses: [], finalize: (xds) => [...xds] },
  );
  //    Backends get their status once every route and policy (a SecurityPolicy's services) has referenced them.
  //    (A list of their own, not pushed onto the one above: that one is sometimes the fallback literal, sometimes the
  //    index's, and a push inlined for one's shape deoptimised `translate` on the other: "wrong map".)
  const backendStatuses = ctx.backends.backendStatuses();
  //    Rejected objects we own get their status (a Gateway Accepted=False, a route on each of its parents).
  const rejectedStatus = rejectedStatuses(rejected, { ...ctx, classes: classes.accepted });
  // 7. Gateways of a merged class become one node and one proxy.
  const { xds: mergedXds, infra: infraIr } = mergeGatewayIrs(policies.built, merged);
  //    Policies whose effect must survive the merge (SecurityPolicy fail-closed) apply to the final nodes.
  // 8. Each node's access logs, HTTP filter order, GeoIP databases and routing type come from the EnvoyProxy of
  //    its proxies (Envoy Gateway's defaults: JSON on stdout, its own filter order, no GeoIP, endpoints), and so
  //    does grpc_stats on its HTTP listeners (`enableGRPCStats`; default: where a GRPCRoute is).
  //    Its tracing and gRPC access log sinks come from there too, with their clusters (after the file logs).
  //    So do its route clusters' stat names (`clusterStatName`), once every route and policy variant is known.
  const ruleNames = ruleNamesIn(snapshot);
  const sharedStatNames = new Map<string, string>();
  const finalized = policies.finalize(mergedXds).map((ir) => {
    const proxy = envoyProxyForNode(snapshot, ir.name);
    const statNamed = withClusterStatNames(ir, clusterStatNameOf(proxy), ruleNames);
    if (statNamed.shared.length > 0) sharedStatNames.set(ir.name, sharedClustersMessage(statNamed.shared));
    const node = withRoutingType(
      withGrpcStats(
        withProxyMetrics(
          withGeoIp(
            withFilterOrder(withAccessLogs(statNamed.ir, accessLogsFor(proxy)), filterOrderFor(proxy)),
            geoIpProviderFor(proxy),
          ),
          proxyMetricsFor(proxy),
        ),
        grpcStatsFor(proxy),
      ),
      proxy,
    );
    const owner = envoyProxyOwner(snapshot, proxy);
    return guardedTelemetry(node, owner, ctx.guard, (p) => withNodeTelemetry(node, p, ctx.backends));
  });
  // 9. Extension-owned policies (`policyResources`) attach to the final routes, listeners and nodes they target,
  //    for the extension server's hooks.
  //    Envoy Gateway writes their status too (Accepted per Gateway reached).
  const extensionPolicies = attachExtensionPolicies(finalized, snapshot, opts.extensionKinds, controllerName);
  //    A listener equal to the last translation's final one is that one (ADR 0013: copy-on-change).
  const xdsIr = extensionPolicies.xdsIr.map(withReusedListeners);
  //    Their dynamic modules' files and how Envoy runs (log levels, drain, extra arguments, stats) come from the
  //    same EnvoyProxy (the host runner links the files and starts Envoy with them).
  //    The OpenTelemetry stat sinks are part of the bootstrap.
  const proxies = infraIr.map((p) => {
    const proxy = envoyProxyForNode(snapshot, p.name);
    const run = withProxyRuntime(withDynamicModuleFiles(p, proxy), proxy);
    const owner = envoyProxyOwner(snapshot, proxy);
    return guardedTelemetry(run, owner, ctx.guard, (o) => withProxyMetricSinks(run, o, ctx.backends));
  });
  //    A refused bootstrap leaves the proxies on their last good one (the edges keep it); their Gateways say why.
  const refusedBootstraps = refusedBootstrapMessages(proxies, (p) => {
    const owner = envoyProxyOwner(snapshot, envoyProxyForNode(snapshot, p.name));
    return owner && keyOf(owner.metadata);
  });
  return {
    statuses: [
      ...classes.statuses,
      ...withSharedClusterWarnings(
        withGatewayWarnings(
          withRefusedBootstraps(gatewayStatuses, refusedBootstraps),
          unusedGatewayEnvoyProxies(snapshot),
          PARAMETERS_REF_UNUSED_REASON,
        ),
        messagesByGateway(sharedStatNames, proxies),
      ),
      ...grpc.http,
      ...grpc.grpc,
      ...l4Statuses,
      ...policyStatuses,
      ...backendStatuses,
      ...policies.statuses,
      ...extensionPolicies.statuses,
      ...rejectedStatus,
    ],
    xdsIr,
    infraIr: proxies,
    rejected,
    // Without a rate limit service no route uses one (global limits are refused): nothing to walk.
    rateLimitIr: opts.rateLimit ? rateLimitIrOf(xdsIr) : { domains: [] },
  };
}

/** What SecurityPolicy OIDC reads from the options. */
function oidcInputs(opts: TranslateOptions): OidcInputs {
  return {
    controllerNamespace: opts.controllerNamespace ?? DEFAULT_CONTROLLER_NAMESPACE,
    ...(opts.oidcHmacSecret ? { hmacSecret: opts.oidcHmacSecret } : {}),
    ...(opts.oidcDiscovery ? { discovery: opts.oidcDiscovery } : {}),
  };
}

function byKey(
  a: { metadata: { name: string; namespace?: string } },
  b: { metadata: { name: string; namespace?: string } },
): number {
  return cmp(keyOf(a.metadata), keyOf(b.metadata));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The node's IR with its access logs (none: the field is left out). */
function withAccessLogs(ir: GatewayXdsIr, accessLogs: readonly AccessLogIr[]): GatewayXdsIr {
  return accessLogs.length > 0 ? { ...ir, accessLogs } : ir;
}

/** The node's IR with its extra stats (none: the field is left out). */
function withProxyMetrics(ir: GatewayXdsIr, metrics: ProxyMetricsIr | undefined): GatewayXdsIr {
  return metrics ? { ...ir, metrics } : ir;
}

/** The values of a map that may be absent. */
function valuesOf<T>(m: ReadonlyMap<string, T> | undefined): T[] {
  return m ? [...m.values()] : [];
}
