/**
 * The controller's metrics with Envoy Gateway v1.9's names, label names, types and histogram buckets (its
 * `internal/message`, `provider/kubernetes`, `xds/cache`, `infrastructure/kubernetes` and `wasm` metrics), each
 * measured at our counterpart of the place Envoy Gateway measures it (docs/metrics.md has the table), plus the
 * Node.js runtime (runtime.ts) and egts's own measures under the `egts_` prefix, all prom-client metrics.
 *
 * Envoy Gateway's runners map onto our pipeline as: `provider` (the file or Kubernetes provider) publishes
 * `provider-resources`; `gateway-api` (our translate-and-publish pass) subscribes to them and publishes `xds-ir`
 * and `infra-ir`; `infrastructure` (the applier, or the host runner in standalone mode) subscribes to `infra-ir`.
 * Success and failure carry Envoy Gateway's `status` (`success`, `failure`, `no_action`) and `reason` labels.
 */
import type { Observable, Subscription } from "rxjs";
import { merge } from "rxjs";
import type { CacheChange } from "../xds/cache/snapshot-cache";
import type { XdsEvent } from "../xds/server/types";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { runtimeRegistry } from "./runtime";

/** Envoy Gateway's buckets of watchable_subscribe_duration_seconds (the Kubernetes REST client's, up to 120 s). */
export const WATCHABLE_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
/** Envoy Gateway's buckets of status_update_duration_seconds and resource_{apply,delete}_duration_seconds. */
export const UPDATE_BUCKETS = [0.001, 0.01, 0.1, 1, 5, 10];
/** Envoy Gateway's buckets of xds_stream_duration_seconds. */
export const XDS_STREAM_BUCKETS = [0.1, 10, 50, 100, 1000, 10000];
/** Buckets of egts's own pass and propagation durations, in seconds. */
export const EGTS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Envoy Gateway's runner names (EnvoyGatewayLogComponent) that have a counterpart here. */
export type Runner = "provider" | "gateway-api" | "infrastructure";
/** Envoy Gateway's message names that have a counterpart here. */
export type MessageName = "provider-resources" | "xds-ir" | "infra-ir";

/** How one status write ended, as Envoy Gateway's status_update_total labels it. */
export type StatusOutcome = "success" | "no_action" | "conflict" | "error";

/** What the status edges record (the Kubernetes status writer; standalone's status log). */
export interface StatusUpdateMetrics {
  /**
   * One object's status update ended with `outcome`, after `seconds` (an API call's; none when unchanged); `count`
   * objects of `kind` at once (unchanged ones of a pass). @default count 1
   */
  statusUpdate(kind: string, outcome: StatusOutcome, seconds?: number, count?: number): void;
}

/** An object of the proxies' infrastructure, as resource_apply_total labels it. */
export interface ResourceRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

/** What the infra applier records. */
export interface ResourceMetrics {
  /** One server-side apply ended (`seconds` is recorded on success only, as Envoy Gateway does). */
  resourceApplied(r: ResourceRef, ok: boolean, seconds: number): void;
  /** One prune deletion ended. */
  resourceDeleted(r: ResourceRef, ok: boolean, seconds: number): void;
}

/** Why a Wasm remote fetch failed, with Envoy Gateway's reason values. */
export type WasmFetchFailure = "fetch_error" | "download_error" | "manifest_error" | "checksum_mismatched";

/** What the Wasm module cache records. */
export interface WasmMetrics {
  /** A module was looked up in the disk cache (`pullPolicy: IfNotPresent`). */
  wasmLookup(hit: boolean): void;
  /** A remote fetch ended: `undefined` for success, else why it failed. */
  wasmFetched(failure: WasmFetchFailure | undefined): void;
  /** How many modules the cache holds now. */
  wasmEntries(n: number): void;
}

/** The end of a pass (see {@link ControlPlaneMetrics.passStarted}). */
export interface PassEnd {
  /** Gateways translated (xds-ir published). */
  readonly xdsIr: number;
  /** Proxies to run (infra-ir published). */
  readonly infraIr: number;
  /** Nodes whose resources were set in the cache. */
  readonly snapshots: number;
  /** Nodes whose resources failed to build (kept on their previous ones). */
  readonly snapshotFailures: number;
  /** Seconds spent translating and building (a job that translated nothing new: none). */
  readonly translateSeconds?: number;
}

