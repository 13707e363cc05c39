/**
 * EnvoyProxy `telemetry.metrics.clusterStatName`: the stat name of the clusters routes forward to (Envoy's
 * `alt_stat_name`, so `cluster.<name>.upstream_rq_total` and the other cluster stats), from a pattern of
 * `%ROUTE_KIND%` (lowercase), `%ROUTE_NAMESPACE%`, `%ROUTE_NAME%`, `%ROUTE_RULE_NAME%` (`-` for a rule without a
 * name), `%ROUTE_RULE_NUMBER%` and `%BACKEND_REFS%` (`<namespace>/<name>`, joined by `|`). As in Envoy Gateway only
 * HTTPRoute and GRPCRoute clusters get one, and other `%…%` operators make the EnvoyProxy invalid.
 *
 * Envoy Gateway has a cluster per route rule, so every cluster has exactly one rule to fill the pattern from.
 * egts shares one cluster per backend (and per BackendTrafficPolicy variant) across the rules that use it (ADR
 * 0005, 0006), so each node maps its clusters to the rules forwarding to them:
 * - a cluster that one rule forwards to gets the pattern filled from that rule, as Envoy Gateway's would;
 * - a cluster several rules forward to gets the pattern too when it names no route operator (only
 *   `%BACKEND_REFS%` and text); when it does name one, no single rule's values are true for the cluster, so it
 *   keeps Envoy's default stat name (the cluster name), and the Gateways of the node say so in a Warning condition
 *   naming the field, the cluster and its rules.
 * `%BACKEND_REFS%` is the cluster's backends: one backend, or the members of a fallback cluster (in Envoy Gateway,
 * every backendRef of the rule, since all of them share its cluster).
 */
import type { EnvoyProxy } from "../../resources/envoy-proxy";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { ClusterIr, GatewayXdsIr } from "../../ir/xds-ir";
import type { ProxyInfraIr } from "../../ir/infra-ir";
import { FAILOVER_PREFIX } from "../backend-fallback";
import type { StatusUpdate } from "../conditions";
import { proxyGatewayMessages, withGatewayWarnings } from "../gateway-messages";

const FIELD = "spec.telemetry.metrics.clusterStatName";

/** The operators that name the route rule, and %BACKEND_REFS%: Envoy Gateway's list. */
const ROUTE_OPERATORS = [
  "%ROUTE_NAME%",
  "%ROUTE_NAMESPACE%",
  "%ROUTE_KIND%",
  "%ROUTE_RULE_NAME%",
  "%ROUTE_RULE_NUMBER%",
] as const;
const BACKEND_REFS = "%BACKEND_REFS%";
const OPERATORS: readonly string[] = [...ROUTE_OPERATORS, BACKEND_REFS];

/** What Envoy Gateway reads as an operator: text between two `%`. */
const OPERATOR = /%[^%]*%/g;

/** The Condition reason of the Warning a Gateway gets when a shared cluster keeps its default stat name. */
export const SHARED_CLUSTER_REASON = "ClusterStatNameShared";

/** The pattern an EnvoyProxy sets; absent or empty: none (Envoy's default stat names). */
export function clusterStatNameOf(spec: EnvoyProxy["spec"] | undefined): string | undefined {
  const p = spec?.telemetry?.metrics?.clusterStatName;
  return typeof p === "string" && p !== "" ? p : undefined;
}

/** Why the pattern is invalid, as Envoy Gateway checks it: operators it does not know, or a `%` without one. */
export function clusterStatNameProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const p: unknown = spec?.telemetry?.metrics?.clusterStatName;
  if (p === undefined) return [];
  if (typeof p !== "string") return [`${FIELD}: must be a string`];
  const found = p.match(OPERATOR) ?? [];
  if (found.length === 0 && p.includes("%")) return [`${FIELD} (${JSON.stringify(p)}): a "%" without an operator`];
  const unknown = found.filter((o) => !OPERATORS.includes(o));
  if (unknown.length === 0) return [];
  return [`${FIELD}: unsupported operators ${unknown.join(", ")} (supported: ${OPERATORS.join(", ")})`];
}

/** One HTTPRoute or GRPCRoute rule. */
export interface RouteRule {
  /** `httproute` or `grpcroute` (the route name's first part, Envoy Gateway's %ROUTE_KIND%). */
  readonly kind: string;
  /** The route's namespace. */
  readonly namespace: string;
  /** The route's name. */
  readonly name: string;
  /** The rule's index in `spec.rules`. */
  readonly index: number;
}

/** The `name` of a route rule, if it has one. */
export type RuleNameOf = (rule: RouteRule) => string | undefined;

/** Rule names from the snapshot's HTTPRoutes and GRPCRoutes (indexed on the first lookup: none, no cost). */
export function ruleNamesIn(s: ResourceSnapshot): RuleNameOf {
  let routes: Map<string, readonly { readonly name?: string }[] | undefined> | undefined;
  const index = (): Map<string, readonly { readonly name?: string }[] | undefined> => {
    const out = new Map<string, readonly { readonly name?: string }[] | undefined>();
    for (const r of s.httpRoutes) out.set(`httproute/${r.metadata.namespace ?? ""}/${r.metadata.name}`, r.spec.rules);
    for (const r of s.grpcRoutes ?? [])
      out.set(`grpcroute/${r.metadata.namespace ?? ""}/${r.metadata.name}`, r.spec.rules);
    return out;
  };
  return (rule) => {
    routes ??= index();
    const name = routes.get(`${rule.kind}/${rule.namespace}/${rule.name}`)?.[rule.index]?.name;
    return name === "" ? undefined : name;
  };
}

