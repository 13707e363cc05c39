/**
 * Extension-owned policies (the EnvoyGateway configuration's `extensionManager.policyResources`): objects of those
 * kinds with `targetRef` / `targetRefs` are attached, as their JSON text, where Envoy Gateway v1.9 attaches them:
 * - a target HTTPRoute / GRPCRoute (or one of its rules by `sectionName`, the rule's name): on each IR route of it
 *   (the Route hook's `extensionPolicies`);
 * - a target Gateway (or one of its listeners by `sectionName`): on its HTTP listeners whose name ends with that
 *   listener's (the HTTPListener hook's `extensionResources`), and on the node (the Translation hook's).
 * `targetSelectors` select Gateways and routes by label, in the policy's namespace. Only targets in the policy's own
 * namespace (as in Envoy Gateway for references). Their statuses: extension-policy-status.ts.
 * Pure: a function of the IR and the snapshot.
 */
import { mapChanged } from "./policies/decisions";
import type { GatewayXdsIr, HttpListenerIr, RouteIr } from "../ir/xds-ir";
import type { TargetSelector } from "../resources/envoy-gateway-policies";
import { selectorMatches } from "../resources/labels";
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { StatusUpdate } from "./conditions";
import { groupOf, type ExtensionKinds, type GroupKind } from "./extension-objects";
import {
  extensionPolicyStatuses,
  type ExtensionPolicyTargets,
  type ExtensionTargetRef,
} from "./extension-policy-status";

const GATEWAY_API = "gateway.networking.k8s.io";

type TargetRef = ExtensionTargetRef;

/** A policy and the JSON its hooks get. */
interface Policy extends ExtensionPolicyTargets {
  readonly json: string;
}

/** The IR with the extension policies attached, and the policies' statuses. */
export interface ExtensionPoliciesResult {
  /** The IR with the policies on their routes, listeners and nodes (as it was without policies). */
  readonly xdsIr: GatewayXdsIr[];
  /** One status per policy with targets. */
  readonly statuses: StatusUpdate[];
}

/** The IR with the snapshot's extension policies (of `kinds.policies`) attached, and their statuses. */
export function attachExtensionPolicies(
  xdsIr: readonly GatewayXdsIr[],
  snapshot: ResourceSnapshot,
  kinds: ExtensionKinds | undefined,
  controllerName: string,
): ExtensionPoliciesResult {
  const policies = policiesOf(snapshot, kinds?.policies ?? []);
  if (policies.length === 0) return { xdsIr: [...xdsIr], statuses: [] };
  return {
    xdsIr: withPolicies(xdsIr, snapshot, policies),
    statuses: extensionPolicyStatuses(policies, snapshot, xdsIr, controllerName),
  };
}

function withPolicies(xdsIr: readonly GatewayXdsIr[], snapshot: ResourceSnapshot, policies: Policy[]): GatewayXdsIr[] {
  const routePrefixes = policies.map((p) => ({ p, prefixes: routePrefixesOf(p, snapshot) }));
  const byRoute = (r: RouteIr): string[] =>
    routePrefixes.filter(({ prefixes }) => prefixes.some((x) => r.name.startsWith(x))).map(({ p }) => p.json);
  return xdsIr.map((node) => {
    const nodePolicies = policies.filter((p) => gatewayTargets(p).some((t) => targetsNode(node, t)));
    const http = mapChanged(node.http, (l) => {
      const onListener = policies.filter((p) => gatewayTargets(p).some((t) => targetsListener(l, t)));
      const virtualHosts = mapChanged(l.virtualHosts, (vh) => {
        const routes = mapChanged(vh.routes, (r) => withRoutePolicies(r, byRoute(r)));
        return routes === vh.routes ? vh : { ...vh, routes };
      });
      if (virtualHosts === l.virtualHosts && onListener.length === 0) return l;
      return {
        ...l,
        virtualHosts,
        ...(onListener.length > 0 ? { extensionPolicies: onListener.map((p) => p.json) } : {}),
      };
    });
    return {
      ...node,
      http,
      ...(nodePolicies.length > 0 ? { extensionPolicies: nodePolicies.map((p) => p.json) } : {}),
    };
  });
}

/** The route with its attached policies, the same object as last time for the same route and policies (ADR 0013). */
const routesWithPolicies = new WeakMap<RouteIr, { readonly key: string; readonly route: RouteIr }>();

function withRoutePolicies(r: RouteIr, attached: readonly string[]): RouteIr {
  if (attached.length === 0) return r;
  const key = attached.join("\n");
  const known = routesWithPolicies.get(r);
  if (known?.key === key) return known.route;
  const route = { ...r, extensionPolicies: [...attached] };
  routesWithPolicies.set(r, { key, route });
  return route;
}

