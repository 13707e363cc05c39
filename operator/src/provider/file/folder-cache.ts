/**
 * What the file provider keeps of a folder between reads (ADR 0019): per file, its text, what the file's stat said
 * when it was read, and everything derived from the text alone (parsed objects, their identities, the warnings
 * about them, their part of the snapshot). A change re-reads and re-parses only the files that changed; the
 * snapshot is assembled from the files' parts, so an unchanged file's objects stay the same objects (the HTTPRoute
 * compile memo keys on them) and a list of the snapshot no changed file touches stays the same array.
 */
import type { Stats } from "node:fs";
import { snapshotFromObjects, type ResourceSnapshot } from "../../resources/snapshot";
import { listWindow, noteWindow, sameReferences, splicedWindow, type ListWindow } from "../../ir/list-window";
import type { GroupKind } from "../../translate/extension-objects";
import { dropDuplicates, objectKey, type LocatedObject } from "./duplicates";
import { parseManifests, type InputError, type ParseResult } from "./parse";
import { unknownFieldWarnings } from "./unknown-fields";
import { unreadWarnings } from "./unread";
import type { ProviderEvent } from "./file-provider";
import { readPrint, unfinishedReason, type Held } from "./unfinished";

/**
 * What a file's stat said when it was read. The same stamp later means the same file content, unless the file was
 * written again within the file system's timestamp granularity of that read: see {@link FileStamp.racy}.
 */
export interface FileStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /**
   * The file was modified shortly before it was read ("racily clean", as git calls it): a write right after the
   * read may leave the same stamp (coarse timestamps), so the stamp alone does not prove the text unchanged.
   */
  readonly racy: boolean;
}

/**
 * A file modified less than this long before it was read has a {@link FileStamp.racy} stamp. File systems keep
 * timestamps to a clock tick (ext4, tmpfs: the kernel's coarse clock, a few ms) or coarser (FAT: 2 s).
 */
export const RACY_MS = 2500;

/** The stamp of a file read at `readAtMs` (wall clock, taken before the stat). */
export function stampOf(st: Stats, readAtMs: number): FileStamp {
  const { dev, ino, size, mtimeMs, ctimeMs } = st;
  return { dev, ino, size, mtimeMs, ctimeMs, racy: Math.max(mtimeMs, ctimeMs) >= readAtMs - RACY_MS };
}

/** Whether `st` shows the same file, unchanged since it was stamped (never for a racy stamp). */
export function sameStamp(stamp: FileStamp | undefined, st: Stats): boolean {
  return (
    stamp !== undefined &&
    !stamp.racy &&
    stamp.ino === st.ino &&
    stamp.dev === st.dev &&
    stamp.size === st.size &&
    stamp.mtimeMs === st.mtimeMs &&
    stamp.ctimeMs === st.ctimeMs
  );
}

/** One file as last read: its text and everything derived from it. */
export interface FileEntry {
  readonly file: string;
  readonly text: string;
  /** UTF-8 bytes of `text` (for the folder's budget). */
  readonly bytes: number;
  readonly parsed: ParseResult;
  /** The parsed objects at their places. */
  readonly located: readonly LocatedObject[];
  /** {@link objectKey} of each parsed object. */
  readonly keys: readonly string[];
  /** Objects egts does not read (unread.ts), in document order. */
  readonly unread: readonly InputError[];
  /** Fields the objects' APIs do not have (unknown-fields.ts), in document order. */
  readonly unknownFields: readonly InputError[];
  /** The file's objects sorted into a snapshot of their own. */
  readonly part: ResourceSnapshot;
}

/** The entry of `file` read as `text`: `previous` itself when it has the same text, else the text parsed. */
export function fileEntry(
  file: string,
  text: string,
  extensionKinds: readonly GroupKind[],
  previous?: FileEntry,
): FileEntry {
  if (previous && previous.text === text) return previous;
  const parsed = parseManifests(file, text);
  const located = parsed.objects.map((object, i) => ({ object, location: parsed.locations[i] }));
  return {
    file,
    text,
    bytes: Buffer.byteLength(text),
    parsed,
    located,
    keys: parsed.objects.map(objectKey),
    unread: unreadWarnings(located, extensionKinds),
    unknownFields: unknownFieldWarnings(located),
    part: snapshotFromObjects(parsed.objects),
  };
}

/** A file that could not be read, as an entry holding only its error (never cached). */
export function failedEntry(error: InputError): FileEntry {
  const parsed = { objects: [], locations: [], errors: [error] };
  const none = { located: [], keys: [], unread: [], unknownFields: [] };
  return { file: error.file, text: "", bytes: 0, parsed, ...none, part: snapshotFromObjects([]) };
}

/**
 * The entries of one folder's files, and the last event assembled from them. Object keys are counted as entries
 * come and go, so a folder without duplicate objects (the usual case) is assembled without looking at every object.
 */
