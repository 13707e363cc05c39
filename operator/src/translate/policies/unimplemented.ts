/**
 * The Envoy Gateway policy kinds egts reads but does not translate yet: each gets its status per ancestor
 * (Accepted=False, saying so) instead of silence. EnvoyExtensionPolicy is not applied. SecurityPolicy fails closed: the routes it targets answer 403, since serving them without the
 * authentication or authorization asked for would open them. EnvoyPatchPolicy is Disabled unless the
 * EnvoyGateway configuration enables it (extensionApis.enableEnvoyPatchPolicy), as in Envoy Gateway.
 */
import type { GatewayXdsIr, HttpListenerIr, RouteIr, TcpListenerIr } from "../../ir/xds-ir";
import type { EnvoyGatewayPolicies } from "../../resources/snapshot";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ExtensionApiGates } from "../extension-gates";
import type { GatewayState } from "../gateway";
import type { PolicyStatusBook } from "./ancestors";
import { attachPolicies, effectiveSpec, type AttachmentSet } from "./engine";
import { ROUTE_KINDS, type TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { AncestorRef, Attachment, PolicyKindRules, ResolvedTarget } from "./types";

const ALL_TARGETS = ["Gateway", "ListenerSet", ...ROUTE_KINDS];

/** SecurityPolicy's attachment rules. */
export const SECURITY_RULES: PolicyKindRules = {
  kind: "SecurityPolicy",
  plural: "securityPolicies",
  targetKinds: ["Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TCPRoute"],
  mergeable: true,
};

/** EnvoyExtensionPolicy's attachment rules. */
export const ENVOY_EXTENSION_RULES: PolicyKindRules = {
  kind: "EnvoyExtensionPolicy",
  plural: "envoyExtensionPolicies",
  targetKinds: ALL_TARGETS,
  mergeable: false,
};

/** Envoy Gateway's message on an EnvoyPatchPolicy when the configuration does not enable the kind. */
export const ENVOY_PATCH_POLICY_DISABLED = "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration";

/** Reports the kinds not translated yet; returns the SecurityPolicy attachments, whose traffic is refused. */
export function reportUntranslatedPolicies(
  policies: EnvoyGatewayPolicies,
  index: TargetIndex,
  book: PolicyStatusBook,
  gates: ExtensionApiGates,
): Attachment[] {
  notApplied(policies.envoyExtensionPolicies ?? [], ENVOY_EXTENSION_RULES, index, book);
  const security = notApplied(policies.securityPolicies ?? [], SECURITY_RULES, index, book);
  for (const p of policies.envoyPatchPolicies ?? []) patchPolicyStatus(p, index, book, gates);
  return security;
}

/**
 * The published xDS IR with the traffic the SecurityPolicies target refused: routes answer 403 and TCP
 * chains close connections. Applied to the final nodes (after Gateways of a merged class are combined, which
 * rebuilds shared listeners): route-level targets by route name on every node, Gateway- and listener-level
 * targets by port on the node serving that Gateway (`nodeOf`).
 */
export function refuseSecured(
  xds: readonly GatewayXdsIr[],
  security: readonly Attachment[],
  index: TargetIndex,
  nodeOf: (gw: GatewayState) => string,
): GatewayXdsIr[] {
  if (security.length === 0) return [...xds];
  const prefixes = new Set<string>();
  const ports = new Map<string, Set<number>>();
  for (const a of security) {
    for (const key of a.target.gateways) {
      const gw = index.gateways.get(key);
      if (!gw) continue;
      const node = nodeOf(gw);
      const set = ports.get(node) ?? new Set<number>();
      collect(a.target, gw, set, prefixes);
      ports.set(node, set);
    }
  }
  return xds.map((n) => failClosed(n, ports.get(n.name) ?? new Set(), prefixes));
}

function notApplied(
  policies: readonly KubeObject[],
  rules: PolicyKindRules,
  index: TargetIndex,
  book: PolicyStatusBook,
): Attachment[] {
  const set = attachPolicies(policies, rules, index, book);
  const consequence =
    rules.kind === "SecurityPolicy"
      ? "the traffic it targets is refused (HTTP 403, TCP connections closed) until it is"
      : "the policy is not applied";
  const message = `${rules.kind} is not implemented by egts yet: ${consequence}`;
  for (const a of set.winners)
    for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, message);
  // Merged conditions only where a route-level winner asks for a merge (no walk over every route otherwise).
  if (rules.mergeable && set.winners.some((w) => (w.policy.spec as { mergeType?: unknown })?.mergeType !== undefined)) {
    reportMerges(set, index, book);
  }
  return [...set.winners];
}

/**
 * Merged conditions (route-level policies with mergeType onto the Gateway-level one), computed as the
 * translated kinds will: for every rule of every attached route, the chain's effective spec.
 */
