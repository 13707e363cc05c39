/**
 * The infra applier: server-side applies the rendered proxy manifests with one field manager and prunes
 * the proxy objects (found by label) that the desired set no longer has. Only the leader runs it.
 *
 * It never takes over an object it did not make: before the first apply of an object it reads the live one,
 * and if that exists without our `app.kubernetes.io/managed-by` label and the labels of the same owner (the
 * Gateway, or the GatewayClass of merged proxies), none of that owner's objects are applied and the conflict is
 * reported (the controller keeps that Gateway from being Programmed). Each owner's objects succeed or fail on
 * their own. Prune deletes only labelled objects of our namespace whose owner is neither desired nor protected
 * (a Gateway that still exists keeps its last objects when its render fails).
 */
import type { Logger } from "../../log";
import type { ResourceMetrics } from "../../metrics/control-plane";
import { HttpMethod } from "../../provider/kubernetes/http-method";
import { describeError, KubeApiError, type KubeClient } from "../../provider/kubernetes/client";
import type { KubeObject } from "../../resources/meta";
import { collectionPath, objectPath, type WatchedKind } from "../../provider/kubernetes/kinds";
import type { Manifest } from "../../../../constructs/render";
import { FIELD_MANAGER, proxyOwnerKeyOfLabels } from "../../../../constructs/names";
import { canonical } from "../../status/merge-status";

/** The kinds the renderer produces, with their REST names. */
const MANAGED_KINDS: readonly WatchedKind[] = [
  { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true },
  { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true },
  {
    group: "autoscaling",
    version: "v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    namespaced: true,
  },
  { group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true },
];

/** The label selector that finds every proxy object we made. */
export const MANAGED_SELECTOR = "app.kubernetes.io/managed-by=envoy-gateway,app.kubernetes.io/component=proxy";

/** What one reconcile did. */
export interface ApplyResult {
  /** Objects sent with server-side apply. */
  readonly applied: number;
  /** Objects whose manifest had not changed since the last apply (nothing sent). */
  readonly unchanged: number;
  /** Objects deleted because no Gateway needs them any more. */
  readonly pruned: number;
  /** Objects that failed (logged; retried on the next reconcile). */
  readonly failed: number;
  /** Objects not applied because an object of their owner exists and is not ours (see {@link ApplyConflict}). */
  readonly refused: number;
  /** One per owner whose objects were not applied because one of them exists and was not made by us. */
  readonly conflicts: readonly ApplyConflict[];
  /**
   * One per owner one of whose objects the API server refused this pass (its first), with the server's
   * message, e.g. an invalid label value; the controller keeps that Gateway from being Programmed.
   */
  readonly failures: readonly ApplyConflict[];
}

/**
 * An owner whose objects were left alone (one of them exists in the cluster and is not ours), or one of whose
 * objects could not be applied.
 */
export interface ApplyConflict {
  /** The owner ({@link proxyOwnerKeyOfLabels}): `Gateway/<ns>/<name>` or `GatewayClass/<name>`. */
  readonly owner: string;
  /** The live object in the way, `Kind/namespace/name`. */
  readonly object: string;
  /** Why, for the Gateway's status. */
  readonly message: string;
}

/** What a reconcile must leave alone besides the desired objects. */
export interface ReconcileOptions {
  /**
   * Owner keys whose objects prune keeps when none of theirs is desired this pass (their Gateway exists but
   * rendered nothing). @default none
   */
  readonly protectedOwners?: ReadonlySet<string>;
}

const MANAGED_BY = "app.kubernetes.io/managed-by";

/** Why a live object is not ours to apply for `owner`, or undefined when it is. */
function notOursBecause(live: KubeObject, owner: string | undefined): string | undefined {
  const labels = live.metadata.labels ?? {};
  if (labels[MANAGED_BY] !== FIELD_MANAGER) {
    return `it exists without the label ${MANAGED_BY}=${FIELD_MANAGER}, so this controller did not create it`;
  }
  const liveOwner = proxyOwnerKeyOfLabels(labels);
  if (liveOwner !== owner) return `it belongs to ${liveOwner ?? "no Gateway"}, not ${owner ?? "no Gateway"}`;
  return undefined;
}

