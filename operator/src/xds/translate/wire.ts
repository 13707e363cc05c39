/**
 * Protobuf wire-format helpers for the builders that work on encoded bytes: the VHDS split (vhds.ts) and the
 * route configuration assembled from reused encoded virtual hosts and routes (route-encode.ts). Only what those
 * need: varints, length-delimited fields, and walking a message's top-level fields.
 */

/** Reads a varint at `pos`; returns the value and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error("truncated varint");
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** Encodes a varint. */
export function encodeVarint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** The wire tag of a length-delimited field. */
export function lengthDelimitedTag(fieldNumber: number): number {
  return (fieldNumber << 3) | 2;
}

/**
 * `parts` joined into a Buffer of its own. `Buffer.concat` takes a result under 4 KiB from Node's shared 8 KiB pool,
 * and one kept slice holds its whole slab: encoded routes and virtual hosts are kept across passes (build-memo.ts)
 * among the pass's short-lived buffers, so pooled they would hold several times their size (ADR 0034).
 */
export function concat(parts: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A length-delimited field: tag, length, bytes. */
export function field(tag: number, bytes: Uint8Array): Buffer {
  return concat([encodeVarint(tag), encodeVarint(bytes.length), bytes]);
}

/** Calls `visit(tag, start, valueStart, end)` per top-level field of a message (`start..end` is the whole field). */
export function forEachField(
  buf: Uint8Array,
  visit: (tag: number, start: number, valueStart: number, end: number) => void,
): void {
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(buf, pos);
    let end: number;
    let valueStart = afterTag;
    switch (tag & 7) {
      case 0:
        end = readVarint(buf, afterTag)[1];
        break;
      case 1:
        end = afterTag + 8;
        break;
      case 2: {
        const [len, afterLen] = readVarint(buf, afterTag);
        valueStart = afterLen;
        end = afterLen + len;
        break;
      }
      case 5:
        end = afterTag + 4;
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
    if (end > buf.length) throw new Error("truncated field");
    visit(tag, start, valueStart, end);
    pos = end;
  }
}

/**
 * Where the leading fields of an encoded message end: the position of its first top-level field whose number is
 * above `lastLeading` (the message's length when there is none). ts-proto writes fields in the order the .proto
 * declares them, so a repeated field declared right after those can be inserted there.
 */
export function leadingFieldsEnd(buf: Uint8Array, lastLeading: number): number {
  let out = -1;
  forEachField(buf, (tag, start) => {
    if (out < 0 && tag >>> 3 > lastLeading) out = start;
  });
  return out < 0 ? buf.length : out;
}

/**
 * A message's bytes with already encoded length-delimited fields (`fields`, each tag + length + value) inserted
 * after its leading fields (see {@link leadingFieldsEnd}).
 */
export function withFieldsAfter(shell: Uint8Array, lastLeading: number, fields: readonly Uint8Array[]): Buffer {
  const at = leadingFieldsEnd(shell, lastLeading);
  return concat([shell.subarray(0, at), ...fields, shell.subarray(at)]);
}
