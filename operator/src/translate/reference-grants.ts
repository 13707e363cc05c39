/**
 * ReferenceGrants: which cross-namespace references the target namespaces allow. A grant lives in the
 * namespace of the objects it lets others refer to; every `from` entry may refer to every `to` entry.
 * References within one namespace never need a grant.
 */
import { GATEWAY_API_GROUP, type ReferenceGrant } from "../resources/gateway-api";
import { namespaceOf } from "../resources/meta";
import { Reason, type RefProblem } from "./conditions";
import { noteRead } from "./compile-reads";

/** The object that refers (a route, a Gateway). */
export interface RefFrom {
  /** Group of the referring kind; "" is the core group. */
  readonly group: string;
  /** Referring kind, e.g. HTTPRoute. */
  readonly kind: string;
  /** Namespace of the referring object. */
  readonly namespace: string;
}

/** The object referred to. */
export interface RefTo {
  /** Group of the target; "" is the core group. */
  readonly group: string;
  /** Kind of the target, e.g. Service. */
  readonly kind: string;
  /** Namespace of the target (where a grant must be). */
  readonly namespace: string;
  /** Name of the target. */
  readonly name: string;
}

/** The ReferenceGrants of a snapshot, indexed by namespace; built once per translation. */
export class ReferenceGrantIndex {
  private readonly byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const g of grants) {
      const ns = namespaceOf(g.metadata);
      this.byNamespace.set(ns, [...(this.byNamespace.get(ns) ?? []), g]);
    }
  }

  /** True when `from` may refer to `to`: same namespace, or a grant in `to`'s namespace allows it. */
  allows(from: RefFrom, to: RefTo): boolean {
    if (from.namespace === to.namespace) return true;
    noteRead(`ReferenceGrant:${to.namespace}`);
    return (this.byNamespace.get(to.namespace) ?? []).some(
      (g) =>
        (g.spec?.from ?? []).some(
          (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
        ) &&
        (g.spec?.to ?? []).some(
          (t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name),
        ),
    );
  }

  /** undefined when the reference is allowed; otherwise RefNotPermitted naming the grant that is missing. */
  check(from: RefFrom, to: RefTo): RefProblem | undefined {
    if (this.allows(from, to)) return undefined;
    return { reason: Reason.RefNotPermitted, message: missingGrantMessage(from, to) };
  }
}

/** Says which ReferenceGrant is missing, in the words of its spec. */
function missingGrantMessage(from: RefFrom, to: RefTo): string {
  const toKind = to.group ? `${to.group}/${to.kind}` : to.kind;
  return (
    `${toKind} ${to.namespace}/${to.name} is in another namespace and no ReferenceGrant in namespace ${to.namespace} ` +
    `allows it; add one with from {group: "${from.group}", kind: ${from.kind}, namespace: ${from.namespace}} ` +
    `and to {group: "${to.group}", kind: ${to.kind}, name: ${to.name}}`
  );
}

/** A Secret reference as a Gateway listener's `tls.certificateRefs` entry holds it. */
export interface SecretRef {
  /** Group; "" (core) by default. */
  readonly group?: string;
  /** Kind; Secret by default. */
  readonly kind?: string;
  /** Name. */
  readonly name: string;
  /** Namespace; the Gateway's by default. */
  readonly namespace?: string;
}

/**
 * Checks a Gateway's (or a ListenerSet's) certificateRef → Secret against the grants: undefined when it is
 * in the referrer's namespace or a ReferenceGrant allows it, otherwise RefNotPermitted with what to add.
 */
export function checkCertificateRef(
  grants: ReferenceGrantIndex,
  gatewayNamespace: string,
  ref: SecretRef,
  fromKind: "Gateway" | "ListenerSet" = "Gateway",
): RefProblem | undefined {
  return grants.check(
    { group: GATEWAY_API_GROUP, kind: fromKind, namespace: gatewayNamespace },
    {
      group: ref.group ?? "",
      kind: ref.kind ?? "Secret",
      namespace: ref.namespace ?? gatewayNamespace,
      name: ref.name,
    },
  );
}
