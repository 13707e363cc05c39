/**
 * The Kubernetes provider: one reflector per watched kind (per namespace in namespaced mode) merged into a
 * store, and, once every reflector has synced, a debounced stream of immutable snapshots of it. Nothing is
 * emitted before the initial sync, so the translator never sees a half-listed cluster. A change after a quiet
 * period is emitted at once (no debounce delay on a lone change); the changes that follow it within the
 * quiet period are debounced together.
 *
 * A watch event that changes only the `status` (or the `metadata.resourceVersion`) of a Gateway API or Envoy
 * Gateway object updates the store but starts no pass (ADR 0013): nothing reads their status but the status
 * writer, so such a pass would translate the same input (each status write's own watch event used to start one).
 * Other objects' status is read (a proxy Service's load balancer ingress gives its Gateway's addresses and
 * Programmed condition; extension objects reach the extension server whole): their changes start passes. The next snapshot carries the new status and
 * resourceVersion (the status writer compares against them). When the status writer needs a pass to retry (a
 * write skipped as behind, a conflict, an error), it asks through `passRequests`: a status-only event suppressed
 * since the last snapshot is then emitted at once, else the next one is.
 */
import { isDeepStrictEqual } from "node:util";
import { filter, map, merge, NEVER, Observable, scan, tap } from "rxjs";
import type { Logger } from "../../log";
import type { LabelSelector } from "../../resources/gateway-api";
import { selectorMatches } from "../../resources/labels";
import type { KubeObject } from "../../resources/meta";
import { snapshotFromObjects, type ResourceSnapshot, type UnservedKind } from "../../resources/snapshot";
import { debounceWithMaxWait } from "../../streams/debounce";
import type { KubeClient } from "./client";
import { apiVersionOf, collectionPath, WATCHED_KINDS, type WatchedKind } from "./kinds";
import { absenceCheck } from "./served-versions";
import { newReflectorStats, reflect, type ReflectorEvent, type ReflectorStats } from "./reflector";

/** Provider settings; the watch modes are Envoy Gateway's `provider.kubernetes.watch`. */
export interface KubernetesProviderOptions {
  /** Only GatewayClasses with this controllerName are read. */
  readonly controllerName: string;
  /** Watch only these namespaces (namespaced kinds); cluster-wide when absent. @default all */
  readonly namespaces?: readonly string[];
  /** Read namespaced objects only from namespaces whose labels match. @default all */
  readonly namespaceSelector?: LabelSelector;
  /**
   * With `namespaces` or `namespaceSelector`: a namespace watched whatever they say (Envoy Gateway always
   * includes the namespace it runs in).
   */
  readonly ownNamespace?: string;
  /** Quiet period after a change. @default 50 */
  readonly debounceMs?: number;
  /** Longest wait under a steady stream of changes. @default 500 */
  readonly maxWaitMs?: number;
  /** Reflector backoff. @default 200 first, 30000 at most */
  readonly initialBackoffMs?: number;
  /** Logger. */
  readonly log: Logger;
  /** Counters of all reflectors together. */
  readonly stats?: ReflectorStats;
  /** Kinds to watch. @default WATCHED_KINDS */
  readonly kinds?: readonly WatchedKind[];
  /** Asks for a snapshot after status-only changes (see the module comment). @default never */
  readonly passRequests?: Observable<unknown>;
  /**
   * Whether status-only changes start no snapshot now. The controller says so only while it leads: a follower
   * keeps every status in its snapshots, so that its first pass as the new leader compares against the status
   * the old leader wrote (and writes none). @default always
   */
  readonly suppressStatusOnly?: () => boolean;
  /**
   * Called for each change a later snapshot will carry, as it arrives (before the debounce): a newer pass is
   * on its way (the controller holds changing statuses for it, ADR 0029). @default none
   */
  readonly onChange?: () => void;
}

/**
 * Secret types the translator reads (`kubernetes.io/dockerconfigjson`: EnvoyExtensionPolicy Wasm image pull
 * secrets); others (Helm releases, tokens) are dropped to save memory.
 */
const SECRET_TYPES = new Set(["kubernetes.io/tls", "Opaque", "kubernetes.io/dockerconfigjson", undefined]);

interface Source {
  readonly id: string;
  readonly kind: WatchedKind;
  readonly path: string;
}

interface Store {
  readonly objects: Map<string, Map<string, KubeObject>>;
  readonly synced: Set<string>;
  /** Per kind: served only in versions we do not read. */
  readonly unserved: Map<string, UnservedKind>;
  /** Whether the last event calls for a snapshot (anything but a status-only change, or one asked for). */
  changed: boolean;
  /** Status-only changes stored since the last snapshot. */
  suppressed: number;
  /** A pass was asked for: the next status-only change calls for a snapshot. */
  wanted: boolean;
}

/** API groups of the objects whose status only the status writer reads (see the module comment). */
const STATUS_UNREAD_GROUPS = ["gateway.networking.k8s.io/", "gateway.envoyproxy.io/"];

/** Whether a status-only change of `o` needs no pass: it is a Gateway API or Envoy Gateway object. */
export function statusUnread(o: KubeObject): boolean {
  return STATUS_UNREAD_GROUPS.some((g) => o.apiVersion?.startsWith(g));
}

/** Whether `b` differs from `a` only in `status` and `metadata.resourceVersion` (what a status write changes). */
export function statusOnlyChange(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { status: _s, metadata, ...rest } = o as KubeObject & { status?: unknown };
    const {
      resourceVersion: _v,
      managedFields: _m,
      ...meta
    } = metadata as KubeObject["metadata"] & {
      managedFields?: unknown;
    };
    return { ...rest, metadata: meta };
  };
  return isDeepStrictEqual(strip(a), strip(b));
}

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

