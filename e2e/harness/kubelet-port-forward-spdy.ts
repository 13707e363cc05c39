/**
 * The kubelet's port-forward over SPDY/3.1, what real `kubectl port-forward` reaches. kubectl either tunnels
 * SPDY inside a WebSocket to the API server (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl's default) or
 * upgrades to SPDY itself; either way kube-apiserver (v1.37, `pods/portforward` with PortForwardWebsockets on
 * and a node that does not declare ExtendWebSocketsToKubelet) sends the kubelet a `POST` with
 * `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version: portforward.k8s.io`, and from the 101 on copies bytes
 * both ways: the SPDY session runs end to end between kubectl and this module.
 *
 * The session, as the kubelet's (k8s.io/streaming's spdy connection over moby/spdystream) behaves:
 * - the client opens two streams per forwarded connection, both with headers `port` and `requestID`, one with
 *   `streamType: error` (which it half-closes at once) and one with `streamType: data`; each accepted stream
 *   gets a SYN_REPLY with an empty header block; one with a missing or bad `port`/`streamType` is reset
 *   (RST_STREAM CANCEL); a stream without `requestID` (older clients) is paired by stream id (the data
 *   stream's id minus 2 is the error stream's);
 * - once both streams of a request are there (within 30 s, else "timed out waiting for streams" on the error
 *   stream), the port is dialled at 127.0.0.1 in the pod's network namespace ({@link PortDialer}) and the data
 *   stream copied to it and back; the client's FIN half-closes the pod connection, a RST_STREAM ends it;
 * - when the pod connection ends, the data stream is finished (empty DATA with FIN); a failed dial writes
 *   `error forwarding port …` on the error stream; then the error stream is finished;
 * - a PING from the client (odd id) is echoed; GOAWAY, SETTINGS, WINDOW_UPDATE and HEADERS are read and
 *   ignored: spdystream, the only client, implements no flow control (it never sends WINDOW_UPDATE and ignores
 *   the windows), so this side sends none either and relies on TCP backpressure (the pod connection's output
 *   pauses while the socket's buffer is full, the socket's input while the pod's is);
 * - the connection stays until the client (the API server) closes it; then every pod connection is ended.
 * Header blocks are zlib streams with SPDY/3's dictionary, one per direction for the whole connection, each
 * block ending in a sync flush (Node's zlib with the `dictionary` option). Not simulated: the idle timeout
 * (4 h), server-initiated PINGs, several ports per request (kubectl sends one per connection).
 */
import type { ChildProcess } from "node:child_process";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import {
  ControlType,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  goAwayFrame,
  GoAwayStatus,
  headerDictionary,
  parseSynStream,
  payloadStreamId,
  pingFrame,
  rstStreamFrame,
  RstStatus,
  SPDY_VERSION,
  synReplyFrame,
  type Frame,
} from "./spdy-frames";

/** The stream protocol of the kubelet's SPDY port-forward. */
export const SPDY_PORT_FORWARD_PROTOCOL = "portforward.k8s.io";

/** How long the second stream of a request may take after the first (the kubelet's stream creation timeout). */
const STREAM_PAIR_TIMEOUT_MS = 30_000;

/**
 * Connects to `port` on the pod's loopback: a process whose stdin/stdout are the connection (pod-dial.ts);
 * `onError` gets the kubelet's message when the dial fails (before the process closes).
 */
export type PortDialer = (port: number, onError: (message: string) => void) => ChildProcess;

/** Whether `req` asks to upgrade to SPDY/3.1 (`Upgrade: SPDY/3.1`). */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase().includes("spdy/3.1");
}

/**
 * The stream protocol negotiated with `X-Stream-Protocol-Version` (comma-separated, possibly repeated), or the
 * HTTP refusal when there is none in common. Pure.
 */
export function negotiateSpdyProtocol(
  header: string | string[] | undefined,
): { readonly protocol: string } | { readonly status: string; readonly message: string } {
  const offered = [header ?? []]
    .flat()
    .flatMap((h) => h.split(","))
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (offered.length === 0) {
    return { status: "400 Bad Request", message: "unable to upgrade: header X-Stream-Protocol-Version is missing" };
  }
  if (!offered.includes(SPDY_PORT_FORWARD_PROTOCOL)) {
    return {
      status: "403 Forbidden",
      message:
        `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], ` +
        `server accepts [${SPDY_PORT_FORWARD_PROTOCOL}]`,
    };
  }
  return { protocol: SPDY_PORT_FORWARD_PROTOCOL };
}

/**
 * Answers a SPDY/3.1 upgrade for a pod's port-forward: negotiates the protocol, writes the 101 and runs the
 * session on `socket` (`head`: bytes already read past the request), dialling the pod with `dial`.
 */
