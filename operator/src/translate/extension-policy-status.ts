/**
 * Status of extension-owned policies (`policyResources`), as Envoy Gateway v1.9.1 writes it: one ancestor per
 * Gateway the policy reaches, under our controller name.
 * - A route target: for each parentRef of the route to a Gateway with a node, ancestor `Gateway ns/name` with the
 *   parentRef's `sectionName`: Accepted=True "Policy has been accepted." when the policy landed on a route of that
 *   Gateway; Accepted=False Invalid `ExtensionServerPolicy does not support targeting <Kind>` for a TCPRoute,
 *   TLSRoute or UDPRoute; Accepted=False TargetNotFound `No section name <s> found for <Kind> <ns>/<name>` for a rule
 *   that does not exist.
 * - A Gateway target: ancestor `Gateway ns/name` with the target's `sectionName`: Accepted=True when a listener of
 *   the Gateway (HTTP, TCP or UDP; by name for a `sectionName`) exists.
 * - A target that does not exist (or a route with no parent of ours) gets nothing, as in Envoy Gateway: the policy
 *   may resolve later. Every policy with targets gets a status, so ancestors it no longer has are removed.
 * Pure: a function of the snapshot and the final IR.
 */
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { StatusUpdate } from "./conditions";
import { PolicyStatusBook } from "./policies/ancestors";
import { gatewayAncestor } from "./policies/target-index";
import { PolicyReason } from "./policies/targets";

const GATEWAY_API = "gateway.networking.k8s.io";

/** One target reference of an extension policy. */
export interface ExtensionTargetRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly sectionName?: string;
}

/** An extension policy with its target references. */
export interface ExtensionPolicyTargets {
  /** The policy object. */
  readonly object: KubeObject;
  /** Its `targetRef` and `targetRefs` (at least one). */
  readonly targets: readonly ExtensionTargetRef[];
}

interface RouteLike extends KubeObject {
  readonly spec: {
    readonly parentRefs?: readonly {
      group?: string;
      kind?: string;
      namespace?: string;
      name: string;
      sectionName?: string;
    }[];
    readonly rules?: readonly { name?: string }[];
  };
}

/** The routes an extension policy can name, by kind, and whether the extension server gets policies on them. */
const ROUTES: readonly (readonly [string, (s: ResourceSnapshot) => readonly KubeObject[], boolean])[] = [
  ["HTTPRoute", (s) => s.httpRoutes, true],
  ["GRPCRoute", (s) => s.grpcRoutes ?? [], true],
  ["TLSRoute", (s) => s.tlsRoutes, false],
  ["TCPRoute", (s) => s.tcpRoutes, false],
  ["UDPRoute", (s) => s.udpRoutes, false],
];

/** The statuses of `policies` (sorted as the book sorts: kind, then namespace/name). */
export function extensionPolicyStatuses(
  policies: readonly ExtensionPolicyTargets[],
  snapshot: ResourceSnapshot,
  xdsIr: readonly GatewayXdsIr[],
  controllerName: string,
): StatusUpdate[] {
  const book = new PolicyStatusBook();
  for (const p of policies) {
    book.track(p.object);
    for (const t of p.targets) {
      if ((t.group ?? GATEWAY_API) !== GATEWAY_API || t.name === undefined) continue;
      if (t.kind === "Gateway") gatewayTarget(book, p.object, { ...t, name: t.name }, xdsIr);
      else routeTarget(book, p.object, { ...t, name: t.name }, snapshot, xdsIr);
    }
  }
  return book.statuses(controllerName);
}

function gatewayTarget(
  book: PolicyStatusBook,
  policy: KubeObject,
  t: ExtensionTargetRef & { readonly name: string },
  xdsIr: readonly GatewayXdsIr[],
): void {
  const gateway = `${policy.metadata.namespace ?? "default"}/${t.name}`;
  const found = listenersOf(xdsIr, gateway).some((n) => t.sectionName === undefined || n === t.sectionName);
  if (found) book.accept(policy, gatewayAncestor(gateway, t.sectionName));
}