/** What a translate-and-publish pass (pipeline/translate-step.ts PassResult) tells the metrics. */
export function passEnd(p: {
  readonly result: { readonly xdsIr: readonly unknown[]; readonly infraIr: readonly unknown[] };
  readonly invalid: readonly unknown[];
  readonly held: readonly unknown[];
  readonly ms: number;
}): PassEnd {
  return {
    xdsIr: p.result.xdsIr.length,
    infraIr: p.result.infraIr.length,
    snapshots: p.result.xdsIr.length - p.invalid.length - p.held.length,
    snapshotFailures: p.invalid.length,
    translateSeconds: p.ms / 1000,
  };
}

/** A node's configuration change on its way to Envoy: when its cause was queued, the types not yet ACKed. */
interface Propagation {
  readonly since: number;
  readonly types: Set<string>;
  lastAck?: number;
}

/** Every family of one controller (or standalone gateway) process, on its own registry. */
export class ControlPlaneMetrics implements StatusUpdateMetrics, ResourceMetrics, WasmMetrics {
  /** The registry `/metrics` renders: this pipeline's families, then the process's runtime ones. */
  readonly registry: Registry;
  private readonly depthGauge: Gauge;
  private readonly subscribeTotal: Counter;
  private readonly subscribeSeconds: Histogram;
  private readonly publishTotal: Counter;
  private readonly panics: Counter;
  private readonly statusTotal: Counter;
  private readonly statusSeconds: Histogram;
  private readonly applyTotal: Counter;
  private readonly applySeconds: Histogram;
  private readonly deleteTotal: Counter;
  private readonly deleteSeconds: Histogram;
  private readonly snapshotCreate: Counter;
  private readonly snapshotUpdate: Counter;
  private readonly streamSeconds: Histogram;
  private readonly nacks: Counter;
  private readonly wasmEntriesGauge: Gauge;
  private readonly wasmLookups: Counter;
  private readonly wasmFetches: Counter;
  private readonly translateSeconds: Histogram;
  private readonly propagationSeconds: Histogram;
  /** When each queued job was queued, oldest first. */
  private readonly queue: number[] = [];
  /** When the running job was queued (changes it makes propagate from then). */
  private running?: number;
  private readonly propagating = new Map<string, Propagation>();
  private readonly streams = new Map<number, { nodeId: string; since: number }>();

  constructor() {
    const r = new Registry();
    const meta = ["runner", "message"];
    const outcome = ["status", "reason"];
    this.depthGauge = gauge(r, "watchable_depth", "Jobs waiting for the pipeline's pass, by runner and message.", meta);
    this.subscribeTotal = counter(
      r,
      "watchable_subscribe_total",
      "Updates a runner handled, by runner, message and outcome.",
      [...meta, ...outcome],
    );
    this.subscribeSeconds = histogram(
      r,
      "watchable_subscribe_duration_seconds",
      "Time a runner spent handling one update, in seconds.",
      meta,
      WATCHABLE_BUCKETS,
    );
    this.publishTotal = counter(r, "watchable_publish_total", "Updates a runner published, by runner and message.", [
      ...meta,
      "status",
    ]);
    this.panics = counter(
      r,
      "watchable_panics_recovered_total",
      "Exceptions caught while a runner handled an update (the last good configuration kept serving).",
      [...meta, ...outcome],
    );
    this.statusTotal = counter(
      r,
      "status_update_total",
      "Status updates of Gateway API and Envoy Gateway objects, by kind and outcome.",
      ["kind", ...outcome],
    );
    this.statusSeconds = histogram(
      r,
      "status_update_duration_seconds",
      "Time one status update took, in seconds, by kind.",
      ["kind"],
      UPDATE_BUCKETS,
    );
    const ref = ["kind", "name", "namespace"];
    this.applyTotal = counter(
      r,
      "resource_apply_total",
      "Proxy infrastructure objects applied, by object and outcome.",
      [...ref, ...outcome],
    );
    this.applySeconds = histogram(
      r,
      "resource_apply_duration_seconds",
      "Time one successful apply of a proxy infrastructure object took, in seconds.",
      ref,
      UPDATE_BUCKETS,
    );
    this.deleteTotal = counter(
      r,
      "resource_delete_total",
      "Proxy infrastructure objects deleted, by object and outcome.",
      [...ref, ...outcome],
    );
    this.deleteSeconds = histogram(
      r,
      "resource_delete_duration_seconds",
      "Time one successful delete of a proxy infrastructure object took, in seconds.",
      ref,
      UPDATE_BUCKETS,
    );
    this.snapshotCreate = counter(
      r,
      "xds_snapshot_create_total",
      "xDS resource sets built for a node, by outcome.",
      outcome,
    );
    this.snapshotUpdate = counter(
      r,
      "xds_snapshot_update_total",
      "Changes of a node's xDS resources in the cache, by node id and outcome.",
      ["nodeID", ...outcome],
    );
    this.streamSeconds = histogram(
      r,
      "xds_stream_duration_seconds",
      "How long an xDS stream lasted, in seconds.",
      ["streamID", "nodeID", "isDeltaStream"],
      XDS_STREAM_BUCKETS,
    );
    this.nacks = counter(r, "xds_nack_total", "xDS updates Envoy rejected (NACK), by node id and type URL.", [
      "nodeID",
      "typeURL",
    ]);
    this.wasmEntriesGauge = gauge(r, "wasm_cache_entries", "Wasm modules held by the module cache.");
    this.wasmLookups = counter(r, "wasm_cache_lookup_total", "Wasm module cache lookups, by hit.", ["hit"]);
    this.wasmFetches = counter(r, "wasm_remote_fetch_total", "Wasm module remote fetches, by outcome.", outcome);
    this.translateSeconds = histogram(
      r,
      "egts_translate_duration_seconds",
      "Time one pass spent translating resources and building xDS, in seconds.",
      [],
      EGTS_BUCKETS,
    );
    this.propagationSeconds = histogram(
      r,
      "egts_propagation_duration_seconds",
      "Time from a change reaching the pipeline to Envoy's ACK of every changed xDS type, in seconds, by node.",
      ["nodeID"],
      EGTS_BUCKETS,
    );
    this.registry = Registry.merge([r, runtimeRegistry()]);
  }

