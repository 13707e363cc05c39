/** A route rule match attached to a listener: the unit the virtual host builder sorts. */
import type { RouteIr } from "../ir/xds-ir";

/** One (rule, match) of a route, attached to one listener for one hostname. */
export interface RouteEntry {
  /** Hostname it serves (`*` for any). */
  readonly hostname: string;
  /**
   * The route's own hostname that gave `hostname` (`*` when the route has none): among entries of equal
   * `hostname`, the more specific origin comes first (GatewayRouteHostnameIntersectionPrecedence).
   */
  readonly origin?: string;
  /** The IR route. */
  readonly route: RouteIr;
  /** Sort keys for the spec's precedence ties: creation time, `namespace/name`, rule and match index. */
  readonly tie: { readonly created: string; readonly key: string; readonly rule: number; readonly match: number };
  /**
   * Set for a GRPCRoute's entry: its precedence key (service, method, header matches; see grpcroute.ts),
   * compared element by element, larger first. Absent for an HTTPRoute's entry.
   */
  readonly grpc?: readonly number[];
}

/** What a route's entries on one listener are built from, besides its compiled rules (see {@link stableEntries}). */
export interface EntryPlace {
  /** The intersected hostname. */
  readonly hostname: string;
  /** The route hostname it comes from. */
  readonly origin: string;
  /** The route's creation time. */
  readonly created: string;
  /** The route's `namespace/name`. */
  readonly key: string;
  /** The listener's protocol and port, when the entries' IR routes depend on them (redirects); else "". */
  readonly listener: string;
}

/**
 * A route's entries at one {@link EntryPlace}, kept per compiled output (ADR 0018): while a route's compile is
 * reused (compile-memo.ts: the same route object, nothing it read changed), attaching it the same way again yields
 * the very same entry objects, so the virtual host reuse compare (virtual-hosts.ts) finds them equal by identity
 * instead of field by field. `owner` is the compiled output (a new compile: new entries); `place` must hold
 * everything `build` reads besides `owner`.
 *
 * Held weakly by the compiled output, so the entries go when the compile does; per output, one list per place
 * seen (bounded by the route's hostnames × the listener ports it was attached to).
 */
export function stableEntries(owner: object, place: EntryPlace, build: () => RouteEntry[]): readonly RouteEntry[] {
  let known = entriesByOwner.get(owner);
  if (!known) entriesByOwner.set(owner, (known = []));
  for (const k of known) if (samePlace(k.place, place)) return k.entries;
  const entries = build();
  known.push({ place, entries });
  return entries;
}

function samePlace(a: EntryPlace, b: EntryPlace): boolean {
  return (
    a.hostname === b.hostname &&
    a.origin === b.origin &&
    a.created === b.created &&
    a.key === b.key &&
    a.listener === b.listener
  );
}

const entriesByOwner = new WeakMap<object, { place: EntryPlace; entries: readonly RouteEntry[] }[]>();
