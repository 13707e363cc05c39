/**
 * State and push logic of one DeltaAggregatedResources stream.
 *
 * Requests are handled as they arrive (subscriptions, ACK/NACK); pushes are serialized on a promise chain so
 * only one sync runs at a time. A sync pushes additions/updates in ADD_ORDER, waiting for each ACK, waits for
 * Envoy to subscribe to the endpoints of newly sent EDS clusters before going on to listeners and routes, and
 * then pushes removals in REMOVE_ORDER.
 */
import * as grpc from "@grpc/grpc-js";
import { unpack } from "../../../../proto/any";
import { Cluster_DiscoveryType } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from "../../../../proto/gen/envoy/service/discovery/v3/discovery";
import type { CachedResource, NodeSnapshot, NodeVersion, XdsCache } from "../cache/snapshot-cache";
import { ADD_ORDER, ClusterType, REMOVE_ORDER, TypeUrl } from "../types";
import type { NodeRefusal } from "./token-auth";
import { vhdsNamespace } from "../translate/vhds";
import { shortName, type CounterName, type XdsEvent, type XdsLogger } from "./types";
import { buildText, envoyBuildOf, type EnvoyBuild } from "./older-envoys";

/** Who may be served which node on one stream. */
export interface StreamAccess {
  /** The node ids the client's certificate grants (undefined: no certificate check, plaintext on loopback). */
  readonly grantedNodeIds?: readonly string[];
  /** Decides on the node id of the first request (service-account token, token-auth.ts); undefined: no check. */
  readonly authorize?: (nodeId: string) => Promise<NodeRefusal | undefined>;
}

/** Most requests held while the first one's node id is being authorized. */
const MAX_HELD_REQUESTS = 64;

/**
 * Outcome of waiting for the reply to one response; "released" means the wait ended early because what it
 * waited for happened otherwise (Envoy subscribed to the endpoints of new clusters before ACKing them).
 */
export type AckResult = "ack" | "nack" | "timeout" | "closed" | "released";

/** What a stream needs from its server. */
export interface StreamContext {
  /** The resource cache. */
  readonly cache: XdsCache;
  /** Logger. */
  readonly log: XdsLogger;
  /** ACK wait per response. */
  readonly ackTimeoutMs: number;
  /** Wait for EDS subscriptions after new EDS clusters. */
  readonly edsSubscribeWaitMs: number;
  /** Most names per type per stream. */
  readonly maxNamesPerType: number;
  /** Most types per stream. */
  readonly maxTypesPerStream: number;
  /** Called once the node id is known. */
  register(stream: DeltaStream): void;
  /** Called once when the stream ends (whether or not it was registered). */
  unregister(stream: DeltaStream): void;
  /** Emits an event. */
  emit(event: XdsEvent): void;
  /** Adds to a counter of (node, type). */
  count(nodeId: string, typeUrl: string, counter: CounterName, n: number): void;
  /** Counts a stream refused because its certificate does not grant the node id it asked for. */
  refused(): void;
  /**
   * Waits (bounded) before one phase of a sync of snapshot `version`, so that a node's ADS and VHDS streams keep
   * ADR 0002's order between them (see server.ts); resolves at once when the node has one kind of stream.
   */
  gate?(stream: DeltaStream, phase: SyncPhase, version: number): Promise<void>;
  /** Called when a stream's sync progress (the versions below) moved. */
  progressed?(): void;
  /**
   * Called once the node id is known, with the Envoy release the node announces; a promise holds the stream's
   * requests until it settles (an Envoy older than 1.38 waits for its node's inline layout, older-envoys.ts).
   */
  admit?(stream: DeltaStream, build: EnvoyBuild | undefined): Promise<void> | undefined;
}

/** The two phases of a sync: additions and updates, then removals. */
export type SyncPhase = "upserts" | "removals";

/** Subscription state of one type on one stream. */
export interface TypeState {
  /** Client wants every resource of the type. */
  wildcard: boolean;
  /** Explicitly subscribed names. */
  readonly subscribed: Set<string>;
  /** name → version the client has, or was sent (ACKed or not). */
  readonly sent: Map<string, string>;
  /** Nonce of the last response of this type. */
  pendingNonce?: string;
  /**
   * Subscribed names are namespaces: a resource is wanted when the part of its name before the last `/` is
   * subscribed (VHDS: Envoy subscribes to a route configuration's name and wants its `<name>/<host>` virtual hosts).
   */
  readonly namespaces: boolean;
  /**
   * Bumped whenever `subscribed`, `wildcard` or `sent` change outside a sync's sends (a request, a NACK's undo, a
   * resend): a sync that saw it change while it ran does not mark the type {@link reconciled}.
   */
  changes: number;
  /**
   * The node's snapshot version at which a sync last left the client with every resource of the type it wants (or
   * was sent it), with nothing changed since but the snapshot: the next sync looks only at the names the cache
   * changed after it (XdsCache.changedSince, ADR 0037). Undefined: look at every resource.
   */
  reconciled?: NodeVersion;
}

