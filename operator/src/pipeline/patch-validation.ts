/**
 * The edge part of EnvoyPatchPolicy: Envoy itself checks a node's patched resources (`envoy --mode validate` on a
 * bootstrap holding them statically, xds/patch/validation-bootstrap.ts) before they are sent, so a patch that
 * Envoy would refuse never reaches the proxies as a NACK. When Envoy refuses a node's patched resources, the policies
 * responsible are found by bisection over the node's policies (nack-bisect.ts's search, each trial one validation):
 * only their patches are left out. Verdicts are cached by the content of the resources; a
 * pass that finds no verdict starts a check and asks for another pass when it ends (`changes$`). Only where an
 * Envoy binary is at hand (standalone); elsewhere the patched resources go out after the schema check alone and
 * the NACK safety net (listener-nack.ts, nack-bisect.ts) stands behind them.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Subject, type Observable } from "rxjs";
import type { Logger } from "../log";
import type { NodeResources } from "../xds/translate/resources";
import type { PatchPolicyIr } from "../ir/patch-ir";
import { applyPatchPolicies } from "../xds/patch/apply";
import { validationBootstrap } from "../xds/patch/validation-bootstrap";
import { findCulprits } from "./nack-bisect";

/** Envoy's verdict on a node's patched resources. */
export interface PatchVerdict {
  /** Whether Envoy accepts them. */
  readonly ok: boolean;
  /** Envoy's error when it does not. */
  readonly message?: string;
  /**
   * When Envoy does not accept them: the policies responsible (`namespace/name` → Envoy's error with their patches);
   * absent or empty: every policy that changed something.
   */
  readonly rejected?: ReadonlyMap<string, string>;
}

/** The key of a patch policy in {@link PatchVerdict.rejected}. */
export function patchPolicyKey(p: PatchPolicyIr): string {
  return `${p.namespace}/${p.name}`;
}

/** What the translate step asks of a patch checker (translate-step.ts). */
export interface PatchChecker {
  /**
   * The verdict on `patched` (the node's resources after its patches; `unpatched` before them, `policies` the
   * patches), or undefined when a check is running (started by this call if needed).
   */
  verdict(
    nodeId: string,
    patched: NodeResources,
    unpatched: NodeResources,
    policies: readonly PatchPolicyIr[],
  ): PatchVerdict | undefined;
}

/** Settings of {@link EnvoyPatchValidator}. */
export interface EnvoyPatchValidatorOptions {
  /** The Envoy binary. */
  readonly envoyBin: string;
  /** Logger. */
  readonly logger: Logger;
  /** How long one validation may take. @default 20000 */
  readonly timeoutMs?: number;
}

/** Verdicts kept (most recent first out when full). */
const MAX_VERDICTS = 256;

/** Runs `envoy --mode validate` on patched nodes, one at a time, caching verdicts by content. */
export class EnvoyPatchValidator implements PatchChecker {
  private readonly verdicts = new Map<string, PatchVerdict>();
  private readonly running = new Map<string, Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changed = new Subject<void>();
  /** Emits when a check ends: the patched nodes should be published again. */
  readonly changes$: Observable<void> = this.changed.asObservable();
  private closed = false;

  constructor(private readonly opts: EnvoyPatchValidatorOptions) {}

  verdict(
    nodeId: string,
    patched: NodeResources,
    unpatched: NodeResources,
    policies: readonly PatchPolicyIr[],
  ): PatchVerdict | undefined {
    const key = contentKey(nodeId, patched);
    const known = this.verdicts.get(key);
    if (known) return known;
    if (!this.running.has(key)) {
      const run = this.enqueue(() => this.check(nodeId, patched, unpatched, policies))
        .catch((err: unknown): PatchVerdict => ({ ok: false, message: `the check failed: ${String(err)}` }))
        .then((v) => {
          this.remember(key, v);
          this.running.delete(key);
          if (!this.closed) this.changed.next();
        });
      this.running.set(key, run);
    }
    return undefined;
  }

