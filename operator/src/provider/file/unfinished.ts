/**
 * Half-written files (ADR 0026). The folder's watch reads a file at its first write event, which may come while
 * the writer is still writing it in place (truncated, then written in one or more steps, perhaps with a pause).
 * Node's watch has no "closed after writing" event, so a read cannot know that the writer is done; what it can see
 * is a text that does not look finished: it does not parse, it does not end at the end of a line, or it lacks
 * objects the file had (a truncated file, or one cut at a document boundary). Such a read is held back: the file
 * keeps its last good objects (so its routes never vanish for a pass) until a later read of it looks finished, or
 * until the same text has stayed for the settle time (then it is final: a deliberate removal of objects, or an
 * error that is reported with its file and line).
 */
import type { FileEntry } from "./folder-cache";

/** Why the read `entry` of a file does not look finished, given the file's last accepted entry; or undefined. */
export function unfinishedReason(entry: FileEntry, good: FileEntry | undefined): string | undefined {
  if (entry.parsed.errors.length > 0) return "does not parse";
  if (!endsComplete(entry.text)) return "does not end at the end of a line";
  if (endsWithOpenKey(entry.text)) return "ends with a key that has no value";
  if (good && good.keys.length > 0) {
    const now = new Set(entry.keys);
    const lost = good.keys.find((k) => !now.has(k));
    if (lost !== undefined) return `lacks ${lost}, which it had`;
  }
  return undefined;
}

/**
 * Whether `text` ends where a written file ends: after a line break, or (JSON is often written without one) after a
 * closing bracket. A text cut in the middle of a line can parse (a scalar cut short), so it is not taken as final.
 */
function endsComplete(text: string): boolean {
  if (text.endsWith("\n")) return true;
  const last = text.trimEnd().at(-1);
  return last === "}" || last === "]";
}

/**
 * Whether the last line of `text` opens a block it does not hold (`spec:`, `- matches:`, a lone `-`): a file cut at
 * a line boundary inside its last object usually ends so. A real file seldom ends with a key without a value.
 */
function endsWithOpenKey(text: string): boolean {
  const end = text.trimEnd();
  const last = end.slice(end.lastIndexOf("\n") + 1).trim();
  return last === "-" || (last.endsWith(":") && !last.startsWith("#"));
}

/** A read of a file held back: what it read, since when (`performance.now()`). */
export interface Held {
  /** The text read (or, for a read that failed, its error), to see whether the next read found the same. */
  readonly print: string;
  readonly since: number;
}

/** The fingerprint of a read: its text, or its error for a read that failed (which has no text). */
export function readPrint(entry: FileEntry): string {
  const e = entry.parsed.errors[0];
  return entry.text === "" && e ? `\0${e.line}:${e.column}:${e.message}` : entry.text;
}