function routeTarget(
  book: PolicyStatusBook,
  policy: KubeObject,
  t: ExtensionTargetRef & { readonly name: string },
  snapshot: ResourceSnapshot,
  xdsIr: readonly GatewayXdsIr[],
): void {
  const found = findRoute(snapshot, policy.metadata.namespace ?? "default", t);
  if (!found) return; // not found: nothing said, as Envoy Gateway (it may appear later)
  const { kind, route, supported, ns } = found;
  const ruleIndex =
    t.sectionName === undefined ? -1 : (route.spec.rules ?? []).findIndex((r) => r.name === t.sectionName);
  const prefix = `${kind.toLowerCase()}/${ns}/${t.name}/${ruleIndex >= 0 ? `rule/${ruleIndex}/` : ""}`;
  const problem = !supported
    ? { reason: PolicyReason.Invalid, message: `ExtensionServerPolicy does not support targeting ${kind}` }
    : t.sectionName !== undefined && ruleIndex < 0
      ? {
          reason: PolicyReason.TargetNotFound,
          message: `No section name ${t.sectionName} found for ${kind} ${ns}/${t.name}`,
        }
      : undefined;
  for (const parent of gatewayParents(route, ns, xdsIr)) {
    const ancestor = gatewayAncestor(parent.gateway, parent.sectionName);
    if (problem) book.reject(policy, ancestor, problem.reason, problem.message);
    else if (hasRoute(xdsIr, parent.gateway, parent.sectionName, prefix)) book.accept(policy, ancestor);
  }
}

/** The route's parentRefs to Gateways of ours with a node: `namespace/name` and the parentRef's sectionName. */
function gatewayParents(
  route: RouteLike,
  ns: string,
  xdsIr: readonly GatewayXdsIr[],
): { gateway: string; sectionName?: string }[] {
  return (route.spec.parentRefs ?? []).flatMap((parent) => {
    if ((parent.group ?? GATEWAY_API) !== GATEWAY_API || (parent.kind ?? "Gateway") !== "Gateway") return [];
    const gateway = `${parent.namespace ?? ns}/${parent.name}`;
    if (listenersOf(xdsIr, gateway).length === 0) return [];
    return [{ gateway, ...(parent.sectionName !== undefined ? { sectionName: parent.sectionName } : {}) }];
  });
}

/** The route a target names in the policy's namespace `ns`, its kind, and whether policies on it are supported. */
function findRoute(
  snapshot: ResourceSnapshot,
  ns: string,
  t: ExtensionTargetRef,
): { kind: string; route: RouteLike; supported: boolean; ns: string } | undefined {
  const entry = ROUTES.find(([kind]) => kind === t.kind);
  if (!entry) return undefined;
  const [kind, of, supported] = entry;
  const route = of(snapshot).find((r) => r.metadata.name === t.name && (r.metadata.namespace ?? "default") === ns);
  return route ? { kind, route: route as RouteLike, supported, ns } : undefined;
}

/** The listener names (last name segment) of a Gateway in the IR, HTTP, TCP and UDP. */
function listenersOf(xdsIr: readonly GatewayXdsIr[], gateway: string): string[] {
  return xdsIr
    .flatMap((node) => [...node.http, ...(node.tcp ?? []), ...(node.udp ?? [])])
    .filter((l) => l.name.startsWith(`${gateway}/`))
    .map((l) => l.name.slice(l.name.lastIndexOf("/") + 1));
}

/** Whether an IR route named with `prefix` is on an HTTP listener of `gateway` (that listener, for a section). */
function hasRoute(
  xdsIr: readonly GatewayXdsIr[],
  gateway: string,
  section: string | undefined,
  prefix: string,
): boolean {
  const listeners = xdsIr.flatMap((node) => node.http).filter((l) => l.name.startsWith(`${gateway}/`));
  const named = section === undefined ? [] : listeners.filter((l) => l.name.endsWith(`/${section}`));
  // A listener sharing its port with an earlier one is served under the first one's name: look at all then.
  return (named.length > 0 ? named : listeners).some((l) =>
    l.virtualHosts.some((vh) => vh.routes.some((r) => r.name.startsWith(prefix))),
  );
}