export function acceptSpdyPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, dial: PortDialer): void {
  const negotiated = negotiateSpdyProtocol(req.headers["x-stream-protocol-version"]);
  if (!("protocol" in negotiated)) {
    const accepted = negotiated.status.startsWith("403")
      ? `X-Accepted-Stream-Protocol-Versions: ${SPDY_PORT_FORWARD_PROTOCOL}\r\n`
      : "";
    socket.end(`HTTP/1.1 ${negotiated.status}\r\nContent-Type: text/plain\r\n${accepted}\r\n${negotiated.message}\n`);
    return;
  }
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
      `X-Stream-Protocol-Version: ${negotiated.protocol}\r\n\r\n`,
  );
  new SpdyPortForwardSession(socket, dial).start(head);
}

/** One zlib stream of a direction, used block by block: each call compresses (or inflates) and sync-flushes. */
class ZlibContext {
  private out: Buffer[] = [];

  constructor(private readonly stream: Deflate | Inflate) {
    stream.on("data", (chunk: Buffer) => this.out.push(chunk));
    stream.on("error", () => undefined);
  }

  /** The output for `input`; calls must not overlap (the session runs them one at a time). */
  run(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.stream.once("error", fail);
      this.stream.write(input);
      this.stream.flush(constants.Z_SYNC_FLUSH, () => {
        this.stream.off("error", fail);
        const result = Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  close(): void {
    this.stream.destroy();
  }
}

/** A client-opened stream. */
interface Stream {
  readonly id: number;
  readonly type: "data" | "error";
  readonly port: number;
  /** The client finished its half (FIN) or reset the stream. */
  remoteDone: boolean;
  /** This side sent FIN or RST. */
  localDone: boolean;
  /** Data that arrived before the pod connection was dialled. */
  readonly early: Buffer[];
}

/** The two streams of one forwarded connection, by request id. */
interface StreamPair {
  readonly requestId: string;
  data?: Stream;
  error?: Stream;
  timer?: NodeJS.Timeout;
  /** The pod connection, once both streams are there. */
  dialer?: ChildProcess;
}

/** One SPDY connection from the API server; see the module comment. */
class SpdyPortForwardSession {
  private readonly reader = new FrameReader();
  private readonly inflate = new ZlibContext(createInflate({ dictionary: headerDictionary() }));
  private readonly deflate = new ZlibContext(createDeflate({ dictionary: headerDictionary() }));
  private readonly streams = new Map<number, Stream>();
  private readonly pairs = new Map<string, StreamPair>();
  /** Which pair each stream belongs to. */
  private readonly pairOf = new Map<number, StreamPair>();
  /** Frames are handled one at a time, in order (header blocks share one zlib context). */
  private work: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly dial: PortDialer,
  ) {}

  start(head: Buffer): void {
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("error", () => this.close());
    this.socket.on("close", () => this.close());
    this.socket.on("drain", () => {
      for (const pair of this.pairs.values()) pair.dialer?.stdout?.resume();
    });
    if (head.length > 0) this.receive(head);
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      this.fail();
      return;
    }
    for (const frame of frames) {
      this.work = this.work.then(() => (this.closed ? undefined : this.handle(frame))).catch(() => this.fail());
    }
  }

  private send(frame: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(frame);
  }

  /** A protocol error: GOAWAY and close. */
  private fail(): void {
    if (this.closed) return;
    this.send(goAwayFrame(this.lastStreamId, GoAwayStatus.PROTOCOL_ERROR));
    this.socket.end();
    this.close();
  }

  private async handle(frame: Frame): Promise<void> {
    if (frame.kind === "data") {
      this.onData(frame.streamId, frame.data, (frame.flags & FLAG_FIN) !== 0);
      return;
    }
    if (frame.version !== SPDY_VERSION) throw new Error(`SPDY version ${frame.version} is not 3`);
    switch (frame.type) {
      case ControlType.SYN_STREAM:
        await this.onSynStream(frame.payload, frame.flags);
        return;
      case ControlType.RST_STREAM:
        this.onReset(payloadStreamId(frame.payload));
        return;
      case ControlType.PING:
        // Odd ids are the client's: echo them. Even ids would answer our own pings; none are sent.
        if (frame.payload.length >= 4 && frame.payload.readUInt32BE(0) % 2 === 1) {
          this.send(pingFrame(frame.payload.readUInt32BE(0)));
        }
        return;
      case ControlType.HEADERS:
        // Its header block is read (and dropped) to keep the shared inflater in step with the client's deflater.
        await this.inflate.run(frame.payload.subarray(4));
        if ((frame.flags & FLAG_FIN) !== 0) this.onData(payloadStreamId(frame.payload), Buffer.alloc(0), true);
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, GOAWAY (the client closes the connection itself), unknown types: ignored.
        return;
    }
  }

  private async onSynStream(payload: Buffer, flags: number): Promise<void> {
    const syn = parseSynStream(payload);
    // Every header block goes through the shared inflater, even of a stream that is then refused.
    const headers = decodeHeaderBlock(await this.inflate.run(syn.compressedHeaders));
    if (syn.streamId % 2 === 0 || syn.streamId <= this.lastStreamId) {
      throw new Error(`stream id ${syn.streamId} is not a new client stream id`);
    }
    this.lastStreamId = syn.streamId;
    const get = (name: string): string => headers.get(name.toLowerCase())?.[0] ?? "";
    const portText = get("port");
    const type = get("streamType");
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535 || (type !== "data" && type !== "error")) {
      this.send(rstStreamFrame(syn.streamId, RstStatus.CANCEL));
      return;
    }
    const remoteDone = (flags & FLAG_FIN) !== 0;
    const stream: Stream = { id: syn.streamId, type, port, remoteDone, localDone: false, early: [] };
    this.streams.set(stream.id, stream);
    this.send(synReplyFrame(stream.id, await this.deflate.run(encodeHeaderBlock({}))));
    const requestId = get("requestID") || String(type === "error" ? stream.id : stream.id - 2);
    this.addToPair(requestId, stream);
  }