/** Applier settings. */
export interface ApplierOptions {
  /** Namespace of the proxy objects. */
  readonly namespace: string;
  /**
   * GatewayNamespace mode: the proxy objects are in their Gateways' namespaces, so prune looks in every
   * namespace (still only at labelled objects whose owner Gateway is in the object's own namespace). @default false
   */
  readonly everyNamespace?: boolean;
  /** Logger. */
  readonly log: Logger;
  /** Envoy Gateway's resource_apply_* and resource_delete_* metrics. @default none */
  readonly metrics?: ResourceMetrics;
}

function keyOf(m: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
}

/** Applies and prunes; see the module comment. */
export class InfraApplier {
  /** What was last applied, by object, so an unchanged manifest costs no API call. */
  private readonly applied = new Map<string, string>();
  private readonly kinds = new Map(MANAGED_KINDS.map((k) => [k.kind, k]));
  /** The desired object set of the last prune; pruning again is needed only when it changes. */
  private prunedFor: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ApplierOptions,
  ) {}

  /** Forgets what was applied, so the next reconcile applies everything again (after a leader change). */
  reset(): void {
    this.applied.clear();
    this.prunedFor = undefined;
  }

  /** Makes the cluster's proxy objects equal `manifests`; see the module comment. */
  async reconcile(manifests: readonly Manifest[], options: ReconcileOptions = {}): Promise<ApplyResult> {
    const counts = { applied: 0, unchanged: 0, failed: 0, refused: 0 };
    const conflicts: ApplyConflict[] = [];
    const failures: ApplyConflict[] = [];
    for (const [owner, group] of groupByOwner(manifests)) {
      const conflict = await this.conflictOf(owner, group);
      if (conflict) {
        conflicts.push(conflict);
        counts.refused += group.length;
        this.opts.log("warn", "not taking over an object this controller did not create", { ...conflict });
        continue;
      }
      const failure = await this.applyGroup(owner, group, counts);
      if (failure) failures.push(failure);
    }
    const keep = new Set(manifests.map(keyOf));
    // A protected owner with desired objects this pass gets its stale ones pruned as usual.
    const desiredOwners = new Set(manifests.map((m) => proxyOwnerKeyOfLabels(m.metadata.labels)));
    const idle = [...(options.protectedOwners ?? [])].filter((o) => !desiredOwners.has(o));
    const keepOwners = new Set([...idle, ...conflicts.map((c) => c.owner)]);
    const keepKey = [...keep, ...[...keepOwners].map((o) => `owner:${o}`)].sort().join("\n");
    let pruned = 0;
    if (counts.failed === 0 && keepKey !== this.prunedFor) {
      pruned = await this.prune(keep, keepOwners);
      this.prunedFor = keepKey;
    }
    return { ...counts, pruned, conflicts, failures };
  }

  /** Applies the objects of one owner, counting each; the first refusal, as the owner's failure. */
  private async applyGroup(
    owner: string | undefined,
    group: readonly Manifest[],
    counts: Record<"applied" | "unchanged" | "failed", number>,
  ): Promise<ApplyConflict | undefined> {
    let failure: ApplyConflict | undefined;
    for (const m of group) {
      const outcome = await this.applyOne(m);
      if (typeof outcome === "string") {
        counts[outcome]++;
        continue;
      }
      counts.failed++;
      const object = `${m.metadata.namespace ?? ""}/${m.metadata.name}`;
      failure ??= {
        owner: owner ?? "",
        object: keyOf(m),
        message: `the ${m.kind} ${object} could not be applied: ${outcome.error}`,
      };
    }
    return failure;
  }

  /** Applies one manifest unless it is unchanged since our last apply; a failure carries the API's message. */
  private async applyOne(m: Manifest): Promise<"applied" | "unchanged" | { readonly error: string }> {
    const kind = this.kindOf(m);
    const text = canonical(m);
    if (this.applied.get(keyOf(m)) === text) return "unchanged";
    const ref = { kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace ?? "" };
    const start = performance.now();
    try {
      await this.client.apply(objectPath(kind, m.metadata.name, m.metadata.namespace), m, FIELD_MANAGER);
      this.applied.set(keyOf(m), text);
      this.opts.metrics?.resourceApplied(ref, true, (performance.now() - start) / 1000);
      return "applied";
    } catch (err) {
      this.opts.metrics?.resourceApplied(ref, false, 0);
      this.opts.log("warn", "apply failed", { object: keyOf(m), error: describeError(err) });
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  private kindOf(m: Manifest): WatchedKind {
    const kind = this.kinds.get(m.kind);
    if (!kind) throw new Error(`the applier does not manage kind ${m.kind}`);
    return kind;
  }

  /**
   * The first object of `group` that exists and is not ours (see {@link notOursBecause}). Objects we applied
   * before are ours and are not read again; a read that fails counts as a conflict for this pass.
   */
  private async conflictOf(owner: string | undefined, group: readonly Manifest[]): Promise<ApplyConflict | undefined> {
    for (const m of group) {
      if (this.applied.has(keyOf(m))) continue;
      const path = objectPath(this.kindOf(m), m.metadata.name, m.metadata.namespace);
      let why: string | undefined;
      try {
        why = notOursBecause(await this.client.request<KubeObject>(HttpMethod.GET, path), owner);
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) continue;
        why = `it could not be read: ${String(err)}`;
      }
      if (why) {
        const object = keyOf(m);
        const message = `the ${m.kind} ${m.metadata.namespace ?? ""}/${m.metadata.name} is not applied: ${why}; rename or delete it`;
        return { owner: owner ?? "", object, message };
      }
    }
    return undefined;
  }

  /**
   * Whether prune may consider `o`: in our namespace; in GatewayNamespace mode, in the namespace of the Gateway
   * its labels name (a labelled object elsewhere was not made by us).
   */
  private prunable(o: KubeObject): boolean {
    if (!this.opts.everyNamespace) return o.metadata.namespace === this.opts.namespace;
    const owner = proxyOwnerKeyOfLabels(o.metadata.labels);
    return owner?.startsWith("Gateway/") === true && owner.split("/")[1] === o.metadata.namespace;
  }

  /** Deletes labelled proxy objects of our namespace that are not in `keep` and whose owner is not in `keepOwners`. */
  private async prune(keep: ReadonlySet<string>, keepOwners: ReadonlySet<string>): Promise<number> {
    let pruned = 0;
    for (const kind of MANAGED_KINDS) {
      let items;
      try {
        const scope = this.opts.everyNamespace ? undefined : this.opts.namespace;
        items = (await this.client.list(collectionPath(kind, scope), { labelSelector: MANAGED_SELECTOR })).items;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) continue; // API group not served
        throw err;
      }
      for (const o of items) {
        const key = keyOf({ kind: kind.kind, metadata: o.metadata });
        if (keep.has(key) || !this.prunable(o)) continue;
        const owner = proxyOwnerKeyOfLabels(o.metadata.labels);
        if (owner === undefined || keepOwners.has(owner)) continue;
        const ref = { kind: kind.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? "" };
        const start = performance.now();
        try {
          await this.client.delete(objectPath(kind, o.metadata.name, o.metadata.namespace));
        } catch (err) {
          this.opts.metrics?.resourceDeleted(ref, false, 0);
          throw err;
        }
        this.opts.metrics?.resourceDeleted(ref, true, (performance.now() - start) / 1000);
        this.applied.delete(key);
        pruned++;
        this.opts.log("info", "pruned proxy object", { object: key });
      }
    }
    return pruned;
  }
}

/** Manifests by the owner their labels name (undefined for none), in order. */
function groupByOwner(manifests: readonly Manifest[]): Map<string | undefined, Manifest[]> {
  const out = new Map<string | undefined, Manifest[]>();
  for (const m of manifests) {
    const owner = proxyOwnerKeyOfLabels(m.metadata.labels);
    out.set(owner, [...(out.get(owner) ?? []), m]);
  }
  return out;
}