interface Outstanding {
  readonly typeUrl: string;
  readonly names: readonly string[];
  readonly resolve: (r: AckResult) => void;
  /**
   * Types of many small resources per change (VHDS, SRDS: {@link UNDONE_ON_NACK}) only: what the client had of each
   * resource of the response before it (undefined: not there), and what the response set. Envoy rejects a response
   * as a whole, so on a NACK none of it was applied.
   */
  readonly undo?: ReadonlyMap<string, { readonly before: string | undefined; readonly sent: string | undefined }>;
}

type DuplexCall = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

const MAX_OUTSTANDING = 64;

/**
 * Types whose rejected responses are forgotten (undoRejected): one resource per virtual host or per routing scope, so
 * a good one NACKed alongside a bad one is unchanged in the next pass and would otherwise never be sent again (with
 * one RouteConfiguration per listener, the next change resends it whole anyway).
 */
const UNDONE_ON_NACK: ReadonlySet<string> = new Set([TypeUrl.VirtualHost, TypeUrl.ScopedRoute]);

/** One delta ADS stream. */
export class DeltaStream {
  /** Envoy node id, known after the first request. */
  nodeId = "";
  private readonly types = new Map<string, TypeState>();
  private readonly outstanding = new Map<string, Outstanding>();
  private requestWaiters: Array<() => void> = [];
  private nonceCounter = 0;
  private chain: Promise<void> = Promise.resolve();
  private syncQueued = false;
  private closed = false;
  private hadSnapshot = false;
  /** Requests received while the node id is being authorized (undefined: not waiting). */
  private held?: DeltaDiscoveryRequest[];
  /** Snapshot version whose additions this stream last finished pushing (0: none). */
  upsertedVersion = 0;
  /** Snapshot version this stream last finished syncing (0: none). */
  syncedVersion = 0;
  /** Snapshot version of the sync running now or last (0: none). */
  workingVersion = 0;

  /**
   * Wires the stream to a grpc call; `id` is unique per server. `access` says who may be served which node
   * (no check when empty).
   */
  constructor(
    readonly id: number,
    private readonly call: DuplexCall,
    private readonly ctx: StreamContext,
    private readonly access: StreamAccess = {},
    /** VHDS streams: the route configuration whose virtual hosts the stream carries, when its metadata names it. */
    private readonly routeConfiguration?: string,
  ) {
    call.on("data", (req: DeltaDiscoveryRequest) => {
      try {
        this.onRequest(req);
      } catch (err) {
        this.ctx.log("error", "xds request handling failed", { stream: id, node: this.nodeId, error: String(err) });
      }
    });
    call.on("end", () => {
      this.close();
      this.safeEnd();
    });
    call.on("cancelled", () => this.close());
    call.on("error", (err: Error) => this.close(err.message));
    call.on("close", () => this.close());
  }

  /** True once the stream ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Subscribed names and sent-version entries over all types (the stream's memory, roughly). */
  get nameCount(): number {
    let n = 0;
    for (const ts of this.types.values()) n += ts.subscribed.size + ts.sent.size;
    return n;
  }

  /** Subscription state of a type (for tests and debugging). */
  typeState(typeUrl: string): Readonly<TypeState> | undefined {
    return this.types.get(typeUrl);
  }

  /** Queues a sync unless one is already queued; the queued sync reads the latest snapshot when it starts. */
  requestSync(): void {
    if (this.syncQueued || this.closed || !this.nodeId) return;
    this.syncQueued = true;
    this.chain = this.chain
      .then(() => {
        this.syncQueued = false;
        return this.sync();
      })
      .catch((err: unknown) => {
        this.ctx.log("error", "xds sync failed", { stream: this.id, node: this.nodeId, error: String(err) });
      });
  }

  /**
   * Sends the named resources of a type again, whatever the client was sent: for resources Envoy NACKed
   * for a reason outside their content (a port that was in use), so that it retries them.
   */
  resend(typeUrl: string, names: readonly string[]): void {
    const ts = this.types.get(typeUrl);
    if (!ts) return;
    for (const n of names) ts.sent.delete(n);
    touched(ts);
    this.requestSync();
  }