function reportMerges(set: AttachmentSet<KubeObject>, index: TargetIndex, book: PolicyStatusBook): void {
  for (const gw of index.gateways.values()) {
    for (const l of gw.listeners) {
      for (const id of l.attached) {
        const route = index.routes.get(id);
        if (!route) continue;
        const rules = (route.route.spec?.rules ?? []).map((r) => r.name);
        for (const rule of rules.length > 0 ? rules : [undefined]) {
          effectiveSpec(set.forRouteRule(route.kind, route.key, rule, gw, l), book);
        }
      }
    }
  }
}

function patchPolicyStatus(p: KubeObject, index: TargetIndex, book: PolicyStatusBook, gates: ExtensionApiGates): void {
  book.track(p);
  const ref = (p.spec as { targetRef?: { group?: string; kind?: string; name?: string } } | undefined)?.targetRef;
  if (!ref?.name) return;
  const kind = ref.kind ?? "Gateway";
  const ns = namespaceOf(p.metadata);
  const ancestor: AncestorRef =
    kind === "GatewayClass"
      ? { group: GATEWAY_API_GROUP, kind, namespace: ns, name: ref.name }
      : { group: ref.group ?? GATEWAY_API_GROUP, kind, namespace: ns, name: ref.name };
  if (kind === "Gateway" && !index.gateways.has(`${ns}/${ref.name}`)) {
    const exists = (index.byKind.get("Gateway") ?? []).some(
      (g) => namespaceOf(g.metadata) === ns && g.metadata.name === ref.name,
    );
    if (!exists)
      book.reject(p, ancestor, PolicyReason.TargetNotFound, `spec.targetRef: Gateway ${ns}/${ref.name} not found`);
    return;
  }
  if (gates.enableEnvoyPatchPolicy !== true) {
    book.reject(p, ancestor, PolicyReason.Disabled, ENVOY_PATCH_POLICY_DISABLED);
    return;
  }
  book.reject(
    p,
    ancestor,
    PolicyReason.Invalid,
    "EnvoyPatchPolicy is not implemented by egts yet: the patches are not applied",
  );
}

/** One node's IR with the routes (and TCP chains) on `ports` or under `prefixes` refusing traffic. */
function failClosed(n: GatewayXdsIr, ports: ReadonlySet<number>, prefixes: ReadonlySet<string>): GatewayXdsIr {
  const covered = (name: string): boolean => namePrefixes(name).some((p) => prefixes.has(p));
  const http = n.http.map((l): HttpListenerIr => {
    const all = ports.has(l.port);
    let changed = false;
    const virtualHosts = l.virtualHosts.map((v) => {
      let hit = false;
      const routes = v.routes.map((r) => {
        if (!all && !covered(r.name)) return r;
        hit = true;
        return { name: r.name, match: r.match, action: { kind: "direct", status: 403 } } as RouteIr;
      });
      changed ||= hit;
      return hit ? { ...v, routes } : v;
    });
    return changed ? { ...l, virtualHosts } : l;
  });
  const tcp = n.tcp?.map((l): TcpListenerIr => ({
    ...l,
    chains: l.chains.map((c) => (ports.has(l.port) || covered(`${c.name}/`) ? { ...c, destinations: [] } : c)),
  }));
  return { ...n, http, ...(tcp ? { tcp } : {}) };
}

/**
 * The route-level and rule-level prefixes of an IR route or chain name (`httproute/ns/name/rule/R/match/M` →
 * `httproute/ns/name/` and `httproute/ns/name/rule/R/`), to look up in a set.
 */
function namePrefixes(name: string): string[] {
  let end = -1;
  for (let i = 0; i < 3; i++) {
    end = name.indexOf("/", end + 1);
    if (end < 0) return [];
  }
  const route = name.slice(0, end + 1);
  if (!name.startsWith("rule/", end + 1)) return [route];
  const ruleEnd = name.indexOf("/", end + 6);
  return ruleEnd < 0 ? [route] : [route, name.slice(0, ruleEnd + 1)];
}

function collect(t: ResolvedTarget, gw: GatewayState, ports: Set<number>, prefixes: Set<string>): void {
  if (t.scope === "Route" || t.scope === "RouteRule") {
    const base = `${t.kind.toLowerCase()}/${t.key}/`;
    prefixes.add(t.sectionName !== undefined ? `${base}rule/${t.sectionName}/` : base);
    return;
  }
  for (const l of gw.listeners) {
    const owner = `${l.owner.namespace}/${l.owner.name}`;
    const inSet = t.kind === "ListenerSet" && l.owner.kind === "ListenerSet" && owner === t.key;
    const inGw =
      t.kind === "Gateway" &&
      (t.sectionName === undefined || (l.owner.kind === "Gateway" && l.listener.name === t.sectionName));
    const sectionOk = t.kind !== "ListenerSet" || t.sectionName === undefined || l.listener.name === t.sectionName;
    if ((inSet && sectionOk) || inGw) ports.add(l.listener.port);
  }
}
