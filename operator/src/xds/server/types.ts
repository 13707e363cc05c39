/**
 * Public types of the delta ADS server: options, logger, events and counters.
 */
import { SHORT_NAME } from "../types";

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured logger: a message plus fields. */
export type XdsLogger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Options of {@link XdsServer}. */
export interface XdsServerOptions {
  /** Logger; defaults to JSON lines on stderr at info and above. */
  logger?: XdsLogger;
  /** How long to wait for an ACK/NACK of one response before moving on (default 5000). */
  ackTimeoutMs?: number;
  /** How long to wait, after new EDS clusters were sent, for Envoy to subscribe to their endpoints (default 2000). */
  edsSubscribeWaitMs?: number;
  /**
   * Most resource names one stream may subscribe to (or report versions of) per type; a request beyond it
   * ends the stream with RESOURCE_EXHAUSTED. @default 100000
   */
  maxNamesPerType?: number;
  /** Most resource types one stream may subscribe to; beyond it, RESOURCE_EXHAUSTED. @default 32 */
  maxTypesPerStream?: number;
  /** Largest request message accepted (grpc.max_receive_message_length). @default 4 MiB */
  maxRequestBytes?: number;
  /** Age after which a connection is asked to go away (grpc.max_connection_age_ms). @default unlimited */
  maxConnectionAgeMs?: number;
  /** Grace after that age before the connection is closed (grpc.max_connection_age_grace_ms). @default unlimited */
  maxConnectionAgeGraceMs?: number;
}

/** Sizes of the server's internal per-stream and per-node state (for leak tests and debugging). */
export interface XdsStateSizes {
  /** Streams tracked (open). */
  readonly streams: number;
  /** Nodes with at least one open stream. */
  readonly nodesWithStreams: number;
  /** Nodes with counters. */
  readonly nodeCounters: number;
  /** Subscribed names and sent-version entries over all open streams and types. */
  readonly names: number;
}

/** What happened on a stream. */
export interface XdsEvent {
  /** Event kind. */
  readonly kind: "connect" | "disconnect" | "sent" | "ack" | "nack";
  /** Envoy node id of the stream. */
  readonly nodeId: string;
  /** Per-server stream id (several streams may serve one node). */
  readonly streamId: number;
  /** Resource type, for sent/ack/nack. */
  readonly typeUrl?: string;
  /** Response nonce, for sent/ack/nack. */
  readonly nonce?: string;
  /** Names added/updated (sent) or acknowledged/rejected (ack/nack). */
  readonly names?: readonly string[];
  /** Names sent as removed_resources (sent only). */
  readonly removed?: readonly string[];
  /** Envoy's error_detail message (nack) or the stream error (disconnect). */
  readonly error?: string;
  /** The Envoy release the node announces (connect; `user_agent_build_version`), e.g. "1.40.0". */
  readonly envoy?: string;
}

/** Counters for one resource type. */
export interface TypeCounters {
  /** DeltaDiscoveryResponses sent. */
  responsesSent: number;
  /** Resources (additions/updates) sent. */
  resourcesSent: number;
  /** Names sent in removed_resources. */
  removalsSent: number;
  /** ACKs received. */
  acks: number;
  /** NACKs received. */
  nacks: number;
}

/** Counters keyed by type short name (cds, eds, lds, rds, sds always present; others by type name). */
export type TypeStats = Record<string, TypeCounters>;

/** A snapshot of the server counters. */
export interface XdsStats {
  /** Open delta streams. */
  streams: number;
  /** Totals over all nodes. */
  types: TypeStats;
  /** Per node id. */
  nodes: Record<string, TypeStats>;
  /** Open streams per node id. */
  nodeStreams: Record<string, number>;
  /** Streams refused because their client certificate or token did not grant the node id they asked for. */
  refused: number;
}

/** Counter names of {@link TypeCounters}. */
export type CounterName = keyof TypeCounters;

/** Short name of a type URL: cds/eds/lds/rds/sds, else the last segment of the URL. */
export function shortName(typeUrl: string): string {
  return SHORT_NAME[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}

/** A zeroed TypeCounters. */
export function zeroCounters(): TypeCounters {
  return { responsesSent: 0, resourcesSent: 0, removalsSent: 0, acks: 0, nacks: 0 };
}

/** A TypeStats with every served type present and zeroed. */
export function emptyTypeStats(): TypeStats {
  const out: TypeStats = {};
  for (const s of Object.values(SHORT_NAME)) out[s] = zeroCounters();
  return out;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing JSON lines to stderr for messages at `min` and above. */
export function jsonLogger(min: LogLevel = "info"): XdsLogger {
  return (level, msg, fields): void => {
    if (LEVELS[level] < LEVELS[min]) return;
    process.stderr.write(
      JSON.stringify({ time: new Date().toISOString(), level, component: "xds", msg, ...fields }) + "\n",
    );
  };
}
