/**
 * One state-of-the-world ADS stream of a rate limit service: it subscribes to RateLimitConfig (all of them, no
 * names), receives every version whole, and answers each response with an ACK (`response_nonce` and the new
 * `version_info`) or a NACK (`error_detail`, and the version it still runs).
 */
import * as grpc from "@grpc/grpc-js";
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { DiscoveryResponse, type DiscoveryRequest } from "../../../../proto/gen/envoy/service/discovery/v3/discovery";
import type { XdsLogger } from "../server/types";
import { RateLimitConfigType } from "./rls-conf";

/** One version of the whole RateLimitConfig set. */
export interface ConfigVersion {
  /** version_info. */
  readonly version: string;
  /** The RateLimitConfig messages, packed. */
  readonly resources: readonly Any[];
  /** Domains, for logs and events. */
  readonly domains: readonly string[];
}

/** What happened on a rate limit xDS stream. */
export interface RateLimitXdsEvent {
  /** connect (first request), disconnect, sent (a response), ack, nack. */
  readonly kind: "connect" | "disconnect" | "sent" | "ack" | "nack";
  /** The service's node id (CONFIG_GRPC_XDS_NODE_ID). */
  readonly nodeId: string;
  /** Per-server stream id. */
  readonly streamId: number;
  /** The version sent, acknowledged or rejected. */
  readonly version?: string;
  /** Response nonce (sent, ack, nack). */
  readonly nonce?: string;
  /** The NACK's error_detail message, or the stream error (disconnect). */
  readonly error?: string;
}

/** What a stream needs from its server. */
export interface SotwStreamContext {
  readonly log: XdsLogger;
  /** The version to send a stream that has none yet (the server's choice: newest, or last good). */
  initial(): ConfigVersion | undefined;
  emit(e: RateLimitXdsEvent): void;
  /** A version was acknowledged by this stream. */
  acked(version: string): void;
  /** A version was rejected by this stream. */
  nacked(version: string): void;
  closed(s: SotwStream): void;
}

type Call = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** One connected rate limit service. */
export class SotwStream {
  /** Node id of the first request; empty until then. */
  nodeId = "";
  /** The version the service last acknowledged (runs). */
  ackedVersion: string | undefined;
  private subscribed = false;
  private nonce = 0;
  private inFlight: { readonly version: string; readonly nonce: string } | undefined;
  private done = false;

  /** Takes over `call`. */
  constructor(
    readonly id: number,
    private readonly call: Call,
    private readonly ctx: SotwStreamContext,
  ) {
    call.on("data", (req: DiscoveryRequest) => {
      try {
        this.onRequest(req);
      } catch (err) {
        ctx.log("error", "ratelimit xds request handling failed", { stream: id, error: String(err) });
      }
    });
    call.on("end", () => this.end());
    call.on("cancelled", () => this.close());
    call.on("error", (err: Error) => this.close(err.message));
    call.on("close", () => this.close());
  }

  /** Sends `v` if the service subscribed (a newer version replaces one still unanswered: SotW sends it whole). */
  push(v: ConfigVersion): void {
    if (!this.subscribed || this.done) return;
    const nonce = String(++this.nonce);
    this.inFlight = { version: v.version, nonce };
    this.call.write(
      DiscoveryResponse.fromPartial({
        versionInfo: v.version,
        resources: [...v.resources],
        typeUrl: RateLimitConfigType.typeUrl,
        nonce,
      }),
    );
    this.ctx.log("info", "ratelimit xds config sent", {
      stream: this.id,
      node: this.nodeId,
      version: v.version,
      domains: v.domains,
    });
    this.ctx.emit({ kind: "sent", nodeId: this.nodeId, streamId: this.id, version: v.version, nonce });
  }

  /** Ends the stream (server shutdown). */
  end(): void {
    this.close();
    try {
      if (!this.call.writableEnded && !this.call.cancelled) this.call.end();
    } catch {
      // already gone
    }
  }

  private onRequest(req: DiscoveryRequest): void {
    if (this.done) return;
    if (!this.nodeId) {
      this.nodeId = req.node?.id ?? "";
      if (!this.nodeId) {
        this.ctx.log("warn", "ratelimit xds stream without node.id", { stream: this.id });
        this.close();
        this.call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: "first request must carry node.id" });
        return;
      }
      this.ctx.log("info", "ratelimit xds stream opened", { stream: this.id, node: this.nodeId });
      this.ctx.emit({ kind: "connect", nodeId: this.nodeId, streamId: this.id });
    }
    if (req.typeUrl !== RateLimitConfigType.typeUrl) {
      this.ctx.log("warn", "ratelimit xds request for a type this server does not serve", {
        stream: this.id,
        node: this.nodeId,
        typeUrl: req.typeUrl,
      });
      return;
    }
    if (!this.subscribed) {
      this.subscribed = true;
      const v = this.ctx.initial();
      if (v) this.push(v);
      return;
    }
    this.onAnswer(req);
  }

  /** An ACK or NACK of the response in flight; answers to older responses are stale and ignored. */
  private onAnswer(req: DiscoveryRequest): void {
    const sent = this.inFlight;
    if (!sent || req.responseNonce !== sent.nonce) return;
    this.inFlight = undefined;
    const fields = { nodeId: this.nodeId, streamId: this.id, version: sent.version, nonce: sent.nonce };
    if (req.errorDetail) {
      const error = req.errorDetail.message;
      this.ctx.log("warn", "ratelimit service rejected a config (NACK); it keeps its last good one", {
        stream: this.id,
        node: this.nodeId,
        version: sent.version,
        running: req.versionInfo,
        error,
      });
      this.ctx.emit({ kind: "nack", ...fields, error });
      this.ctx.nacked(sent.version);
      return;
    }
    this.ackedVersion = sent.version;
    this.ctx.emit({ kind: "ack", ...fields });
    this.ctx.acked(sent.version);
  }

  private close(error?: string): void {
    if (this.done) return;
    this.done = true;
    this.ctx.closed(this);
    if (this.nodeId) {
      this.ctx.log(error ? "warn" : "info", "ratelimit xds stream closed", {
        stream: this.id,
        node: this.nodeId,
        error,
      });
      this.ctx.emit({ kind: "disconnect", nodeId: this.nodeId, streamId: this.id, ...(error ? { error } : {}) });
    }
  }
}