  private addToPair(requestId: string, stream: Stream): void {
    let pair = this.pairs.get(requestId);
    if (!pair) {
      const created: StreamPair = { requestId };
      created.timer = setTimeout(() => this.timeOut(created), STREAM_PAIR_TIMEOUT_MS);
      this.pairs.set(requestId, created);
      pair = created;
    }
    if (pair[stream.type]) {
      this.writeError(pair, `error processing stream for request ${requestId}: ${stream.type} stream already assigned`);
      this.reset(stream);
      return;
    }
    pair[stream.type] = stream;
    this.pairOf.set(stream.id, pair);
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      this.forward(pair, pair.data);
    }
  }

  private timeOut(pair: StreamPair): void {
    if (pair.dialer || this.closed) return;
    this.writeError(pair, `timed out waiting for streams of request ${pair.requestId}`);
    this.finishPair(pair);
  }

  /** Dials the data stream's port and copies both ways. */
  private forward(pair: StreamPair, data: Stream): void {
    const child = this.dial(data.port, (message) => this.writeError(pair, message));
    pair.dialer = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (data.localDone) return;
      if (!this.send(dataFrame(data.id, chunk))) child.stdout?.pause();
    });
    child.stdin?.on("drain", () => this.socket.resume());
    for (const chunk of data.early.splice(0)) child.stdin?.write(chunk);
    if (data.remoteDone) child.stdin?.end();
    child.on("close", () => {
      // A pod connection that ended while the socket waited for its stdin to drain must not leave it paused.
      this.socket.resume();
      this.finishPair(pair);
    });
  }

  private writeError(pair: StreamPair, message: string): void {
    if (pair.error && !pair.error.localDone) this.send(dataFrame(pair.error.id, Buffer.from(message)));
  }

  /** Finishes this side of both streams (data first, as the client waits on it) and forgets the pair. */
  private finishPair(pair: StreamPair): void {
    clearTimeout(pair.timer);
    for (const s of [pair.data, pair.error]) {
      if (s && !s.localDone) {
        s.localDone = true;
        this.send(dataFrame(s.id, Buffer.alloc(0), true));
      }
      if (s) this.forget(s);
    }
    this.pairs.delete(pair.requestId);
  }

  private forget(stream: Stream): void {
    this.streams.delete(stream.id);
    this.pairOf.delete(stream.id);
  }

  private onData(streamId: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.remoteDone) return;
    const dialer = this.pairOf.get(streamId)?.dialer;
    const stdin = dialer?.stdin;
    if (stream.type === "data" && data.length > 0) {
      if (!dialer) stream.early.push(data);
      else if (stdin?.writable && !stdin.write(data)) this.socket.pause();
    }
    if (fin) {
      stream.remoteDone = true;
      if (stream.type === "data" && dialer) stdin?.end();
    }
  }

  /** The client reset a stream: a data stream's pod connection ends at once. */
  private onReset(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    stream.remoteDone = true;
    stream.localDone = true;
    const dialer = this.pairOf.get(streamId)?.dialer;
    if (stream.type === "data" && dialer) stop(dialer);
  }

  private reset(stream: Stream): void {
    stream.localDone = true;
    this.send(rstStreamFrame(stream.id, RstStatus.CANCEL));
  }

  /** The connection is gone: end every pod connection and pending timer. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pair of this.pairs.values()) {
      clearTimeout(pair.timer);
      if (pair.dialer) stop(pair.dialer);
    }
    this.pairs.clear();
    this.streams.clear();
    this.pairOf.clear();
    this.inflate.close();
    this.deflate.close();
  }
}

function stop(child: ChildProcess): void {
  child.stdin?.end();
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}