  /** Ends the stream from the server side (OK status). */
  end(): void {
    this.close();
    this.safeEnd();
  }

  /** Resolves when the current sync chain has drained (for tests and shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private safeEnd(): void {
    try {
      if (!this.call.writableEnded && !this.call.cancelled) this.call.end();
    } catch {
      // the call is already gone
    }
  }

  private close(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.outstanding.values()) o.resolve("closed");
    this.outstanding.clear();
    this.wakeRequestWaiters();
    // Nothing of a closed stream is kept, even if the call object lingers in grpc-js for a while.
    this.types.clear();
    this.ctx.unregister(this);
    if (this.nodeId) {
      this.ctx.log(error ? "warn" : "info", "xds stream closed", { stream: this.id, node: this.nodeId, error });
      this.ctx.emit({ kind: "disconnect", nodeId: this.nodeId, streamId: this.id, error });
    }
  }

  private onRequest(req: DeltaDiscoveryRequest): void {
    if (this.closed) return;
    if (this.held) {
      if (this.held.length >= MAX_HELD_REQUESTS) this.fail(grpc.status.RESOURCE_EXHAUSTED, "too many requests");
      else this.held.push(req);
      return;
    }
    if (!this.nodeId) {
      const nodeId = req.node?.id ?? "";
      if (!nodeId) {
        this.ctx.log("warn", "xds stream without node.id in its first request", { stream: this.id });
        this.closed = true;
        this.ctx.unregister(this);
        this.call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: "first request must carry node.id" });
        return;
      }
      const granted = this.access.grantedNodeIds;
      if (granted && !granted.includes(nodeId)) {
        this.refuse(nodeId, {
          code: grpc.status.PERMISSION_DENIED,
          reason: `the client certificate does not grant node id ${JSON.stringify(nodeId.slice(0, 256))}`,
        });
        return;
      }
      const build = envoyBuildOf(req.node);
      if (this.access.authorize) {
        this.authorizeThenServe(nodeId, build, this.access.authorize, req);
        return;
      }
      this.accept(nodeId, build, [req]);
      return;
    }
    this.serve(req);
  }

  /** Holds the stream's requests until `authorize` decides on `nodeId`; then serves them, or refuses. */
  private authorizeThenServe(
    nodeId: string,
    build: EnvoyBuild | undefined,
    authorize: NonNullable<StreamAccess["authorize"]>,
    first: DeltaDiscoveryRequest,
  ): void {
    this.held = [first];
    authorize(nodeId)
      .catch((err: unknown): NodeRefusal => ({ code: grpc.status.INTERNAL, reason: String(err) }))
      .then((refusal) => {
        const held = this.held ?? [];
        this.held = undefined;
        if (this.closed) return;
        if (refusal) {
          this.refuse(nodeId, refusal);
          return;
        }
        this.accept(nodeId, build, held);
      })
      .catch((err: unknown) => {
        this.ctx.log("error", "xds request handling failed", { stream: this.id, node: nodeId, error: String(err) });
      });
  }

  /**
   * Registers the stream as serving `nodeId` and serves its first requests, once the context admits the Envoy
   * (`build`) they came from: until then, they and those that follow are held.
   */
  private accept(nodeId: string, build: EnvoyBuild | undefined, first: readonly DeltaDiscoveryRequest[]): void {
    this.nodeId = nodeId;
    this.ctx.register(this);
    this.ctx.log("info", "xds stream connected", {
      stream: this.id,
      node: nodeId,
      ...(build ? { envoy: buildText(build) } : {}),
    });
    this.ctx.emit({ kind: "connect", nodeId, streamId: this.id, ...(build ? { envoy: buildText(build) } : {}) });
    const admitted = this.ctx.admit?.(this, build);
    if (!admitted) {
      for (const req of first) if (!this.closed) this.serve(req);
      return;
    }
    this.held = [...first];
    admitted
      .then(() => {
        const held = this.held ?? [];
        this.held = undefined;
        for (const req of held) if (!this.closed) this.serve(req);
      })
      .catch((err: unknown) => {
        this.ctx.log("error", "xds request handling failed", { stream: this.id, node: nodeId, error: String(err) });
      });
  }

