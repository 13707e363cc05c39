/**
 * Output reuse across passes of the route layouts (ADR 0024): what the VHDS split (vhds.ts) and the scoped layout
 * (scoped.ts) make of a virtual host's bytes, a RouteConfiguration's settings or a listener is kept per bytes (or
 * `Any`) object, so a pass where one virtual host changed makes one virtual host's resources, not every one's.
 *
 * It relies on the build handing out an unchanged virtual host as the same bytes object (ADR 0012's build memo with
 * route-parts.ts) and on encoded bytes never being mutated. A kept output is exactly what making it again returns:
 * the key object's bytes and the variant string are everything it is made from. Entries are keyed by object
 * identity (WeakMaps: they go with the bytes); the interned settings keep one entry per RouteConfiguration name.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { ScopedHosts } from "./scoped-window";
import { StateByName } from "../../ir/list-window";

/** Outputs made from an object and a variant string, kept per object (its last variant). */
export class Derived<T> {
  private readonly byKey = new WeakMap<object, { readonly variant: string; readonly value: T }>();

  /** The output kept for `key` in `variant`, else `make()`'s (then kept). */
  get(key: object, variant: string, make: () => T): T {
    const known = this.byKey.get(key);
    if (known && known.variant === variant) return known.value;
    const value = make();
    this.byKey.set(key, { variant, value });
    return value;
  }
}

/** Bytes seen under a name, with an id that changes when they do. */
export interface Interned {
  readonly bytes: Uint8Array;
  readonly id: number;
}

/** Most names whose bytes are interned before the table starts again (ids are never reused). */
const MAX_INTERNED = 4096;

/** The layouts' kept outputs (see the module comment). One per process is enough: {@link sharedLayoutMemo}. */
export class LayoutMemo {
  /** VHDS: a virtual host's resource name and packed VirtualHost, per VirtualHost bytes, in a RouteConfiguration. */
  readonly vhdsHosts = new Derived<readonly [string, Any]>();
  /** VHDS: the packed RouteConfiguration without virtual hosts, per interned settings, by name. */
  readonly vhdsRoutes = new Derived<Any>();
  /** Scoped: a virtual host's scopes, per VirtualHost bytes, in a RouteConfiguration with interned settings. */
  readonly scopes = new Derived<readonly (readonly [string, Any])[]>();
  /** Scoped: a virtual host's domains, per VirtualHost bytes. */
  readonly domains = new Derived<readonly string[]>();
  /** Scoped: the RouteConfiguration names of a packed listener's connection managers. */
  readonly rdsNames = new Derived<readonly string[]>();
  /** Scoped: a packed listener with the connection manager of one RouteConfiguration on scoped routes. */
  readonly scopedListeners = new Derived<Any>();
  private readonly interned = new Map<string, Interned>();
  private nextId = 1;
  private readonly scoped = new StateByName(() => new ScopedHosts(), MAX_INTERNED);

  /** Scoped: the state of the RouteConfiguration named `rc` across passes (scoped-window.ts). */
  scopedHosts(rc: string): ScopedHosts {
    return this.scoped.get(rc);
  }

  /** `bytes`, or the equal bytes last interned under `name` (the same object and id while they do not change). */
  intern(name: string, bytes: Uint8Array): Interned {
    const known = this.interned.get(name);
    if (known && Buffer.compare(known.bytes, bytes) === 0) return known;
    if (this.interned.size >= MAX_INTERNED) this.interned.clear();
    const fresh = { bytes, id: this.nextId++ };
    this.interned.set(name, fresh);
    return fresh;
  }
}

/** The memo the pipeline's layouts share. */
export const sharedLayoutMemo = new LayoutMemo();
