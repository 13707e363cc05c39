/**
 * Memoised per-HTTPRoute compile (ADR 0009): an HTTPRoute's rules → IR routes and clusters (compileRules) are reused
 * across translations while the route object and everything its compile can read are unchanged. Providers hand
 * out the same object while it is unchanged (the file provider's parse cache, the Kubernetes reflector's store),
 * so the key is the route object itself; what its compile can read is every other object of the snapshot
 * (Services, EndpointSlices, Backends, ReferenceGrants, BackendTLSPolicies, ConfigMaps, Secrets, HTTPRouteFilters,
 * extension objects, …) and the options, compared element by element by identity: any change there starts a new
 * generation and every route compiles again. Correctness over reuse: a finer dependency tracking would reuse
 * more on a Service change, at the risk of a stale cluster.
 *
 * The translation stays a pure function of the snapshot: a hit returns what the compile would return (the IR is
 * never mutated after it is built), and replays what the compile recorded in the BackendIndex (Backends used,
 * BackendTLSPolicies of clusters), in the same order, so statuses are the same.
 */
import type { HTTPRoute } from "../resources/gateway-api";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { BackendIndex, BackendIndexEffect } from "./backends";
import type { ExtensionRefIndex } from "./filters/extension-refs";
import { compileRules, type CompiledRules } from "./httproute-rules";

/** One memoised compile. */
interface Entry {
  readonly generation: number;
  readonly compiled: CompiledRules;
  readonly effects: readonly BackendIndexEffect[];
}

/** The snapshot fields HTTPRoutes do not depend on in their compile (the routes themselves, and L4/gRPC routes). */
const ROUTE_FIELDS: ReadonlySet<string> = new Set(["httpRoutes", "grpcRoutes", "tlsRoutes", "tcpRoutes", "udpRoutes"]);

/** The memo of one translator process (module state; translations may alternate snapshots: it only costs reuse). */
export class CompileMemo {
  private generation = 0;
  private deps: readonly (readonly unknown[])[] = [];
  private options = "";
  private entries = new WeakMap<HTTPRoute, Entry>();

  /**
   * Starts a translation of `snapshot` with these options (JSON-able: the Backend settings and extension kinds):
   * a new generation unless every dependency is the same as the previous translation's.
   */
  begin(snapshot: ResourceSnapshot, options: unknown): void {
    const deps = dependencies(snapshot);
    const opts = JSON.stringify(options) ?? "";
    if (opts === this.options && sameLists(deps, this.deps)) return;
    this.generation++;
    this.deps = deps;
    this.options = opts;
    this.entries = new WeakMap(); // the old generation's entries can never hit again
  }

  /** compileRules(route, backends, extensions), reused when this generation compiled the same route object. */
  compile(route: HTTPRoute, backends: BackendIndex, extensions: ExtensionRefIndex): CompiledRules {
    const hit = this.entries.get(route);
    if (hit && hit.generation === this.generation) {
      backends.replay(hit.effects);
      return hit.compiled;
    }
    const { value, effects } = backends.recording(() => compileRules(route, backends, extensions));
    this.entries.set(route, { generation: this.generation, compiled: value, effects });
    return value;
  }
}

/** Every list of the snapshot but the routes', in a fixed order (policies by kind, then the others by field). */
function dependencies(s: ResourceSnapshot): (readonly unknown[])[] {
  const out: (readonly unknown[])[] = [];
  for (const [field, value] of Object.entries(s).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (ROUTE_FIELDS.has(field)) continue;
    if (Array.isArray(value)) out.push(value);
    else if (field === "policies" && value) {
      for (const [, list] of Object.entries(value as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        out.push(Array.isArray(list) ? (list as unknown[]) : [list]);
    } else out.push([field, value]);
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