  /** Handles one request of a stream whose node is known. */
  private serve(req: DeltaDiscoveryRequest): void {
    const typeUrl = req.typeUrl;
    if (!typeUrl) {
      this.ctx.log("warn", "xds request without type_url ignored", { stream: this.id, node: this.nodeId });
      return;
    }

    const tooMuch = this.exceedsBounds(typeUrl, req);
    if (tooMuch) {
      this.fail(grpc.status.RESOURCE_EXHAUSTED, tooMuch);
      return;
    }
    const changed = this.applySubscriptions(typeUrl, req);
    if (req.responseNonce) this.onReply(typeUrl, req);
    this.wakeRequestWaiters();
    if (changed) this.requestSync();
  }

  /** Why a request would take the stream beyond its bounds, or undefined when it fits. */
  private exceedsBounds(typeUrl: string, req: DeltaDiscoveryRequest): string | undefined {
    const ts = this.types.get(typeUrl);
    if (!ts && this.types.size >= this.ctx.maxTypesPerStream) {
      return `more than ${this.ctx.maxTypesPerStream} resource types on one stream`;
    }
    const subscribed = (ts?.subscribed.size ?? 0) + req.resourceNamesSubscribe.length;
    const versions = (ts?.sent.size ?? 0) + Object.keys(req.initialResourceVersions).length;
    const max = this.ctx.maxNamesPerType;
    if (subscribed > max || versions > max) {
      return `more than ${max} resource names of ${shortName(typeUrl)} on one stream`;
    }
    return undefined;
  }

  /** Ends the stream with an error status (logged). */
  private fail(code: grpc.status, details: string): void {
    this.ctx.log("warn", "xds stream ended: over its bounds", { stream: this.id, node: this.nodeId, error: details });
    this.call.emit("error", { code, details });
    this.close(details);
  }

  /** Ends the stream with the refusal's status: its certificate or its token does not grant `nodeId`. */
  private refuse(nodeId: string, refusal: NodeRefusal): void {
    const granted = this.access.grantedNodeIds;
    this.ctx.log("warn", "xds stream refused", {
      stream: this.id,
      node: nodeId.slice(0, 256),
      code: grpc.status[refusal.code],
      reason: refusal.reason,
      ...(granted ? { granted: granted.slice(0, 4).map((g) => g.slice(0, 256)) } : {}),
    });
    this.ctx.refused();
    this.closed = true;
    this.ctx.unregister(this);
    this.call.emit("error", { code: refusal.code, details: refusal.reason });
  }

  /** Applies (un)subscriptions and initial versions of a request; true when the subscription state changed. */
  private applySubscriptions(typeUrl: string, req: DeltaDiscoveryRequest): boolean {
    let changed = false;
    let ts = this.types.get(typeUrl);
    if (!ts) {
      const namespaces = typeUrl === TypeUrl.VirtualHost;
      // Envoy's VHDS requests name no route configuration (it matches namespaces on its side): the stream's route
      // configuration comes from the stream's metadata (vhds.ts); without it, the stream gets every virtual host.
      const ns = namespaces ? this.routeConfiguration : undefined;
      ts = {
        wildcard: ns === undefined && req.resourceNamesSubscribe.length === 0,
        subscribed: new Set(ns === undefined ? [] : [ns]),
        sent: new Map(),
        namespaces,
        changes: 0,
      };
      this.types.set(typeUrl, ts);
      changed = true;
    }
    const initial = req.initialResourceVersions;
    const names = req.resourceNamesSubscribe.length + req.resourceNamesUnsubscribe.length;
    if (names > 0 || Object.keys(initial).length > 0) touched(ts);
    if (subscribe(ts, req.resourceNamesSubscribe, initial)) changed = true;
    if (unsubscribe(ts, req.resourceNamesUnsubscribe)) changed = true;
    if (ts.namespaces && req.resourceNamesSubscribe.length > 0) {
      // A subscribed namespace is answered in full, whatever the client was sent under it before.
      const fresh = new Set(req.resourceNamesSubscribe);
      for (const n of [...ts.sent.keys()]) if (fresh.has(vhdsNamespace(n)) && !(n in initial)) ts.sent.delete(n);
    }
    for (const [name, version] of Object.entries(initial)) {
      ts.sent.set(name, version);
      changed = true;
    }

    return changed;
  }

