/**
 * The extension server stage of the pipeline (the EnvoyGateway configuration's `extensionManager`, or its
 * `extensionManagers` chained in order): after each
 * node's Envoy resources are built, its hooks run (extension/hooks.ts) before the cache gets them. Translation is
 * synchronous and the hooks are network calls, so this stage is an async edge beside it, as OIDC discovery is:
 * `resolve()` answers at once from the run of the same input if there is one (its result, or its failure), and
 * otherwise starts that run and answers "pending" — the node keeps what it has (its last good configuration)
 * until the run ends and `changes$` asks for the pass again.
 *
 * A failure without `failOpen` keeps the node's last good configuration (logged, counted, retried after
 * `retryMs`); with `failOpen` the failing hook's resource goes out unmodified (logged, counted, retried too).
 */
import { createHash } from "node:crypto";
import { Subject, type Observable } from "rxjs";
import { extensionContextOf, type NodeExtensionContext } from "../extension/context";
import { HookError, phaseHasHooks, runHooks, serverHooks, type HookPhase, type HookServer } from "../extension/hooks";
import type { ExtensionMethod } from "../extension/service";
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { Logger } from "../log";
import type { NodeResources } from "../xds/translate/resources";

/** What the stage says about one node's resources. */
export type HookOutcome =
  | { readonly kind: "ready"; readonly resources: NodeResources }
  | { readonly kind: "pending" }
  | { readonly kind: "failed"; readonly error: string };

/** Counters of the stage (for logs, tests and metrics). */
export interface HookStats {
  /** Hook runs started (one per node and input). */
  runs: number;
  /** Runs that failed without failOpen (the node kept its last good configuration). */
  keptLastGood: number;
  /** Failed calls, by method (failOpen ones included). */
  failures: Partial<Record<ExtensionMethod, number>>;
}

/** Stage settings. */
export interface ExtensionHookOptions {
  /** The extension servers (`extensionManager`, or `extensionManagers` in order) and their clients. */
  readonly servers: readonly HookServer[];
  /** Logger. */
  readonly logger: Logger;
  /** How long after a failure the hooks are called again. @default 5000 */
  readonly retryMs?: number;
}

/** What one run works on. */
interface RunInput {
  readonly built: NodeResources;
  readonly context: NodeExtensionContext;
  readonly phase?: HookPhase;
}

/** One node's latest run. */
interface NodeRun {
  /** Digest of the input. */
  readonly key: string;
  /** The outcome, once the run has ended. */
  outcome?: Exclude<HookOutcome, { kind: "pending" }>;
}

/** The extension hook stage. */
export class ExtensionHookStage {
  private readonly runs = new Map<string, NodeRun>();
  private readonly changes = new Subject<void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Emits when a run ended (or a retry is due): the pipeline translates again to publish its result. */
  readonly changes$: Observable<void> = this.changes.asObservable();
  /** Counters. */
  readonly stats: HookStats = { runs: 0, keptLastGood: 0, failures: {} };

  constructor(private readonly opts: ExtensionHookOptions) {}

  /**
   * The node's resources after the hooks of `phase` (both when undefined), or pending (keep what it has), or the
   * failure (keep what it has). A phase without configured hooks answers `built` at once.
   */
  resolve(node: string, ir: GatewayXdsIr, built: NodeResources, phase?: HookPhase): HookOutcome {
    if (!phaseHasHooks(serverHooks(this.opts.servers), phase)) return { kind: "ready", resources: built };
    const context = extensionContextOf(ir);
    const key = inputKey(built, context);
    const id = runId(node, phase);
    const run = this.runs.get(id);
    if (run?.key === key) return run.outcome ?? { kind: "pending" };
    const fresh: NodeRun = { key };
    this.runs.set(id, fresh);
    this.stats.runs++;
    void this.start(node, id, fresh, { built, context, ...(phase ? { phase } : {}) });
    return { kind: "pending" };
  }

  /** Forgets a node that is gone. */
  forget(node: string): void {
    for (const phase of [undefined, "resources", "translation"] as const) this.runs.delete(runId(node, phase));
  }

  /** Stops retries. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.changes.complete();
  }

  private async start(node: string, id: string, run: NodeRun, input: RunInput): Promise<void> {
    const { built, context, phase } = input;
    let failedOpen = false;
    try {
      const resources = await runHooks(built, {
        servers: this.opts.servers,
        context,
        ...(phase ? { phase } : {}),
        onFailure: (err) => {
          failedOpen = true;
          this.count(err);
          this.opts.logger("error", "extension server hook failed; failOpen: sending that resource unmodified", {
            node,
            error: err.message,
          });
        },
      });
      run.outcome = { kind: "ready", resources };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof HookError) this.count(err);
      this.stats.keptLastGood++;
      run.outcome = { kind: "failed", error: message };
      this.opts.logger("error", "extension server hook failed; keeping the last good configuration (failOpen: false)", {
        node,
        error: message,
      });
    }
    if (this.runs.get(id) !== run) return; // a newer input replaced it
    this.changes.next();
    if (run.outcome.kind === "failed" || failedOpen) this.retryLater(id, run);
  }

  private count(err: HookError): void {
    this.stats.failures[err.method] = (this.stats.failures[err.method] ?? 0) + 1;
  }

  /** After `retryMs`, the run is forgotten and a pass asked for: the hooks are called again. */
  private retryLater(id: string, run: NodeRun): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.runs.get(id) !== run) return;
      this.runs.delete(id);
      this.changes.next();
    }, this.opts.retryMs ?? 5000);
    t.unref();
    this.timers.add(t);
  }
}

/** Key of a node's run for one phase. */
const runId = (node: string, phase: HookPhase | undefined): string => `${node}\0${phase ?? "all"}`;

/** Digest of a node's built resources and extension context: the same input gives the same hook run. */
function inputKey(built: NodeResources, context: NodeExtensionContext): string {
  const h = createHash("sha256");
  for (const [typeUrl, byName] of [...built].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h.update(typeUrl + "\0");
    for (const [name, any] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      h.update(name + "\0").update(any.value);
    }
  }
  h.update(JSON.stringify([[...context.routes], [...context.clusters], [...context.listeners], context.policies]));
  return h.digest("hex");
}
