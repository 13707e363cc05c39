/**
 * The Kubernetes controller's extension servers (EnvoyGateway `extensionManager` / `extensionManagers`), the same
 * stage standalone runs (extension-stage.ts): the kinds the servers own are watched through the API server
 * (discovered, extension-kinds.ts), their TLS Secrets are read from the watched Secrets (the controller's
 * namespace unless a reference says otherwise), and each pass runs their hooks before the xDS cache gets it.
 */
import type { Observable } from "rxjs";
import { EMPTY } from "rxjs";
import type { ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import type { Logger } from "../log";
import type { KubeClient } from "../provider/kubernetes/client";
import { extensionWatchedKinds, type ExtensionWatchedKind } from "../provider/kubernetes/extension-kinds";
import { WATCHED_KINDS, type WatchedKind } from "../provider/kubernetes/kinds";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { TranslateOptions } from "../translate/translate";
import type { HookStats } from "./extension-hooks";
import {
  createExtensionStage,
  extensionKindsOption,
  ownedExtensionKinds,
  type ExtensionStage,
} from "./extension-stage";
import type { PublishStages } from "./translate-step";

/** Settings of the controller's extension servers. */
export interface ControllerExtensionOptions {
  /** The servers, in order; none: the stage does nothing. */
  readonly managers?: readonly ExtensionManagerConfig[] | undefined;
  /** The controller's namespace. */
  readonly namespace: string;
  /** Logger (xds-translator). */
  readonly logger: Logger;
  /** TEST ONLY: hook call deadline and retry delay. */
  readonly timings?: { readonly timeoutMs?: number; readonly retryMs?: number };
}

/** The controller's extension servers: what the provider watches, translation's options, the publish stage. */
export class ControllerExtensions {
  private readonly stage?: ExtensionStage;
  private snapshot?: ResourceSnapshot;
  private discovered: readonly ExtensionWatchedKind[] = [];

  constructor(private readonly opts: ControllerExtensionOptions) {
    if (!opts.managers?.length) return;
    this.stage = createExtensionStage({
      managers: opts.managers,
      secrets: () => this.snapshot?.secrets ?? [],
      namespace: opts.namespace,
      logger: opts.logger,
      ...(opts.timings ? { timings: opts.timings } : {}),
    });
    for (const m of opts.managers) {
      opts.logger("info", "extension server configured", {
        name: m.name || "(extensionManager)",
        hooks: m.hooks.join(","),
        failOpen: m.failOpen,
      });
    }
  }

  /** Every kind the provider watches: the translator's, and the servers' (discovered through the API server). */
  async watchedKinds(client: KubeClient, log: Logger): Promise<readonly WatchedKind[]> {
    const owned = ownedExtensionKinds(this.opts.managers);
    if (owned.length === 0) return WATCHED_KINDS;
    this.discovered = await extensionWatchedKinds(client, owned, log);
    const policies = new Set(
      (this.opts.managers ?? []).flatMap((m) => m.policyResources.map((p) => `${p.group}/${p.kind}`)),
    );
    for (const k of this.discovered) {
      if (k.statusSubresource === false && policies.has(`${k.group}/${k.kind}`))
        log("info", `extension policy kind ${k.kind}.${k.group} has no status subresource: its objects get no status`);
    }
    return [...WATCHED_KINDS, ...this.discovered];
  }

  /**
   * The extension kinds whose status the status writer may patch (after {@link watchedKinds}): all but those
   * discovery showed without a status subresource (a kind not served yet is kept: its CRD may bring one).
   */
  get statusKinds(): readonly WatchedKind[] {
    return this.discovered.filter((k) => k.statusSubresource !== false);
  }

  /** The translator options for `snapshot` (its Secrets also serve the servers' TLS from now on). */
  translateOptions(snapshot: ResourceSnapshot): Pick<TranslateOptions, "extensionKinds"> {
    this.snapshot = snapshot;
    return extensionKindsOption(this.opts.managers);
  }

  /** The publish stages (the hooks), for translateAndPublish. */
  get stages(): PublishStages {
    return this.stage ? { hooks: this.stage.hooks } : {};
  }

  /** Emits when a hook run ended or is due again: the controller runs the last pass again. */
  get changes$(): Observable<void> {
    return this.stage?.hooks.changes$ ?? EMPTY;
  }

  /** The hook counters (undefined without servers). */
  get stats(): HookStats | undefined {
    return this.stage?.hooks.stats;
  }

  /** Stops retries and closes the clients. */
  close(): void {
    this.stage?.close();
  }
}