function sourcesOf(kinds: readonly WatchedKind[], namespaces?: readonly string[]): Source[] {
  return kinds.flatMap((kind) => {
    const scoped = kind.namespaced && namespaces && namespaces.length > 0 ? namespaces : [undefined];
    return scoped.map((ns) => ({ id: `${kind.kind}@${ns ?? "*"}`, kind, path: collectionPath(kind, ns) }));
  });
}

function apply(store: Store, source: string, e: ReflectorEvent, suppress: () => boolean): Store {
  let bucket = store.objects.get(source);
  if (!bucket || e.type === "sync") {
    bucket = new Map();
    store.objects.set(source, bucket);
  }
  if (e.type === "sync") {
    for (const o of e.items) bucket.set(objectKey(o), o);
    store.synced.add(source);
    const kind = source.slice(0, source.indexOf("@"));
    if (e.unserved) store.unserved.set(kind, e.unserved);
    else store.unserved.delete(kind);
  } else if (e.type === "upsert") {
    const key = objectKey(e.object);
    const old = bucket.get(key);
    bucket.set(key, e.object);
    if (old && statusUnread(e.object) && suppress() && statusOnlyChange(old, e.object)) {
      store.changed = store.wanted;
      store.wanted = false;
      if (!store.changed) store.suppressed++;
      return store;
    }
  } else bucket.delete(objectKey(e.object));
  store.changed = true;
  return store;
}

/** A pass was asked for: at once if a status-only change was stored since the last snapshot, else at the next. */
function requestPass(store: Store): Store {
  store.changed = store.suppressed > 0;
  store.wanted = !store.changed;
  return store;
}

/** Whether the translator should see `o`, given the controller name and the namespace selector. */
function wanted(o: KubeObject, opts: KubernetesProviderOptions, selected?: ReadonlySet<string>): boolean {
  if (o.kind === "GatewayClass") {
    return (o.spec as { controllerName?: string } | undefined)?.controllerName === opts.controllerName;
  }
  if (o.kind === "Secret" && !SECRET_TYPES.has((o as KubeObject & { type?: string }).type)) return false;
  if (selected && o.kind !== "Namespace" && o.metadata.namespace !== undefined) {
    return selected.has(o.metadata.namespace);
  }
  return true;
}

/** Builds the snapshot of the store as it is now. */
function snapshotOf(store: Store, opts: KubernetesProviderOptions): ResourceSnapshot {
  const all: KubeObject[] = [];
  for (const bucket of store.objects.values()) all.push(...bucket.values());
  const selector = opts.namespaceSelector;
  const selected = selector
    ? new Set(
        all
          .filter((o) => o.kind === "Namespace" && selectorMatches(selector, o.metadata.labels ?? {}))
          .map((o) => o.metadata.name),
      )
    : undefined;
  if (opts.ownNamespace !== undefined) selected?.add(opts.ownNamespace);
  const snapshot = snapshotFromObjects(all.filter((o) => wanted(o, opts, selected)));
  return store.unserved.size > 0 ? { ...snapshot, unservedKinds: [...store.unserved.values()] } : snapshot;
}

/** The stream of snapshots; see the module comment. Unsubscribing stops every watch. */
export function kubernetesSnapshots(client: KubeClient, opts: KubernetesProviderOptions): Observable<ResourceSnapshot> {
  const own = opts.ownNamespace;
  const namespaces =
    opts.namespaces && own !== undefined && !opts.namespaces.includes(own)
      ? [...opts.namespaces, own]
      : opts.namespaces;
  const sources = sourcesOf(opts.kinds ?? WATCHED_KINDS, namespaces);
  const stats = opts.stats ?? newReflectorStats();
  // One check per kind (not per namespace): one warning however many namespaces are watched.
  const absences = new Map((opts.kinds ?? WATCHED_KINDS).map((k) => [k.kind, absenceCheck(client, k, opts.log)]));
  const events = sources.map((s) =>
    reflect(client, s.path, {
      log: opts.log,
      stats,
      optional: s.kind.optional ?? false,
      absence: absences.get(s.kind.kind),
      stamp: { apiVersion: apiVersionOf(s.kind), kind: s.kind.kind },
      ...(opts.initialBackoffMs !== undefined ? { initialBackoffMs: opts.initialBackoffMs } : {}),
    }).pipe(map((event) => ({ source: s.id, event }))),
  );
  const seed: Store = {
    objects: new Map(),
    synced: new Set(),
    unserved: new Map(),
    changed: false,
    suppressed: 0,
    wanted: false,
  };
  const suppress = opts.suppressStatusOnly ?? ((): boolean => true);
  const requests = (opts.passRequests ?? NEVER).pipe(map(() => ({ source: "", event: undefined })));
  return merge(...events, requests).pipe(
    scan((store, { source, event }) => {
      if (event === undefined) return requestPass(store);
      const before = store.suppressed;
      const next = apply(store, source, event, suppress);
      if (next.suppressed > before) stats.statusOnly++;
      return next;
    }, seed),
    filter((store) => store.synced.size === sources.length && store.changed),
    tap(() => opts.onChange?.()),
    debounceWithMaxWait(opts.debounceMs ?? 50, opts.maxWaitMs ?? 500, { leading: true }),
    map((store) => {
      store.suppressed = 0;
      store.wanted = false;
      const snapshot = snapshotOf(store, opts);
      opts.log("debug", "snapshot", {
        gateways: snapshot.gateways.length,
        httpRoutes: snapshot.httpRoutes.length,
        namespaces: namespaces?.join(",") ?? (opts.namespaceSelector ? "selected" : "all"),
      });
      return snapshot;
    }),
  );
}