  /** The provider published a snapshot. */
  providerPublished(): void {
    this.publishTotal.inc({ runner: "provider", message: "provider-resources", status: "success" });
  }

  /** A job joined the pipeline's queue. */
  queued(): void {
    this.queue.push(performance.now());
    this.setDepth();
  }

  /** A queued job was dropped, superseded by a newer one: the newer one keeps the older one's queue time. */
  superseded(): void {
    this.queue.pop();
    this.setDepth();
  }

  /** A queued job starts; returns the function to call when it ends (with its pass, or `undefined` if it failed). */
  passStarted(): (end: PassEnd | undefined) => void {
    const since = this.queue.shift() ?? performance.now();
    this.setDepth();
    this.running = since;
    const start = performance.now();
    return (end) => {
      this.running = undefined;
      this.subscribed("gateway-api", "provider-resources", (performance.now() - start) / 1000, end !== undefined);
      if (!end) return this.panics.inc(failure({ runner: "gateway-api", message: "provider-resources" }));
      const meta = { runner: "gateway-api", status: "success" };
      this.publishTotal.inc({ ...meta, message: "xds-ir" }, end.xdsIr);
      this.publishTotal.inc({ ...meta, message: "infra-ir" }, end.infraIr);
      this.snapshotCreate.inc({ status: "success" }, end.snapshots);
      if (end.snapshotFailures > 0) this.snapshotCreate.inc(failure({}), end.snapshotFailures);
      if (end.translateSeconds !== undefined) this.translateSeconds.observe({}, end.translateSeconds);
    };
  }

  /** A runner handled one update in `seconds`. */
  subscribed(runner: Runner, message: MessageName, seconds: number, ok: boolean): void {
    const meta = { runner, message };
    this.subscribeTotal.inc(ok ? { ...meta, status: "success" } : failure(meta));
    if (ok) this.subscribeSeconds.observe(meta, seconds);
  }