export class FolderCache {
  private readonly entries = new Map<string, FileEntry>();
  /** What each entry's file's stat said when it was last read. */
  private readonly stamps = new Map<string, FileStamp>();
  /** How many times each object key is defined, over all entries. */
  private readonly counts = new Map<string, number>();
  /** Keys defined more than once. */
  private duplicated = 0;
  private last?: { readonly entries: readonly FileEntry[]; readonly event: ProviderEvent; readonly tally: Tally };
  /** The last snapshot assembled (its unchanged lists are reused). */
  private lastSnapshot?: ResourceSnapshot;
  /** The files' parts {@link lastSnapshot} was merged from (undefined: it was not merged from parts). */
  private lastParts?: readonly ResourceSnapshot[];
  /** The entries {@link lastParts} are the parts of (an error event's read since may have other entries). */
  private partsOf?: readonly FileEntry[];
  private kinds?: string;
  /** Reads held back as half-written (unfinished.ts), by file. */
  private readonly holds = new Map<string, Held>();

  /**
   * @param settleMs With a settle time (the folder's watch), reads that look half-written are held back (see
   * {@link withheld}); without one (a one-time read), every read is taken as it is.
   */
  constructor(private readonly settleMs?: number) {}

  /** The entry of `file`, if it was read. */
  get(file: string): FileEntry | undefined {
    return this.entries.get(file);
  }

  /**
   * The entries of the last read, in reading order (by file); undefined before the first read and after the extension
   * kinds changed (everything is read again then).
   */
  lastEntries(): readonly FileEntry[] | undefined {
    return this.last?.entries;
  }

  /** What `file`'s stat said when it was last read. */
  stamp(file: string): FileStamp | undefined {
    return this.stamps.get(file);
  }

  /** Forgets everything when the extension kinds (which decide the unread warnings) differ from the last read's. */
  useExtensionKinds(kinds: readonly GroupKind[]): void {
    const key = JSON.stringify(kinds);
    if (this.kinds !== undefined && this.kinds !== key) {
      for (const file of [...this.entries.keys()]) this.delete(file);
      this.last = this.lastSnapshot = this.lastParts = this.partsOf = undefined;
    }
    this.kinds = key;
  }

  /** Records `entry`, read when the file's stat said `stamp` (replacing the file's previous entry). */
  set(entry: FileEntry, stamp: FileStamp): void {
    this.stamps.set(entry.file, stamp);
    const old = this.entries.get(entry.file);
    if (old === entry) return;
    if (old) this.count(old.keys, -1);
    this.count(entry.keys, 1);
    this.entries.set(entry.file, entry);
  }

  /**
   * Whether the read `entry` of its file is held back as half-written (unfinished.ts): the cache has a settle time,
   * the read does not look finished, and the same read has not stayed for the settle time yet. The caller keeps the
   * file's last good entry meanwhile. A read that looks finished, or that settled, ends the file's hold.
   */
  withheld(entry: FileEntry, now = performance.now()): boolean {
    const settleMs = this.settleMs;
    if (settleMs === undefined) return false;
    const file = entry.file;
    if (unfinishedReason(entry, this.entries.get(file)) === undefined) {
      this.holds.delete(file);
      return false;
    }
    const print = readPrint(entry);
    const held = this.holds.get(file);
    if (held?.print !== print) {
      this.holds.set(file, { print, since: now });
      return true;
    }
    if (now - held.since < settleMs) return true;
    this.holds.delete(file);
    return false;
  }

  /** The files held back as half-written, and when the earliest hold began (`performance.now()`). */
  held(): { readonly files: readonly string[]; readonly since: number } | undefined {
    if (this.holds.size === 0) return undefined;
    const since = Math.min(...[...this.holds.values()].map((h) => h.since));
    return { files: [...this.holds.keys()], since };
  }

  /** Forgets `file`. */
  delete(file: string): void {
    this.holds.delete(file);
    this.stamps.delete(file);
    const old = this.entries.get(file);
    if (!old) return;
    this.count(old.keys, -1);
    this.entries.delete(file);
  }

  /** Forgets every file not in `present`, and the holds of files not `listed` (no longer in the folder). */
  keepOnly(present: ReadonlySet<string>, listed: ReadonlySet<string> = present): void {
    for (const file of [...this.entries.keys()]) if (!present.has(file)) this.delete(file);
    for (const file of [...this.holds.keys()]) if (!listed.has(file)) this.holds.delete(file);
  }