  private onReply(typeUrl: string, req: DeltaDiscoveryRequest): void {
    const o = this.outstanding.get(req.responseNonce);
    if (!o) {
      this.ctx.log("debug", "xds reply with unknown nonce", { node: this.nodeId, nonce: req.responseNonce, typeUrl });
      return;
    }
    this.outstanding.delete(req.responseNonce);
    const nack = req.errorDetail !== undefined;
    this.ctx.count(this.nodeId, o.typeUrl, nack ? "nacks" : "acks", 1);
    if (nack) {
      const message = req.errorDetail?.message ?? "";
      this.ctx.log("warn", "envoy rejected xds update (NACK)", {
        stream: this.id,
        node: this.nodeId,
        typeUrl: o.typeUrl,
        nonce: req.responseNonce,
        error: message,
      });
      this.ctx.emit({
        kind: "nack",
        nodeId: this.nodeId,
        streamId: this.id,
        typeUrl: o.typeUrl,
        nonce: req.responseNonce,
        names: o.names,
        error: message,
      });
      if (o.undo) this.undoRejected(o.typeUrl, o.undo);
      o.resolve("nack");
    } else {
      this.ctx.log("debug", "xds ACK", { node: this.nodeId, typeUrl: o.typeUrl, nonce: req.responseNonce });
      this.ctx.emit({
        kind: "ack",
        nodeId: this.nodeId,
        streamId: this.id,
        typeUrl: o.typeUrl,
        nonce: req.responseNonce,
        names: o.names,
      });
      o.resolve("ack");
    }
  }

  /**
   * Forgets a rejected response of a type of {@link UNDONE_ON_NACK}: the client still has what it had before, so the
   * resources of the response that were fine are sent again with the next change. No resync now: the same content
   * would be rejected again.
   */
  private undoRejected(typeUrl: string, undo: NonNullable<Outstanding["undo"]>): void {
    const ts = this.types.get(typeUrl);
    if (!ts) return;
    touched(ts);
    for (const [name, { before, sent }] of undo) {
      if (ts.sent.get(name) !== sent) continue; // a later response changed it
      if (before === undefined) ts.sent.delete(name);
      else ts.sent.set(name, before);
    }
  }

