/**
 * Reads one input file safely: only regular files (a FIFO, a device, a socket or a directory is an error,
 * and the file is opened non-blocking so a FIFO swapped in between cannot hang the reader), at most a
 * budget of bytes, and only valid UTF-8.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import type { InputError } from "./parse";

/** The outcome of reading one file. */
export type FileRead =
  | {
      readonly kind: "text";
      readonly text: string;
      /** The file's stat when it was opened (before its bytes were read). */
      readonly stats: Stats;
    }
  | { readonly kind: "gone" }
  | { readonly kind: "error"; readonly error: InputError };

/**
 * Reads `file` as UTF-8 text if it is a regular file of at most `maxBytes` bytes. Never throws. The file system calls
 * are synchronous (ADR 0026): a changed file is read on the watch event's turn, not after six round trips through
 * the thread pool (each one a wait for the event loop on a busy machine); parsing the text costs more anyway.
 */
export function readInputFile(file: string, maxBytes: number): FileRead {
  const fail = (message: string, line = 0, column = 0): FileRead => ({
    kind: "error",
    error: { file, line, column, message },
  });
  let fd: number | undefined;
  try {
    // stat (following symlinks) before opening: a device or FIFO is refused without being opened.
    const problem = notReadable(statSync(file), maxBytes);
    if (problem) return fail(problem);
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const stats = fstatSync(fd);
    const swapped = notReadable(stats, maxBytes);
    if (swapped) return fail(swapped);
    const bytes = readAtMost(fd, maxBytes + 1, stats.size);
    if (bytes.length > maxBytes) return fail(`is larger than the limit of ${maxBytes} bytes per file`);
    const bad = isUtf8(bytes) ? undefined : firstInvalidUtf8(bytes);
    if (bad !== undefined) {
      const before = bytes.subarray(0, bad);
      const line = before.filter((b) => b === 0x0a).length + 1;
      return fail(`not valid UTF-8 (byte 0x${bytes[bad].toString(16)})`, line, bad - before.lastIndexOf(0x0a));
    }
    return { kind: "text", text: new TextDecoder("utf-8").decode(bytes), stats };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") return { kind: "gone" };
    return fail(`cannot read: ${e.code ?? e.message}`);
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing to do: the bytes were read
  }
}

/** Reads up to `limit` bytes of a file of `size0` bytes when opened (it may grow while it is read). */
function readAtMost(fd: number, limit: number, size0: number): Buffer {
  let buf = Buffer.alloc(Math.min(size0 + 1, limit));
  let size = 0;
  for (;;) {
    const bytesRead = readSync(fd, buf, size, buf.length - size, size);
    size += bytesRead;
    if (bytesRead === 0 || size === limit) return buf.subarray(0, size);
    if (size === buf.length) buf = Buffer.concat([buf, Buffer.alloc(Math.min(buf.length, limit - buf.length))]);
  }
}

/** Why a file with these stats is not read, if it is not. */
function notReadable(st: Stats, maxBytes: number): string | undefined {
  if (!st.isFile()) return `is ${fileType(st)}, not a regular file; only regular files are read`;
  if (st.size > maxBytes) return `is ${st.size} bytes, larger than the limit of ${maxBytes} bytes per file`;
  return undefined;
}

function fileType(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** The offset of the first byte that is not part of a valid UTF-8 sequence, if any. */
export function firstInvalidUtf8(b: Uint8Array): number | undefined {
  let i = 0;
  while (i < b.length) {
    const n = sequenceLength(b, i);
    if (n === 0) return i;
    i += n;
  }
  return undefined;
}

/**
 * Valid UTF-8 sequences by lead byte (RFC 3629, table 3-7 of Unicode): the range of the lead byte, the
 * range of the second byte (which excludes overlong forms, surrogates and code points above U+10FFFF),
 * and the sequence length.
 */
const SEQUENCES: readonly (readonly [number, number, number, number, number])[] = [
  [0xc2, 0xdf, 0x80, 0xbf, 2],
  [0xe0, 0xe0, 0xa0, 0xbf, 3],
  [0xe1, 0xec, 0x80, 0xbf, 3],
  [0xed, 0xed, 0x80, 0x9f, 3],
  [0xee, 0xef, 0x80, 0xbf, 3],
  [0xf0, 0xf0, 0x90, 0xbf, 4],
  [0xf1, 0xf3, 0x80, 0xbf, 4],
  [0xf4, 0xf4, 0x80, 0x8f, 4],
];

/** The length of the valid UTF-8 sequence at `i`, or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const seq = SEQUENCES.find(([lo, hi]) => c >= lo && c <= hi);
  if (!seq || i + seq[4] > b.length) return 0;
  if (b[i + 1] < seq[2] || b[i + 1] > seq[3]) return 0;
  for (let k = 2; k < seq[4]; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return seq[4];
}