/** The policies of `kinds` that have targets, oldest first (then by namespace/name), as Envoy Gateway sorts. */
function policiesOf(snapshot: ResourceSnapshot, kinds: readonly GroupKind[]): Policy[] {
  if (kinds.length === 0) return [];
  const owned = snapshot.unknown.filter((o) =>
    kinds.some((k) => k.group === groupOf(o.apiVersion) && k.kind === o.kind),
  );
  const sortKey = (o: KubeObject): string =>
    `${o.metadata.creationTimestamp ?? ""}\0${o.metadata.namespace ?? ""}\0${o.metadata.name}`;
  return owned
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .flatMap((object) => {
      const targets = targetsOf(object, snapshot);
      if (targets.length === 0) return [];
      const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
      return [{ object, json: JSON.stringify(rest), targets }];
    });
}

/** `targetRef`, `targetRefs`, then one reference per object `targetSelectors` select (in the policy's namespace). */
function targetsOf(o: KubeObject, snapshot: ResourceSnapshot): TargetRef[] {
  const spec = (o as KubeObject & { spec?: { targetRef?: TargetRef; targetRefs?: TargetRef[] } & Selecting }).spec;
  const refs = [
    ...(spec?.targetRef ? [spec.targetRef] : []),
    ...(Array.isArray(spec?.targetRefs) ? spec.targetRefs : []),
    ...(Array.isArray(spec?.targetSelectors) ? selectedTargets(spec.targetSelectors, o, snapshot) : []),
  ];
  return refs.filter((r) => typeof r === "object" && r !== null && typeof r.name === "string");
}

interface Selecting {
  readonly targetSelectors?: readonly TargetSelector[];
}

/** The Gateways and routes of the policy's namespace whose labels a selector matches, as target references. */
function selectedTargets(selectors: readonly TargetSelector[], o: KubeObject, snapshot: ResourceSnapshot): TargetRef[] {
  const ns = o.metadata.namespace ?? "default";
  const byKind: Record<string, readonly KubeObject[]> = {
    Gateway: snapshot.gateways,
    HTTPRoute: snapshot.httpRoutes,
    GRPCRoute: snapshot.grpcRoutes ?? [],
    TLSRoute: snapshot.tlsRoutes,
    TCPRoute: snapshot.tcpRoutes,
    UDPRoute: snapshot.udpRoutes,
  };
  return selectors.flatMap((sel) => {
    if (typeof sel !== "object" || sel === null || (sel.group ?? GATEWAY_API) !== GATEWAY_API) return [];
    return (byKind[sel.kind] ?? [])
      .filter((t) => (t.metadata.namespace ?? "default") === ns && selectorMatches(sel, t.metadata.labels ?? {}))
      .map((t) => ({ group: GATEWAY_API, kind: sel.kind, name: t.metadata.name }));
  });
}

const namespaceOf = (p: Policy): string => p.object.metadata.namespace ?? "default";

/** The Gateway targets of a policy, as `namespace/name` and the optional listener name. */
function gatewayTargets(p: Policy): { gateway: string; sectionName?: string }[] {
  return p.targets
    .filter((t) => (t.group ?? GATEWAY_API) === GATEWAY_API && t.kind === "Gateway")
    .map((t) => ({ gateway: `${namespaceOf(p)}/${t.name}`, ...(t.sectionName ? { sectionName: t.sectionName } : {}) }));
}

/** Whether a Gateway target is served by `node` (its own node, or a merged one with its listeners). */
function targetsNode(node: GatewayXdsIr, t: { gateway: string }): boolean {
  const listeners = [...node.http, ...(node.tcp ?? []), ...(node.udp ?? [])];
  return node.name === t.gateway || listeners.some((l) => l.name.startsWith(`${t.gateway}/`));
}

/** Whether a Gateway target names this HTTP listener (by its Gateway, and its last name segment for `sectionName`). */
function targetsListener(l: HttpListenerIr, t: { gateway: string; sectionName?: string }): boolean {
  if (!l.name.startsWith(`${t.gateway}/`)) return false;
  return t.sectionName === undefined || l.name.slice(l.name.lastIndexOf("/") + 1) === t.sectionName;
}

/** The IR route name prefixes of a policy's route targets (`httproute/ns/name/`, plus `rule/i/` for a rule). */
function routePrefixesOf(p: Policy, snapshot: ResourceSnapshot): string[] {
  const ns = namespaceOf(p);
  return p.targets.flatMap((t) => {
    if ((t.group ?? GATEWAY_API) !== GATEWAY_API || (t.kind !== "HTTPRoute" && t.kind !== "GRPCRoute")) return [];
    const prefix = `${t.kind.toLowerCase()}/${ns}/${t.name}/`;
    if (t.sectionName === undefined) return [prefix];
    const routes = t.kind === "HTTPRoute" ? snapshot.httpRoutes : (snapshot.grpcRoutes ?? []);
    const route = routes.find((r) => r.metadata.name === t.name && (r.metadata.namespace ?? "default") === ns);
    const rules = (route?.spec.rules ?? []) as readonly { name?: string }[];
    const i = rules.findIndex((r) => r.name === t.sectionName);
    return i === -1 ? [] : [`${prefix}rule/${i}/`];
  });
}
