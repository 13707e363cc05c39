/**
 * The scoped layout's state of one RouteConfiguration across passes (ADR 0030): the virtual hosts it last saw, their
 * domains with a count per domain, and the scopes it made of them. The build hands an unchanged virtual host over as
 * the same bytes object (ADR 0012, route-parts.ts), and hosts keep their order, so what changed between two passes is
 * one window of the list: the hosts before it and after it are found by comparing references, and only the hosts in
 * the window are looked at (their domains counted, their scopes made). A pass is then O(hosts) reference compares and
 * array copies plus O(changed) work, instead of a memo lookup, a key string and a set insertion per host.
 *
 * Nothing here decides what a scope is: the domains of a host and the scopes of a host come from the functions the
 * caller passes, so the state only saves calling them again for hosts outside the window.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { LayeredMap } from "../../ir/layered-map";
import { listWindow, splicedWindow, unchangedWindow } from "../../ir/list-window";

/** A host's scopes: name and packed ScopedRouteConfiguration. */
export type HostScopes = readonly (readonly [string, Any])[];

/** One RouteConfiguration's hosts, domains and scopes as the scoped layout last saw and made them. */
export class ScopedHosts {
  private hosts: readonly Uint8Array[] = [];
  private domains: (readonly string[])[] = [];
  private readonly count = new Map<string, number>();
  /** Domains that rule the layout out: empty or wildcard ones, and each occurrence of a domain after its first. */
  private bad = 0;
  /** The hosts the scopes were last made for, what each became, and the settings (interned id) they were made with. */
  private scopedFor: readonly Uint8Array[] = [];
  private perHost: HostScopes[] = [];
  private scopedWith = -1;
  /** The map {@link scopes} returned last. */
  private out: LayeredMap<string, Any> | undefined;

  /**
   * Takes this pass's hosts (`domainsOf` gives a host's domains); true when every domain is exact (not empty, no `*`)
   * and no domain comes twice.
   */
  exact(hosts: readonly Uint8Array[], domainsOf: (vh: Uint8Array) => readonly string[]): boolean {
    const w = listWindow(this.hosts, hosts);
    for (let i = w.from; i < w.beforeTo; i++) for (const d of this.domains[i]) this.remove(d);
    const middle: (readonly string[])[] = [];
    for (let i = w.from; i < w.afterTo; i++) {
      const domains = domainsOf(hosts[i]);
      for (const d of domains) this.add(d);
      middle.push(domains);
    }
    this.domains = splicedWindow(this.domains, w, middle);
    this.hosts = hosts;
    return this.bad === 0;
  }

  /** The domains of the `i`th host {@link exact} last took. */
  domainsAt(i: number): readonly string[] {
    return this.domains[i];
  }

  /**
   * The scopes of the hosts {@link exact} last took, in host order, made with the settings interned as `settings`:
   * `make(i)` gives the scopes of the `i`th host; hosts outside the changed window keep what they became last time.
   * Nothing changed: the map returned last time (the cache then skips the type, snapshot-cache.ts). Otherwise the last
   * map with the window's scopes taken out and put in (a {@link LayeredMap}: O(changed), ADR 0040). Read-only.
   */
  scopes(settings: number, make: (i: number) => HostScopes): ReadonlyMap<string, Any> {
    const hosts = this.hosts;
    const flat = (): Map<string, Any> => {
      const out = new Map<string, Any>();
      for (const list of this.perHost) for (const [name, any] of list) out.set(name, any);
      return out;
    };
    if (settings !== this.scopedWith || this.out === undefined) {
      this.perHost = hosts.map((_, i) => make(i));
      this.out = LayeredMap.flat(flat());
    } else {
      const w = listWindow(this.scopedFor, hosts);
      if (!unchangedWindow(w)) {
        // Domains are unique among the hosts (exact): the window's old scopes go, its new ones come.
        const edits = new Map<string, Any | undefined>();
        for (let i = w.from; i < w.beforeTo; i++) for (const [name] of this.perHost[i]) edits.set(name, undefined);
        const middle: HostScopes[] = [];
        for (let i = w.from; i < w.afterTo; i++) {
          const made = make(i);
          for (const [name, any] of made) edits.set(name, any);
          middle.push(made);
        }
        this.perHost = splicedWindow(this.perHost, w, middle);
        this.out = this.out.edited(edits, flat);
      }
    }
    this.scopedFor = hosts;
    this.scopedWith = settings;
    return this.out;
  }

  private add(d: string): void {
    if (inexact(d)) this.bad++;
    const n = this.count.get(d) ?? 0;
    if (n > 0) this.bad++;
    this.count.set(d, n + 1);
  }

  private remove(d: string): void {
    if (inexact(d)) this.bad--;
    const n = this.count.get(d)!;
    if (n > 1) this.bad--;
    if (n === 1) this.count.delete(d);
    else this.count.set(d, n - 1);
  }
}

/** A domain no scope key can be: empty, or with a wildcard. */
function inexact(d: string): boolean {
  return d === "" || d.includes("*");
}