  /**
   * The snapshot (or the errors) of these entries (every file read, in reading order) within the folder's byte
   * budget, after `vanished` (warnings about files gone while the folder was read). The same event object as last
   * time when the entries are the same ones and none vanished: nothing changed.
   */
  event(entries: readonly FileEntry[], vanished: readonly InputError[], maxTotalBytes: number): ProviderEvent {
    const last = this.last;
    // A read of the named files notes its window against the last entries (list-window.ts): both checks read that
    // window only, so a change of one file of thousands costs that file.
    const window = last && listWindow(last.entries, entries);
    if (last && window && vanished.length === 0 && sameReferences(last.entries, entries, window)) return last.event;
    const tally =
      last && window
        ? addTally(
            addTally(last.tally, last.entries, window.from, window.beforeTo, -1),
            entries,
            window.from,
            window.afterTo,
          )
        : addTally(undefined, entries, 0, entries.length);
    // The window says where the entries changed since the last read; the last parts are its parts only if the last
    // read made them (not after an error event, whose read may have changed other entries).
    const partsWindow = last && window && this.partsOf === last.entries ? window : undefined;
    const event = this.assemble(entries, vanished, maxTotalBytes, tally, partsWindow);
    this.last = { entries, event, tally };
    if (event.kind === "snapshot") this.lastSnapshot = event.snapshot;
    return event;
  }

  private assemble(
    entries: readonly FileEntry[],
    vanished: readonly InputError[],
    maxTotalBytes: number,
    tally: Tally,
    /** Where `entries` differ from the entries of the last parts (undefined: not known). */
    window: ListWindow | undefined,
  ): ProviderEvent {
    if (tally.withErrors > 0 || tally.bytes > maxTotalBytes) {
      return { kind: "error", errors: folderErrors(entries, maxTotalBytes) };
    }
    const files = entries.length + vanished.length;
    // Vanished files, then every file's unread objects, then every file's unknown fields (most folders have none).
    const warnings = tally.withWarnings > 0 ? [...vanished, ...entryWarnings(entries)] : [...vanished];
    if (this.duplicated > 0) {
      // Rare: the last definition of each object wins, at its place in reading order (duplicates.ts).
      const unique = dropDuplicates(entries.flatMap((e) => e.located));
      warnings.push(...unique.warnings);
      this.lastParts = this.partsOf = undefined;
      return { kind: "snapshot", snapshot: snapshotFromObjects(unique.objects), files, warnings };
    }
    const lastParts = this.lastParts;
    const parts =
      lastParts && window
        ? splicedWindow(
            lastParts,
            window,
            entries.slice(window.from, window.afterTo).map((e) => e.part),
          )
        : entries.map((e) => e.part);
    const snapshot = mergeParts(
      parts,
      this.lastParts && this.lastSnapshot && { snapshot: this.lastSnapshot, parts: this.lastParts },
    );
    this.lastParts = parts; // event() makes this snapshot the last one
    this.partsOf = entries;
    return { kind: "snapshot", snapshot, files, warnings };
  }

  private count(keys: readonly string[], delta: 1 | -1): void {
    for (const k of keys) {
      const was = this.counts.get(k) ?? 0;
      const now = was + delta;
      if (now === 0) this.counts.delete(k);
      else this.counts.set(k, now);
      if (was <= 1 && now > 1) this.duplicated++;
      else if (was > 1 && now <= 1) this.duplicated--;
    }
  }
}

/** The parse errors of the entries in reading order, up to the first file past the folder's byte budget. */
function folderErrors(entries: readonly FileEntry[], maxTotalBytes: number): InputError[] {
  const errors: InputError[] = [];
  let total = 0;
  for (const e of entries) {
    total += e.bytes;
    if (total > maxTotalBytes) {
      const message = `the folder's files exceed the limit of ${maxTotalBytes} bytes in total`;
      errors.push({ file: e.file, line: 0, column: 0, message });
      break;
    }
    if (e.parsed.errors.length > 0) errors.push(...e.parsed.errors);
  }
  return errors;
}

/** Every entry's unread objects, then every entry's unknown fields. */
function entryWarnings(entries: readonly FileEntry[]): InputError[] {
  const warnings: InputError[] = [];
  for (const e of entries) if (e.unread.length > 0) warnings.push(...e.unread);
  for (const e of entries) if (e.unknownFields.length > 0) warnings.push(...e.unknownFields);
  return warnings;
}

/** Sums over a read's entries that decide whether its event needs a look at every entry. */
interface Tally {
  /** UTF-8 bytes of all files. */
  readonly bytes: number;
  /** Entries with parse errors. */
  readonly withErrors: number;
  /** Entries with unread objects or unknown fields. */
  readonly withWarnings: number;
}

/** `base` (or nothing) plus (`sign` 1) or minus (-1) the entries `[from, to)`. */
function addTally(base: Tally | undefined, entries: readonly FileEntry[], from: number, to: number, sign = 1): Tally {
  let bytes = base?.bytes ?? 0;
  let withErrors = base?.withErrors ?? 0;
  let withWarnings = base?.withWarnings ?? 0;
  for (let i = from; i < to; i++) {
    const e = entries[i];
    bytes += sign * e.bytes;
    if (e.parsed.errors.length > 0) withErrors += sign;
    if (e.unread.length > 0 || e.unknownFields.length > 0) withWarnings += sign;
  }
  return { bytes, withErrors, withWarnings };
}

