/**
 * The infra applier: server-side applies the rendered proxy manifests with one field manager and prunes
 * the proxy objects (found by label) that the desired set no longer has. Only the leader runs it.
 */
import type { Logger } from "../../log";
import { KubeApiError, type KubeClient } from "../../provider/kubernetes/client";
import { collectionPath, objectPath, type WatchedKind } from "../../provider/kubernetes/kinds";
import type { Manifest } from "../../../../constructs/render";
import { FIELD_MANAGER } from "../../../../constructs/names";
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
}

/** Applier settings. */
export interface ApplierOptions {
  /** Namespace of the proxy objects. */
  readonly namespace: string;
  /** Logger. */
  readonly log: Logger;
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

  /** Makes the cluster's proxy objects equal `manifests`. */
  async reconcile(manifests: readonly Manifest[]): Promise<ApplyResult> {
    let applied = 0;
    let unchanged = 0;
    let failed = 0;
    for (const m of manifests) {
      const kind = this.kinds.get(m.kind);
      if (!kind) throw new Error(`the applier does not manage kind ${m.kind}`);
      const text = canonical(m);
      if (this.applied.get(keyOf(m)) === text) {
        unchanged++;
        continue;
      }
      try {
        await this.client.apply(objectPath(kind, m.metadata.name, m.metadata.namespace), m, FIELD_MANAGER);
        this.applied.set(keyOf(m), text);
        applied++;
      } catch (err) {
        failed++;
        this.opts.log("warn", "apply failed", { object: keyOf(m), error: String(err) });
      }
    }
    const keep = new Set(manifests.map(keyOf));
    const keepKey = [...keep].sort().join("\n");
    let pruned = 0;
    if (failed === 0 && keepKey !== this.prunedFor) {
      pruned = await this.prune(keep);
      this.prunedFor = keepKey;
    }
    return { applied, unchanged, pruned, failed };
  }

  /** Deletes labelled proxy objects not in `keep`. */
  private async prune(keep: ReadonlySet<string>): Promise<number> {
    let pruned = 0;
    for (const kind of MANAGED_KINDS) {
      let items;
      try {
        items = (await this.client.list(collectionPath(kind, this.opts.namespace), { labelSelector: MANAGED_SELECTOR }))
          .items;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) continue; // API group not served
        throw err;
      }
      for (const o of items) {
        const key = keyOf({ kind: kind.kind, metadata: o.metadata });
        if (keep.has(key)) continue;
        await this.client.delete(objectPath(kind, o.metadata.name, o.metadata.namespace));
        this.applied.delete(key);
        pruned++;
        this.opts.log("info", "pruned proxy object", { object: key });
      }
    }
    return pruned;
  }
}