  private wakeRequestWaiters(): void {
    const waiters = this.requestWaiters;
    this.requestWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves on the next request (or close), or after `ms`. */
  private nextRequest(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.requestWaiters.push(done);
    });
  }

  private isSubscribed(typeUrl: string, name: string): boolean {
    const ts = this.types.get(typeUrl);
    return ts !== undefined && wants(ts, name);
  }

  /** Resources of a type the client is subscribed to and does not have at the snapshot's version. */
  private pendingUpserts(
    ts: TypeState,
    byName: ReadonlyMap<string, CachedResource> | undefined,
    only?: ReadonlySet<string>,
  ): CachedResource[] {
    const out: CachedResource[] = [];
    if (!byName) return out;
    if (only) {
      for (const name of only) {
        const r = byName.get(name);
        if (r && wants(ts, name) && ts.sent.get(name) !== r.version) out.push(r);
      }
    } else if (ts.wildcard || ts.namespaces) {
      for (const r of byName.values()) if (wants(ts, r.name) && ts.sent.get(r.name) !== r.version) out.push(r);
    } else {
      for (const name of ts.subscribed) {
        const r = byName.get(name);
        if (r && ts.sent.get(name) !== r.version) out.push(r);
      }
    }
    return out;
  }

  /**
   * The names of the type the cache changed since the type was last {@link TypeState.reconciled}, the only ones a
   * sync needs to look at; undefined: look at every one.
   */
  private changedSinceReconciled(ts: TypeState, typeUrl: string): ReadonlySet<string> | undefined {
    return ts.reconciled && this.ctx.cache.changedSince(this.nodeId, ts.reconciled, typeUrl);
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    const first = this.snapshotToSync();
    if (!first) return;
    this.hadSnapshot = true;
    this.workingVersion = first.version;
    await this.ctx.gate?.(this, "upserts", first.version);
    // The gate may have waited: push what the node has now.
    const snap = this.ctx.cache.getNode(this.nodeId) ?? first;
    // The version of `snap` in the cache (undefined: the node is gone, snap is the empty stand-in).
    const at = this.ctx.cache.getNode(this.nodeId) === snap ? this.ctx.cache.versionOf(this.nodeId) : undefined;
    this.workingVersion = snap.version;
    const resources = snap.resources;
    const version = String(snap.version);
    const extra = [...resources.keys()].filter((t) => !ADD_ORDER.includes(t)).sort();
    const changesAtStart = await this.pushAllUpserts([...ADD_ORDER, ...extra], snap, version);
    if (!changesAtStart) return;
    this.upsertedVersion = snap.version;
    this.ctx.progressed?.();
    await this.ctx.gate?.(this, "removals", snap.version);
    for (const typeUrl of [...extra.reverse(), ...REMOVE_ORDER]) {
      if (this.closed) return;
      await this.pushRemovals(typeUrl, resources.get(typeUrl), version);
      this.markReconciled(typeUrl, at, changesAtStart.get(typeUrl));
    }
    this.syncedVersion = snap.version;
    this.ctx.progressed?.();
  }

  /**
   * Pushes each type's upserts, in `order`; returns each type's {@link TypeState.changes} when its upserts started
   * (undefined: the stream closed).
   */
  private async pushAllUpserts(
    order: readonly string[],
    snap: NodeSnapshot,
    version: string,
  ): Promise<Map<string, number> | undefined> {
    const changesAtStart = new Map<string, number>();
    for (const typeUrl of order) {
      if (this.closed) return undefined;
      const changes = this.types.get(typeUrl)?.changes;
      if (changes !== undefined) changesAtStart.set(typeUrl, changes);
      await this.pushUpserts(typeUrl, snap, version);
    }
    return changesAtStart;
  }

  /**
   * Notes that the client of a type is in order at `at` (the snapshot just synced), unless its subscription changed
   * since the sync started on it (`changesAtStart`).
   */
  private markReconciled(typeUrl: string, at: NodeVersion | undefined, changesAtStart: number | undefined): void {
    const ts = this.types.get(typeUrl);
    if (ts && at && !this.closed && changesAtStart === ts.changes) ts.reconciled = at;
  }

  /** The node's snapshot; an empty one once it had one and the node is gone; undefined before its first. */
  private snapshotToSync(): NodeSnapshot | undefined {
    const snap = this.ctx.cache.getNode(this.nodeId);
    if (snap) return snap;
    // Before the node's first snapshot, keep whatever Envoy has (e.g. after a control-plane restart).
    return this.hadSnapshot ? { nodeId: this.nodeId, version: 0, resources: new Map() } : undefined;
  }

  /** Removes from the client of one type what the snapshot (`byName`) no longer has. */
  private async pushRemovals(
    typeUrl: string,
    byName: ReadonlyMap<string, CachedResource> | undefined,
    version: string,
  ): Promise<void> {
    const ts = this.types.get(typeUrl);
    if (!ts) return;
    // Reconciled: every name the client has is in the snapshot but those the cache changed since.
    const candidates = this.changedSinceReconciled(ts, typeUrl) ?? ts.sent.keys();
    const removed = [...candidates].filter((n) => ts.sent.has(n) && !byName?.has(n));
    if (removed.length > 0) await this.send(typeUrl, version, [], removed);
  }

  /** Sends what the client of one type lacks (clusters with their endpoints), or its first, empty, answer. */
  private async pushUpserts(typeUrl: string, snap: NodeSnapshot, version: string): Promise<void> {
    const ts = this.types.get(typeUrl);
    if (!ts) return;
    const upserts = this.pendingUpserts(ts, snap.resources.get(typeUrl), this.changedSinceReconciled(ts, typeUrl));
    if (upserts.length === 0) {
      if (awaitsFirstAnswer(typeUrl, ts)) await this.send(typeUrl, version, [], []);
      return;
    }
    if (typeUrl === TypeUrl.Cluster) await this.pushClusters(ts, upserts, snap, version);
    else await this.send(typeUrl, version, upserts, []);
  }

  /** Sends clusters, then (for new and updated EDS clusters) their endpoints, as Envoy's warming needs. */
  private async pushClusters(
    ts: TypeState,
    upserts: readonly CachedResource[],
    snap: NodeSnapshot,
    version: string,
  ): Promise<void> {
    // Envoy holds the CDS ACK while new EDS clusters warm, i.e. until it has their endpoints: stop waiting
    // for the ACK once it subscribed to them, send the endpoints, and let the CDS ACK arrive later.
    const want = this.edsNamesToAwait(upserts, snap);
    const updated = this.updatedEdsNames(ts, upserts, snap);
    const subscribed = (): boolean => want.every((n) => this.isSubscribed(TypeUrl.Endpoint, n));
    const acked = this.send(TypeUrl.Cluster, version, upserts, [], want.length > 0 ? subscribed : undefined);
    // Envoy also warms an *updated* EDS cluster (e.g. new TLS settings) until it receives its endpoints
    // again, even unchanged, and holds the CDS ACK until then: resend them before waiting for that ACK.
    if (updated.length > 0) await this.resendEndpoints(updated, snap, version);
    await acked;
    if (want.length > 0) await this.waitForEdsSubscriptions(want);
  }

  /** EDS names of EDS clusters the client already has (about to be updated) and whose endpoints it subscribed to. */
  private updatedEdsNames(ts: TypeState, clusters: readonly CachedResource[], snap: NodeSnapshot): string[] {
    const endpoints = snap.resources.get(TypeUrl.Endpoint);
    if (!endpoints) return [];
    return clusters
      .filter((c) => ts.sent.has(c.name))
      .map(edsServiceName)
      .filter((n): n is string => n !== undefined && endpoints.has(n) && this.isSubscribed(TypeUrl.Endpoint, n));
  }

  /** Sends the named ClusterLoadAssignments again, whatever the client was last sent. */
  private async resendEndpoints(names: readonly string[], snap: NodeSnapshot, version: string): Promise<void> {
    const eds = this.types.get(TypeUrl.Endpoint);
    const byName = snap.resources.get(TypeUrl.Endpoint);
    if (!eds || !byName) return;
    for (const n of names) eds.sent.delete(n);
    const upserts = this.pendingUpserts(eds, byName).filter((r) => names.includes(r.name));
    if (upserts.length > 0) await this.send(TypeUrl.Endpoint, version, upserts, []);
  }

  /** EDS names of newly sent EDS clusters that the snapshot has and the client has not subscribed to yet. */
  private edsNamesToAwait(clusters: readonly CachedResource[], snap: NodeSnapshot): string[] {
    const endpoints = snap.resources.get(TypeUrl.Endpoint);
    if (!endpoints || this.ctx.edsSubscribeWaitMs <= 0) return [];
    const want: string[] = [];
    for (const c of clusters) {
      const edsName = edsServiceName(c);
      if (edsName !== undefined && endpoints.has(edsName) && !this.isSubscribed(TypeUrl.Endpoint, edsName)) {
        want.push(edsName);
      }
    }
    return want;
  }

  /**
   * Envoy subscribes to a cluster's ClusterLoadAssignment only after it received the cluster. Wait (bounded)
   * for those subscriptions so endpoints go out before listeners and routes that use the clusters.
   */
  private async waitForEdsSubscriptions(want: readonly string[]): Promise<void> {
    const deadline = Date.now() + this.ctx.edsSubscribeWaitMs;
    const missing = (): string[] => want.filter((n) => !this.isSubscribed(TypeUrl.Endpoint, n));
    while (!this.closed && missing().length > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.ctx.log("info", "envoy did not subscribe to endpoints of new clusters in time; continuing", {
          node: this.nodeId,
          missing: missing().slice(0, 10),
          count: missing().length,
        });
        return;
      }
      await this.nextRequest(left);
    }
  }

  /** Sends one response, records it as sent and waits for its ACK/NACK (bounded). */
  private async send(
    typeUrl: string,
    systemVersionInfo: string,
    upserts: readonly CachedResource[],
    removed: readonly string[],
    releaseEarly?: () => boolean,
  ): Promise<AckResult> {
    const ts = this.types.get(typeUrl);
    if (!ts || this.closed) return "closed";
    const nonce = String(++this.nonceCounter);
    const response: DeltaDiscoveryResponse = {
      systemVersionInfo,
      typeUrl,
      nonce,
      resources: upserts.map((r) => ({ name: r.name, aliases: [], version: r.version, resource: r.value })),
      removedResources: [...removed],
      removedResourceNames: [],
      resourceErrors: [],
    };
    const undo = UNDONE_ON_NACK.has(typeUrl)
      ? new Map<string, { before: string | undefined; sent: string | undefined }>()
      : undefined;
    for (const r of upserts) {
      undo?.set(r.name, { before: ts.sent.get(r.name), sent: r.version });
      ts.sent.set(r.name, r.version);
    }
    for (const n of removed) {
      undo?.set(n, { before: ts.sent.get(n), sent: undefined });
      ts.sent.delete(n);
    }
    ts.pendingNonce = nonce;

    let settled = false;
    let resolveFn: (r: AckResult) => void = () => undefined;
    const result = new Promise<AckResult>((resolve) => {
      resolveFn = (r): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
    });
    const names = upserts.map((r) => r.name);
    this.outstanding.set(nonce, {
      typeUrl,
      names: names.length > 0 ? names : removed,
      resolve: resolveFn,
      ...(undo ? { undo } : {}),
    });
    if (this.outstanding.size > MAX_OUTSTANDING) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest !== undefined) this.outstanding.delete(oldest);
    }

    try {
      this.call.write(response);
    } catch (err) {
      this.close(`write failed: ${String(err)}`);
      return "closed";
    }
    this.ctx.count(this.nodeId, typeUrl, "responsesSent", 1);
    this.ctx.count(this.nodeId, typeUrl, "resourcesSent", upserts.length);
    this.ctx.count(this.nodeId, typeUrl, "removalsSent", removed.length);
    this.ctx.log("debug", "xds response sent", {
      node: this.nodeId,
      typeUrl,
      nonce,
      resources: upserts.length,
      removed: removed.length,
    });
    this.ctx.emit({
      kind: "sent",
      nodeId: this.nodeId,
      streamId: this.id,
      typeUrl,
      nonce,
      names,
      removed: [...removed],
    });

    const timer = setTimeout(() => resolveFn("timeout"), this.ctx.ackTimeoutMs);
    if (releaseEarly) {
      const check = (): void => {
        if (settled) return;
        if (releaseEarly()) resolveFn("released");
        else this.requestWaiters.push(check);
      };
      this.requestWaiters.push(check);
    }
    const r = await result;
    clearTimeout(timer);
    if (r === "timeout") {
      this.ctx.log("warn", "no ACK for xds response in time; continuing", {
        node: this.nodeId,
        typeUrl,
        nonce,
        timeoutMs: this.ctx.ackTimeoutMs,
      });
    }
    return r;
  }
}