/** The rule an Envoy route comes from: its name is `<kind>/<namespace>/<name>/rule/<index>/…` (ADR 0006). */
export function ruleOfRoute(routeName: string): RouteRule | undefined {
  const [kind, namespace, name, rule, index] = routeName.split("/");
  if ((kind !== "httproute" && kind !== "grpcroute") || rule !== "rule" || !/^\d+$/.test(index ?? "")) return undefined;
  return { kind, namespace: namespace ?? "", name: name ?? "", index: Number(index) };
}

function ruleKey(r: RouteRule): string {
  return `${r.kind}/${r.namespace}/${r.name}/rule/${r.index}`;
}

/** The route rules that forward to each cluster of the node (mirrors are not counted), each once, sorted. */
export function rulesByCluster(ir: GatewayXdsIr): Map<string, RouteRule[]> {
  const seen = new Map<string, Map<string, RouteRule>>();
  for (const route of ir.http.flatMap((l) => l.virtualHosts).flatMap((v) => v.routes)) {
    if (route.action.kind !== "forward") continue;
    const rule = ruleOfRoute(route.name);
    if (!rule) continue;
    for (const d of route.action.destinations) {
      if (d.cluster === undefined) continue;
      const rules = seen.get(d.cluster) ?? new Map<string, RouteRule>();
      rules.set(ruleKey(rule), rule);
      seen.set(d.cluster, rules);
    }
  }
  const out = new Map<string, RouteRule[]>();
  for (const [cluster, rules] of seen) {
    out.set(
      cluster,
      [...rules.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r),
    );
  }
  return out;
}

/**
 * A cluster's backends as `<namespace>/<name>`, from its name (ADR 0006): `service|backend/<ns>/<name>/…`,
 * `extension/<ns>/<kind>/<name>`, a policy variant's base cluster, and each member of a fallback cluster.
 */
export function clusterBackendRefs(cluster: string): string[] {
  if (cluster.startsWith(FAILOVER_PREFIX))
    return cluster.slice(FAILOVER_PREFIX.length).split("|").flatMap(clusterBackendRefs);
  const parts = cluster.split("/");
  if (parts[0] === "extension") return [`${parts[1]}/${parts[3]}`];
  return parts.length >= 3 ? [`${parts[1]}/${parts[2]}`] : [];
}

/** The pattern filled in for a cluster: from `rule` when given (the route operators stay as written otherwise). */
export function renderClusterStatName(
  pattern: string,
  cluster: string,
  rule: RouteRule | undefined,
  ruleNameOf: RuleNameOf,
): string {
  const values = new Map<string, string>([[BACKEND_REFS, clusterBackendRefs(cluster).join("|")]]);
  if (rule) {
    values.set("%ROUTE_NAME%", rule.name);
    values.set("%ROUTE_NAMESPACE%", rule.namespace);
    values.set("%ROUTE_KIND%", rule.kind);
    values.set("%ROUTE_RULE_NAME%", ruleNameOf(rule) ?? "-");
    values.set("%ROUTE_RULE_NUMBER%", String(rule.index));
  }
  return pattern.replace(OPERATOR, (op) => values.get(op) ?? op);
}

/** What applying the pattern to a node did. */
export interface ClusterStatNames {
  /** The node with `altStatName` on the clusters that get one. */
  readonly ir: GatewayXdsIr;
  /** The clusters several rules share that keep their default stat name, each with its rules, sorted. */
  readonly shared: readonly { readonly cluster: string; readonly rules: readonly RouteRule[] }[];
}

/** The node's route clusters named after `pattern` (see the module comment); `pattern` absent: the node as is. */
export function withClusterStatNames(
  ir: GatewayXdsIr,
  pattern: string | undefined,
  ruleNameOf: RuleNameOf,
): ClusterStatNames {
  if (pattern === undefined) return { ir, shared: [] };
  const routeDependent = ROUTE_OPERATORS.some((o) => pattern.includes(o));
  const rules = rulesByCluster(ir);
  const shared: { cluster: string; rules: RouteRule[] }[] = [];
  const named = (c: ClusterIr): ClusterIr => {
    const served = rules.get(c.name);
    if (!served) return c;
    if (served.length > 1 && routeDependent) {
      shared.push({ cluster: c.name, rules: served });
      return c;
    }
    const rule = served.length === 1 ? served[0] : undefined;
    return { ...c, altStatName: renderClusterStatName(pattern, c.name, rule, ruleNameOf) };
  };
  return { ir: { ...ir, clusters: ir.clusters.map(named) }, shared };
}

/** The Warning message of a node whose shared clusters keep their default stat name. */
export function sharedClustersMessage(shared: ClusterStatNames["shared"]): string {
  const each = shared.map((s) => `${s.cluster} (${s.rules.map(ruleKey).join(", ")})`);
  return (
    `${FIELD} names the route, and egts shares one cluster per backend across route rules: ` +
    `${shared.length === 1 ? "cluster" : "clusters"} ${each.join("; ")} ${shared.length === 1 ? "keeps its" : "keep their"} ` +
    "default stat name (the cluster name)"
  );
}

/** Messages by node name, as messages by Gateway (`namespace/name`), through the proxies serving each node. */
export function messagesByGateway(
  byNode: ReadonlyMap<string, string>,
  proxies: readonly ProxyInfraIr[],
): Map<string, string> {
  return proxyGatewayMessages(proxies, (p) => byNode.get(p.name));
}

/** `statuses` with a Warning=True condition (reason {@link SHARED_CLUSTER_REASON}) on each Gateway in `messages`. */
export function withSharedClusterWarnings(
  statuses: readonly StatusUpdate[],
  messages: ReadonlyMap<string, string>,
): StatusUpdate[] {
  return withGatewayWarnings(statuses, messages, SHARED_CLUSTER_REASON);
}
