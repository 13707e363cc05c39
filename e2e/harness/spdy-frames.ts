/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 with the 3.1 additions), the subset a port-forward server
 * needs, as pure functions: reading frames out of a byte stream, encoding the frames the server sends, and the
 * uncompressed name/value header block. Header blocks travel zlib-compressed with the dictionary of
 * {@link headerDictionary}; the compression contexts (one per direction, kept for the whole connection) live
 * in spdy-session.ts.
 *
 * Frame layout: a control frame starts with the control bit, the 15-bit version (3) and the 16-bit type; a
 * data frame starts with the 31-bit stream id. Both continue with 8 bits of flags and a 24-bit length.
 */

/** The protocol version in every control frame. */
export const SPDY_VERSION = 3;

/** Control frame types. */
export const ControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FLAG_FIN (data and control frames): the sender's last frame on the stream. */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL (SYN_STREAM): the receiver sends nothing on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 };

/** GOAWAY status codes. */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 };

/** The largest frame payload accepted (the 24-bit length field allows 16 MiB). */
const MAX_PAYLOAD = 0xffffff;

/** A frame read off the wire. */
export type Frame =
  | { readonly kind: "data"; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | {
      readonly kind: "control";
      readonly version: number;
      readonly type: number;
      readonly flags: number;
      readonly payload: Buffer;
    };

/**
 * Splits a byte stream into frames: {@link FrameReader.push} takes the next bytes and returns the frames they
 * complete; a partial frame waits for more.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Appends `chunk`; returns every frame now complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.pending.length - at >= 8) {
      const length = this.pending.readUIntBE(at + 5, 3);
      if (length > MAX_PAYLOAD || this.pending.length - at < 8 + length) break;
      const first = this.pending.readUInt32BE(at);
      const flags = this.pending.readUInt8(at + 4);
      const payload = this.pending.subarray(at + 8, at + 8 + length);
      frames.push(
        first & 0x80000000
          ? { kind: "control", version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload }
          : { kind: "data", streamId: first, flags, data: payload },
      );
      at += 8 + length;
    }
    this.pending = this.pending.subarray(at);
    return frames;
  }
}

function header(first: number, flags: number, length: number): Buffer {
  if (length > MAX_PAYLOAD) throw new Error(`SPDY frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  const b = Buffer.alloc(8);
  b.writeUInt32BE(first >>> 0);
  b.writeUInt8(flags, 4);
  b.writeUIntBE(length, 5, 3);
  return b;
}

/** A control frame of `type` with `flags` around `payload`. */
export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([header((0x8000 | SPDY_VERSION) * 0x10000 + type, flags, payload.length), payload]);
}

/** A DATA frame on `streamId`; `fin` ends the sender's half of the stream. */
export function dataFrame(streamId: number, data: Buffer, fin = false): Buffer {
  return Buffer.concat([header(streamId & 0x7fffffff, fin ? FLAG_FIN : 0, data.length), data]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** A SYN_REPLY accepting `streamId`, with an already compressed header block. */
export function synReplyFrame(streamId: number, compressedHeaders: Buffer, fin = false): Buffer {
  return controlFrame(ControlType.SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId), compressedHeaders]));
}

/** A RST_STREAM ending `streamId` abnormally with `status` ({@link RstStatus}). */
export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(ControlType.RST_STREAM, 0, u32(streamId, status));
}

/** A PING with `id` (a server answers a client's odd id by sending the same frame back). */
export function pingFrame(id: number): Buffer {
  return controlFrame(ControlType.PING, 0, u32(id));
}

/** A GOAWAY: no stream above `lastGoodStreamId` will be processed. */
export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(ControlType.GOAWAY, 0, u32(lastGoodStreamId, status));
}

/** A SYN_STREAM's fixed fields and its (still compressed) header block. */
export interface SynStream {
  readonly streamId: number;
  readonly associatedTo: number;
  readonly priority: number;
  readonly compressedHeaders: Buffer;
}

/** Reads a SYN_STREAM payload; throws when it is too short. */
export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new Error(`SYN_STREAM payload of ${payload.length} bytes is too short`);
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedTo: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload.readUInt8(8) >>> 5,
    compressedHeaders: payload.subarray(10),
  };
}

/** The stream id (first 31 bits) of a RST_STREAM, WINDOW_UPDATE, HEADERS or SYN_REPLY payload. */
export function payloadStreamId(payload: Buffer): number {
  return payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
}

/** The uncompressed name/value block of `headers` (names lower-cased, as SPDY/3 requires). */
export function encodeHeaderBlock(headers: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/**
 * The headers of an uncompressed name/value block, lower-cased names mapped to their values (a value holding
 * several NUL-separated values is split). Throws on a truncated block.
 */
export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let at = 0;
  const take = (): Buffer => {
    if (block.length - at < 4) throw new Error("truncated SPDY header block");
    const length = block.readUInt32BE(at);
    if (block.length - at - 4 < length) throw new Error("truncated SPDY header block");
    const b = block.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return b;
  };
  if (block.length < 4) throw new Error("truncated SPDY header block");
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toString("latin1").toLowerCase();
    const values = take().toString("latin1").split("\0");
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

/** The words at the start of SPDY/3's header dictionary, each preceded by its 32-bit length in the dictionary. */
const DICTIONARY_WORDS =
  "options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age " +
  "allow authorization cache-control connection content-base content-encoding content-language content-length " +
  "content-location content-md5 content-range content-type date etag expect expires from host if-match " +
  "if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma " +
  "proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade " +
  "user-agent vary via warning www-authenticate method get status 200_OK version HTTP/1.1 url public " +
  "set-cookie keep-alive origin";

/** The rest of the dictionary, as is: status codes and reasons, dates, content types and cache directives. */
const DICTIONARY_TAIL =
  "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505" +
  "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized" +
  "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable" +
  "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" +
  "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain," +
  "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

/** SPDY/3's zlib dictionary for header blocks (the spec's section 2.6.10.1), 1,423 bytes. */
export function headerDictionary(): Buffer {
  // "200 OK" is one word holding a space, written 200_OK in the space-separated list.
  const words = DICTIONARY_WORDS.split(" ").map((w) => (w === "200_OK" ? "200 OK" : w));
  return Buffer.concat([
    ...words.flatMap((w) => [u32(w.length), Buffer.from(w, "latin1")]),
    Buffer.from(DICTIONARY_TAIL),
  ]);
}
