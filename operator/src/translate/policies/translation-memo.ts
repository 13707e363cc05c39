/**
 * Memoised per-policy translation (ADR 0014, like the HTTPRoute compile memo of ADR 0009): what a policy's spec
 * translates to is reused across translations while the policy object and everything its translation can read are
 * unchanged. Providers hand out the same object while it is unchanged, so the key is the policy object itself; what
 * its translation can read is every list of the snapshot other than the routes' and the policies' (ConfigMaps,
 * Secrets, Services, Backends, ReferenceGrants, EnvoyProxies, …: a spec translation reads no route and no other
 * policy), compared element by element by identity, and the options the kind passes (compared as JSON): any change
 * there starts a new generation and every policy translates again.
 *
 * Only the translation of a policy's own spec is memoised: attaching (targets, conflicts, Overridden), merging
 * chains, deciding routes and every status condition are made again in each translation from the memoised value,
 * so the translation stays a pure function of the snapshot (a hit returns what the translation would return; the
 * value is never mutated).
 */
import type { KubeObject } from "../../resources/meta";
import type { ResourceSnapshot } from "../../resources/snapshot";

/** Snapshot fields a policy spec's translation does not read: the routes and the policies. */
const NOT_READ: ReadonlySet<string> = new Set([
  "httpRoutes",
  "grpcRoutes",
  "tlsRoutes",
  "tcpRoutes",
  "udpRoutes",
  "policies",
]);

/** One memo of one policy kind's spec translations (module state of the kind's file). */
export class TranslationMemo<T> {
  private deps: readonly (readonly unknown[])[] = [];
  private options: string | undefined;
  private entries = new WeakMap<KubeObject, T>();
  private hits = 0;

  /**
   * Starts a translation of `snapshot` with these options (JSON-able): a new generation (nothing reused) unless
   * every dependency is the same as in the previous translation.
   */
  begin(snapshot: ResourceSnapshot, options: unknown): void {
    const deps = dependencies(snapshot);
    const opts = JSON.stringify(options) ?? "";
    this.hits = 0;
    if (opts === this.options && sameLists(deps, this.deps)) return;
    this.deps = deps;
    this.options = opts;
    this.entries = new WeakMap(); // the old generation's entries can never hit again
  }

  /** `translate()` of `policy`, reused when this generation translated the same policy object. */
  get(policy: KubeObject, translate: () => T): T {
    const hit = this.entries.get(policy);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    const value = translate();
    this.entries.set(policy, value);
    return value;
  }

  /** How many translations this translation reused (for tests and benchmarks). */
  get reused(): number {
    return this.hits;
  }
}

/** Every list of the snapshot a spec translation can read, in a fixed order (by field). */
function dependencies(s: ResourceSnapshot): (readonly unknown[])[] {
  const out: (readonly unknown[])[] = [];
  for (const [field, value] of Object.entries(s).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (NOT_READ.has(field)) continue;
    out.push(Array.isArray(value) ? (value as unknown[]) : [field, value]);
  }
  return out;
}

/** Whether two lists of lists hold the same elements (by identity) in the same order. */
function sameLists(a: readonly (readonly unknown[])[], b: readonly (readonly unknown[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}