/**
 * The files' snapshots as one, lists concatenated in reading order (what {@link snapshotFromObjects} of all their
 * objects returns). With the `previous` merge and the parts it was made of, only the lists the changed files (a window
 * of the parts, by reference) had or have objects of are concatenated again; the others are `previous`'s arrays, as
 * is a list with the same objects. A list made again carries its window against `previous`'s (list-window.ts
 * `noteWindow`), so the stages after the provider do not compare 10,000s of objects to find a changed file's.
 */
export function mergeParts(
  parts: readonly ResourceSnapshot[],
  previous?: { readonly snapshot: ResourceSnapshot; readonly parts: readonly ResourceSnapshot[] },
): ResourceSnapshot {
  if (parts.length === 0) return snapshotFromObjects([]);
  const merged: Record<string, unknown> = {};
  const before = (previous?.snapshot ?? {}) as Record<string, unknown>;
  const window = previous ? listWindow(previous.parts, parts) : undefined;
  const merge = (lists: (p: ResourceSnapshot) => readonly unknown[] | undefined, prior: unknown): readonly unknown[] =>
    mergedList(
      parts,
      lists,
      previous && window ? { list: prior as unknown[] | undefined, parts: previous.parts, window } : undefined,
    );
  for (const key of Object.keys(parts[0])) {
    const value0 = (parts[0] as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value0))
      merged[key] = merge((p) => (p as unknown as Record<string, unknown[]>)[key], before[key]);
    else {
      const inner: Record<string, unknown> = {};
      const prior = (before[key] ?? {}) as Record<string, unknown[]>;
      for (const field of Object.keys((value0 ?? {}) as object)) {
        inner[field] = merge(
          (p) => (p as unknown as Record<string, Record<string, unknown[]> | undefined>)[key]?.[field],
          prior[field],
        );
      }
      merged[key] = inner;
    }
  }
  return merged as unknown as ResourceSnapshot;
}

/** The window of the parts that changed, the parts before it, and the list they merged to. */
interface LastMerge {
  readonly list: readonly unknown[] | undefined;
  readonly parts: readonly ResourceSnapshot[];
  readonly window: ListWindow;
}

/** One list of the merge: `of` each part's, concatenated; `previous`'s when the changed parts have none of it. */
function mergedList(
  parts: readonly ResourceSnapshot[],
  of: (p: ResourceSnapshot) => readonly unknown[] | undefined,
  previous: LastMerge | undefined,
): readonly unknown[] {
  const lists = (): (readonly unknown[])[] => parts.map((p) => of(p) ?? []);
  if (!previous?.list) return concat(lists(), undefined);
  const { window: w, list } = previous;
  const removed = countIn(previous.parts, of, w.from, w.beforeTo);
  const added = countIn(parts, of, w.from, w.afterTo);
  if (removed === 0 && added === 0) return list;
  // Where the window starts in the list: counted over the shorter side of it (the parts outside it are the same).
  const after = parts.length - w.afterTo;
  const at =
    w.from <= after
      ? countIn(parts, of, 0, w.from)
      : list.length - removed - countIn(parts, of, w.afterTo, parts.length);
  // The objects before and after the window are the previous list's: copied in two slices, not gathered from every part.
  const middle = ([] as unknown[]).concat(...parts.slice(w.from, w.afterTo).map((p) => of(p) ?? []));
  const out = list.slice(0, at).concat(middle, list.slice(at + removed));
  // Outside the window the parts are the same: the lists are the same when the window's objects are.
  if (removed === added && sameRun(list, out, at, added)) return list;
  noteWindow(list, out, { from: at, beforeTo: at + removed, afterTo: at + added });
  return out;
}

/** Whether `a` and `b` hold the same objects at `[at, at + n)`. */
function sameRun(a: readonly unknown[], b: readonly unknown[], at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How many objects `of` parts `[from, to)` hold. */
function countIn(
  parts: readonly ResourceSnapshot[],
  of: (p: ResourceSnapshot) => readonly unknown[] | undefined,
  from: number,
  to: number,
): number {
  let n = 0;
  for (let i = from; i < to; i++) n += of(parts[i])?.length ?? 0;
  return n;
}

function concat(lists: readonly (readonly unknown[])[], previous: readonly unknown[] | undefined): readonly unknown[] {
  const out = lists.length === 1 ? lists[0] : ([] as unknown[]).concat(...lists);
  return previous && sameItems(previous, out) ? previous : out;
}

/** Whether two lists hold the same items (by identity) in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