  /** Times the infrastructure runner's handling of one infra IR. */
  async infrastructure<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      const out = await work();
      this.subscribed("infrastructure", "infra-ir", (performance.now() - start) / 1000, true);
      return out;
    } catch (err) {
      this.subscribed("infrastructure", "infra-ir", 0, false);
      throw err;
    }
  }

  statusUpdate(kind: string, outcome: StatusOutcome, seconds?: number, count = 1): void {
    const labels =
      outcome === "conflict" || outcome === "error" ? failure({ kind }, outcome) : { kind, status: outcome };
    this.statusTotal.inc(labels, count);
    if (seconds !== undefined) this.statusSeconds.observe({ kind }, seconds);
  }

  resourceApplied(r: ResourceRef, ok: boolean, seconds: number): void {
    record(this.applyTotal, this.applySeconds, r, ok, seconds);
  }

  resourceDeleted(r: ResourceRef, ok: boolean, seconds: number): void {
    record(this.deleteTotal, this.deleteSeconds, r, ok, seconds);
  }

  wasmLookup(hit: boolean): void {
    this.wasmLookups.inc({ hit: String(hit) });
  }

  wasmFetched(why: WasmFetchFailure | undefined): void {
    this.wasmFetches.inc(why ? failure({}, why) : { status: "success" });
  }

  wasmEntries(n: number): void {
    this.wasmEntriesGauge.set({}, n);
  }

  /**
   * Follows the xDS cache's changes (xds_snapshot_update_total, the start of a propagation) and the server's
   * stream events (xds_stream_duration_seconds, xds_nack_total, the end of a propagation).
   */
  watchXds(changes$: Observable<CacheChange>, events$: Observable<XdsEvent>): Subscription {
    return merge(changes$, events$).subscribe((e) => ("diff" in e ? this.changed(e) : this.xdsEvent(e)));
  }

  private setDepth(): void {
    this.depthGauge.set({ runner: "gateway-api", message: "provider-resources" }, this.queue.length);
  }

  private changed(c: CacheChange): void {
    this.snapshotUpdate.inc({ nodeID: c.nodeId, status: "success" });
    const old = this.propagating.get(c.nodeId);
    // A type Envoy never asked for gets no ACK: the previous change counts as propagated at its last ACK.
    if (old?.lastAck !== undefined) this.observePropagation(c.nodeId, old, old.lastAck);
    const since = old && old.lastAck === undefined ? old.since : (this.running ?? performance.now());
    const types = new Set([...(old?.lastAck === undefined ? (old?.types ?? []) : []), ...c.diff.types.keys()]);
    this.propagating.set(c.nodeId, { since, types });
  }

  private xdsEvent(e: XdsEvent): void {
    if (e.kind === "connect") this.streams.set(e.streamId, { nodeId: e.nodeId, since: performance.now() });
    else if (e.kind === "disconnect") {
      const s = this.streams.get(e.streamId);
      this.streams.delete(e.streamId);
      if (s) {
        const labels = { streamID: String(e.streamId), nodeID: s.nodeId, isDeltaStream: "true" };
        this.streamSeconds.observe(labels, (performance.now() - s.since) / 1000);
      }
      if (![...this.streams.values()].some((o) => o.nodeId === e.nodeId)) this.propagating.delete(e.nodeId);
    } else if (e.kind === "nack") {
      this.nacks.inc({ nodeID: e.nodeId, typeURL: e.typeUrl ?? "" });
      this.propagating.delete(e.nodeId);
    } else if (e.kind === "ack") this.acked(e.nodeId, e.typeUrl ?? "");
  }

  private acked(nodeId: string, typeUrl: string): void {
    const p = this.propagating.get(nodeId);
    if (!p || !p.types.delete(typeUrl)) return;
    p.lastAck = performance.now();
    if (p.types.size === 0) this.observePropagation(nodeId, p, p.lastAck);
  }

  private observePropagation(nodeId: string, p: Propagation, at: number): void {
    this.propagating.delete(nodeId);
    this.propagationSeconds.observe({ nodeID: nodeId }, Math.max(0, at - p.since) / 1000);
  }
}

/** Envoy Gateway's failure labels: `status="failure"` and the reason (`error` unless given). */
function failure(labels: Record<string, string>, reason = "error"): Record<string, string> {
  return { ...labels, status: "failure", reason };
}

/** resource_{apply,delete}_*: the count by outcome, the duration on success only. */
function record(total: Counter, seconds: Histogram, r: ResourceRef, ok: boolean, s: number): void {
  const ref = { kind: r.kind, name: r.name, namespace: r.namespace };
  total.inc(ok ? { ...ref, status: "success" } : failure(ref));
  if (ok) seconds.observe(ref, s);
}

/** A counter family on `r`. */
function counter(r: Registry, name: string, help: string, labelNames: readonly string[] = []): Counter {
  return new Counter({ name, help, labelNames, registers: [r] });
}

/** A gauge family on `r`. */
function gauge(r: Registry, name: string, help: string, labelNames: readonly string[] = []): Gauge {
  return new Gauge({ name, help, labelNames, registers: [r] });
}

/** A histogram family on `r` with explicit bucket bounds. */
function histogram(
  r: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  buckets: readonly number[],
): Histogram {
  return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [r] });
}