/**
 * Whether a wildcard CDS, LDS or SRDS subscription, or a VHDS one, still waits for its first answer on this stream. Envoy's
 * initialization waits for the first CDS (then LDS) response, for up to its initial fetch timeout (15 s):
 * a node with no clusters (a Gateway with no routes yet) must get an empty answer, not silence.
 */
function awaitsFirstAnswer(typeUrl: string, ts: TypeState): boolean {
  if (ts.pendingNonce !== undefined) return false;
  // VHDS: Envoy warms the listener until the route configuration's first virtual host answer, even with none.
  if (ts.namespaces) return true;
  // SRDS: a scoped connection manager with no scope yet (a Gateway with no routes) warms until the first answer too.
  return (
    ts.wildcard && (typeUrl === TypeUrl.Cluster || typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.ScopedRoute)
  );
}

/** Adds subscriptions ("*" = wildcard); true when something changed. */
function subscribe(ts: TypeState, names: readonly string[], initial: Readonly<Record<string, string>>): boolean {
  let changed = false;
  for (const name of names) {
    if (name === "*") {
      if (!ts.wildcard) changed = true;
      ts.wildcard = true;
    } else if (!ts.subscribed.has(name)) {
      ts.subscribed.add(name);
      // A fresh subscription is answered even if we think the client has it, unless it told us its version.
      if (!(name in initial)) ts.sent.delete(name);
      changed = true;
    }
  }
  return changed;
}

