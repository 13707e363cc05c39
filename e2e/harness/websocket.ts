/**
 * The server side of a WebSocket (RFC 6455), as much as the simulated kubelet's streaming endpoints need: the
 * opening handshake with subprotocol choice, binary and text messages (fragmented ones joined), ping/pong, and
 * the closing handshake. Frames the server sends are unmasked, the client's are masked (§5.1).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** The GUID a Sec-WebSocket-Accept is derived with (RFC 6455 §1.3). */
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** An open WebSocket. */
export interface WebSocketConn {
  /** The subprotocol chosen ("" when the client offered none). */
  readonly protocol: string;
  /** Sends one binary message. */
  send(data: Buffer): void;
  /** Sends a close frame (status 1000) and ends the connection. */
  close(): void;
  /** Called with each message the client sends (text messages as their UTF-8 bytes). */
  onMessage(handler: (data: Buffer) => void): void;
  /** Called once when the connection is gone (closed by either side, or broken). */
  onClose(handler: () => void): void;
}

/** One frame header and payload, or undefined when `buf` does not hold a whole frame yet. */
function readFrame(buf: Buffer): { fin: boolean; op: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const mask = masked ? buf.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { fin: (buf[0] & 0x80) !== 0, op: buf[0] & 0x0f, payload, size: at + len };
}

/** An unmasked frame with FIN set. */
function frame(op: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | op, len])
      : len < 65536
        ? Buffer.from([0x80 | op, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | op, 127]), bigLength(len)]);
  return Buffer.concat([head, payload]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}

/** Whether a request asks to upgrade to a WebSocket. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket" && req.headers["sec-websocket-key"] !== undefined;
}

/**
 * Completes the opening handshake of an upgrade request on `socket`, choosing the first protocol of
 * `protocols` the client offers ("" when it offers none, if "" is in `protocols`); answers 400 and returns
 * undefined when no protocol fits.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: readonly string[],
): WebSocketConn | undefined {
  const offered = (req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const protocol = offered.length === 0 ? "" : protocols.find((p) => p !== "" && offered.includes(p));
  if (protocol === undefined || !protocols.includes(protocol)) {
    socket.end(`HTTP/1.1 400 Bad Request\r\n\r\nno supported WebSocket protocol among ${offered.join(", ")}\n`);
    return undefined;
  }
  const accept = createHash("sha1")
    .update(`${String(req.headers["sec-websocket-key"])}${HANDSHAKE_GUID}`)
    .digest("base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ""}\r\n`,
  );
  return openConn(socket, head, protocol);
}

function openConn(socket: Duplex, head: Buffer, protocol: string): WebSocketConn {
  const messageHandlers: ((data: Buffer) => void)[] = [];
  const closeHandlers: (() => void)[] = [];
  let pending = head;
  let fragments: Buffer[] = [];
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h();
  };
  const conn: WebSocketConn = {
    protocol,
    send: (data) => {
      if (!closed && socket.writable) socket.write(frame(OP.binary, data));
    },
    close: () => {
      if (!closed && socket.writable) socket.end(frame(OP.close, Buffer.from([0x03, 0xe8])));
      finish();
    },
    onMessage: (h) => messageHandlers.push(h),
    onClose: (h) => closeHandlers.push(h),
  };
  const onFrame = (f: { fin: boolean; op: number; payload: Buffer }): void => {
    if (f.op === OP.close) conn.close();
    else if (f.op === OP.ping) socket.write(frame(OP.pong, f.payload));
    else if (f.op === OP.text || f.op === OP.binary || f.op === OP.continuation) {
      fragments.push(f.payload);
      if (!f.fin) return;
      const message = Buffer.concat(fragments);
      fragments = [];
      for (const h of messageHandlers) h(message);
    }
  };
  const consume = (): void => {
    for (let f = readFrame(pending); f; f = readFrame(pending)) {
      pending = pending.subarray(f.size);
      onFrame(f);
    }
  };
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    consume();
  });
  socket.on("close", finish);
  socket.on("error", finish);
  // Frames that came with the upgrade request are handled once the caller has registered its handlers.
  if (pending.length > 0) setImmediate(consume);
  return conn;
}