  /** Whether a check is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when every running check has ended. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Stops announcing verdicts. */
  close(): void {
    this.closed = true;
    this.changed.complete();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Envoy's verdict on the patched resources. When Envoy refuses them, the unpatched ones are checked too: if Envoy
   * refuses those as well, the fault is in this check (not the patches), so the patches pass on the schema check
   * alone (and the NACK safety net), with a warning; else the policies responsible are searched for.
   */
  private async check(
    nodeId: string,
    patched: NodeResources,
    unpatched: NodeResources,
    policies: readonly PatchPolicyIr[],
  ): Promise<PatchVerdict> {
    const v = await this.validate(nodeId, patched);
    if (v.ok) return v;
    const base = await this.validate(nodeId, unpatched);
    if (base.ok) return { ...v, rejected: await this.culprits(nodeId, unpatched, policies) };
    this.opts.logger("warn", "envoy --mode validate refuses the unpatched resources too; patches sent unchecked", {
      gateway: nodeId,
      error: base.message,
    });
    return { ok: true };
  }

  /**
   * The policies whose patches Envoy refuses (key → Envoy's error), by bisection: each trial validates the node
   * patched by all the policies but some.
   */
  private async culprits(
    nodeId: string,
    unpatched: NodeResources,
    policies: readonly PatchPolicyIr[],
  ): Promise<Map<string, string>> {
    const errors = new Map<string, string>();
    const trial = async (exclude: ReadonlySet<string>): Promise<boolean> => {
      const kept = policies.filter((p) => !exclude.has(patchPolicyKey(p)));
      const v = await this.validate(nodeId, applyPatchPolicies(unpatched, kept).resources);
      if (!v.ok) for (const p of kept) errors.set(patchPolicyKey(p), v.message ?? "rejected");
      return v.ok;
    };
    const { culprits } = await findCulprits(policies.map(patchPolicyKey), trial);
    return new Map(culprits.map((k) => [k, errors.get(k) ?? "rejected"]));
  }

  private async validate(nodeId: string, resources: NodeResources): Promise<PatchVerdict> {
    const dir = await mkdtemp(join(tmpdir(), "egts-patch-"));
    try {
      const file = join(dir, "bootstrap.pb");
      await writeFile(file, validationBootstrap(nodeId, resources));
      return await this.runEnvoy(file);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private runEnvoy(file: string): Promise<PatchVerdict> {
    const args = ["--mode", "validate", "-c", file, "--log-level", "critical", "--disable-hot-restart"];
    return new Promise((resolve) => {
      execFile(this.opts.envoyBin, args, { timeout: this.opts.timeoutMs ?? 20000 }, (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true });
        resolve({ ok: false, message: envoyError(`${stderr}\n${stdout}`) || err.message });
      });
    });
  }

  private remember(key: string, v: PatchVerdict): void {
    this.verdicts.set(key, v);
    if (this.verdicts.size > MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value as string);
  }
}

/** The reason in Envoy's output: its "error initializing configuration" line without the file name, or the last line. */
export function envoyError(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.replace(/^\[[^\]]*\]\s*(\[[^\]]*\]\s*)*/, "").trim())
    .filter(Boolean);
  const init = lines.find((l) => l.includes("error initializing configuration"));
  const line = init ?? lines[lines.length - 1] ?? "";
  return line.replace(/^error initializing configuration '[^']*':\s*/, "");
}

/** A key for a node's resources: sha256 over the node id and every type, name and encoded value, sorted. */
function contentKey(nodeId: string, resources: NodeResources): string {
  const h = createHash("sha256").update(nodeId);
  for (const type of [...resources.keys()].sort()) {
    const byName = resources.get(type) ?? new Map();
    for (const name of [...byName.keys()].sort()) {
      h.update(`\0${type}\0${name}\0`).update((byName.get(name) as { value: Uint8Array }).value);
    }
  }
  return h.digest("hex");
}