/** Notes a change of a type's subscription state outside a sync's sends (see {@link TypeState.changes}). */
function touched(ts: TypeState): void {
  ts.changes++;
  ts.reconciled = undefined;
}

/** Whether the client of a type wants the resource `name`. */
function wants(ts: TypeState, name: string): boolean {
  return ts.wildcard || ts.subscribed.has(name) || (ts.namespaces && ts.subscribed.has(vhdsNamespace(name)));
}

/** Removes subscriptions ("*" ends wildcard) and forgets what the client no longer wants; true when changed. */
function unsubscribe(ts: TypeState, names: readonly string[]): boolean {
  let changed = false;
  for (const name of names) {
    if (ts.namespaces && ts.subscribed.has(name)) {
      ts.subscribed.delete(name);
      if (!ts.wildcard) for (const n of [...ts.sent.keys()]) if (vhdsNamespace(n) === name) ts.sent.delete(n);
      changed = true;
      continue;
    }
    if (name === "*") {
      if (!ts.wildcard) continue;
      ts.wildcard = false;
      for (const n of [...ts.sent.keys()]) if (!ts.subscribed.has(n)) ts.sent.delete(n);
      changed = true;
    } else if (ts.subscribed.delete(name) || ts.sent.has(name)) {
      if (!ts.wildcard) ts.sent.delete(name);
      changed = true;
    }
  }
  return changed;
}

/** The ClusterLoadAssignment name an EDS cluster asks for, or undefined for non-EDS clusters. */
export function edsServiceName(cluster: CachedResource): string | undefined {
  try {
    const c = unpack(ClusterType, cluster.value);
    if (c.type !== Cluster_DiscoveryType.EDS) return undefined;
    return c.edsClusterConfig?.serviceName || c.name || cluster.name;
  } catch {
    return undefined;
  }
}
