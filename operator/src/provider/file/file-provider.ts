/**
 * The file provider: a directory of multi-document YAML files, re-read on change, as a stream of snapshots.
 * A change that makes any file invalid emits an error event and no snapshot, so the last good
 * configuration keeps serving until the files are fixed. Reading is bounded (regular files only, a size
 * budget per file and for the folder, and the parse budgets of {@link PARSE_LIMITS}); nothing in the
 * folder can stop or hang the stream.
 */
import { readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Observable, Subject, filter, map, merge, startWith } from "rxjs";
import type { ResourceSnapshot } from "../../resources/snapshot";
import { concatConflate } from "../../streams/conflate";
import { debounceWithMaxWait } from "../../streams/debounce";
import type { GroupKind } from "../../translate/extension-objects";
import { noteWindow } from "../../ir/list-window";
import { failedEntry, fileEntry, FolderCache, sameStamp, stampOf, type FileEntry } from "./folder-cache";
import { quote, type InputError } from "./parse";
import { readInputFile } from "./read-file";
import { partitionPoint } from "../../ir/partition-point";

export { FolderCache } from "./folder-cache";

/** When a read happened (`performance.now()` times), for latency measurements. */
export interface ReadTiming {
  /** The first watch event since the previous read started (absent for the first read). */
  readonly changedAt?: number;
  /** The read started (after the debounce). */
  readonly readStartedAt: number;
  /** The read ended: the event was ready. */
  readonly readEndedAt: number;
}

/** What the provider emits. */
export type ProviderEvent = (
  | {
      readonly kind: "snapshot";
      readonly snapshot: ResourceSnapshot;
      readonly files: number;
      /** Things that did not stop the snapshot but that the user should know (duplicates, vanished files). */
      readonly warnings: readonly InputError[];
    }
  | { readonly kind: "error"; readonly errors: readonly InputError[] }
) & {
  /** When the read that made it happened (events of {@link watchDirectory}). */
  readonly timing?: ReadTiming;
};

/** Size budgets of the file provider (documented in docs/development.md, "Standalone input limits"). */
export const FILE_LIMITS = {
  /** Largest file read, in bytes (10 MiB). */
  maxFileBytes: 10 * 1024 * 1024,
  /** Largest total of all files of the folder, in bytes (64 MiB). */
  maxTotalBytes: 64 * 1024 * 1024,
} as const;

/** File provider settings. */
export interface FileProviderOptions {
  /**
   * Quiet period before re-reading after a change that follows another one closely. The first change after a quiet
   * period is read at once (ADR 0026): a file caught half-written there keeps its last good objects (see
   * `settleMs`) and is read again at its next write event. @default 5
   */
  readonly debounceMs?: number;
  /** Longest wait before re-reading under a steady stream of changes. @default 200 */
  readonly maxWaitMs?: number;
  /**
   * How long a read of a file that does not look finished (it does not parse, is cut mid-line, or lacks objects the
   * file had: unfinished.ts) must stay the same before it is taken as final; until then the file keeps its last good
   * objects. Longer than a writer's pause mid-write; it delays only removals of objects and errors. @default 200
   */
  readonly settleMs?: number;
  /**
   * Period of the watch's full read: the folder listed and every file's stat checked, for changes whose watch event
   * was lost (the kernel's event queue overflowed, a write through a hard link in another folder). Between them, a
   * change reads only the files its events named (ADR 0042); a full read that finds nothing changed makes no pass.
   * 0: never. @default 30000
   */
  readonly resyncMs?: number;
  /** Delay before watching the folder again after the watch failed (e.g. the folder was removed). @default 1000 */
  readonly rewatchMs?: number;
  /** Kinds an extension server owns (EnvoyGateway `extensionManager`): their objects are not warned about. @default none */
  readonly extensionKinds?: readonly GroupKind[];
}

const YAML_FILE = /\.(ya?ml|json)$/;

/**
 * Reads every YAML file in `dir` (sorted by name, not recursive) into a snapshot or a list of errors. With a cache
 * (kept by the caller from one read to the next), only files that changed are read and parsed again (ADR 0019),
 * and when nothing changed the previous event is returned (the same object). The same object defined twice: the
 * last one in reading order (file name order, then document order) wins, with a warning naming both places; an
 * object egts does not read (kind, apiVersion) gets a warning at its place. Never throws: a folder that cannot be
 * read is an error event.
 *
 * `changed` (with a cache that holds a read of the folder): the names of the only files that may have changed since
 * the last read (from the folder's watch). Only those are read again, added or dropped; the folder is not listed, so
 * the read costs the named files, not the folder's (ADR 0042). A file the watch did not name (an event lost) waits for
 * its next event or the watch's periodic full read. Absent (or no read yet): the folder is listed and every file is
 * checked, and read again unless its stat (inode, size, modification and change times) is the same as when it was
 * read (folder-cache.ts).
 *
 * A cache with a settle time (the watch's): a read of a file that does not look finished (unfinished.ts: it does not
 * parse, is cut mid-line, or lacks objects the file had) is held back, the file keeping its last good objects, until a
 * read looks finished or finds the same text after the settle time; {@link FolderCache.held} names the files held.
 */
export async function readDirectory(
  dir: string,
  cache: FolderCache = new FolderCache(),
  signal?: AbortSignal,
  extensionKinds: readonly GroupKind[] = [],
  changed?: ReadonlySet<string>,
): Promise<ProviderEvent> {
  cache.useExtensionKinds(extensionKinds);
  const previous = changed && cache.lastEntries();
  if (changed && previous) return readNamed(dir, cache, previous, changed, { signal, extensionKinds });
  const names = listYamlFiles(dir);
  if (!Array.isArray(names)) return names;
  const stats = await statAll(dir, names, cache);
  const entries: FileEntry[] = [];
  const vanished: InputError[] = [];
  const yielder = new Yielder();
  for (const name of names) {
    if (!(await yielder.turn(signal))) return folderError(dir, "read aborted");
    const file = join(dir, name);
    const cached = cache.get(file);
    if (cached && stats.get(name) === true) {
      entries.push(cached);
      continue;
    }
    const read = readChanged(file, cache, extensionKinds);
    if (read.kind === "entry") entries.push(read.entry);
    else if (read.kind === "vanished") vanished.push(read.warning);
  }
  cache.keepOnly(new Set(entries.map((e) => e.file)), new Set(names.map((n) => join(dir, n))));
  return cache.event(entries, vanished, FILE_LIMITS.maxTotalBytes);
}

/**
 * The read of only the `changed` files, against the entries of the last read (in reading order, by file): each named
 * file's new entry takes its place or is put in order, and a named file that is gone (deleted, renamed away) or gives
 * no entry yet (new and half-written) leaves the list. The rest of the list is the last read's entries as they are.
 */
async function readNamed(
  dir: string,
  cache: FolderCache,
  previous: readonly FileEntry[],
  changed: ReadonlySet<string>,
  { signal, extensionKinds }: { signal: AbortSignal | undefined; extensionKinds: readonly GroupKind[] },
): Promise<ProviderEvent> {
  const entries = previous.slice();
  // The entries before `head` and the last `tail` ones are the previous ones: the window the event reads.
  let head = entries.length;
  let tail = entries.length;
  const yielder = new Yielder();
  for (const name of [...changed].sort()) {
    if (!(await yielder.turn(signal))) return folderError(dir, "read aborted");
    const file = join(dir, name);
    const at = placeOf(entries, file);
    const here = entries[at]?.file === file;
    const read = readChanged(file, cache, extensionKinds);
    if (read.kind !== "entry" && !here) continue;
    const kept = entries.length - at - (here ? 1 : 0);
    if (read.kind !== "entry") entries.splice(at, 1);
    else if (here) entries[at] = read.entry;
    else entries.splice(at, 0, read.entry);
    head = Math.min(head, at);
    tail = Math.min(tail, kept);
  }
  if (head === previous.length && tail === previous.length) return cache.event(previous, [], FILE_LIMITS.maxTotalBytes);
  const beforeTo = previous.length - tail;
  const afterTo = entries.length - tail;
  noteWindow(previous, entries, { from: Math.min(head, beforeTo, afterTo), beforeTo, afterTo });
  return cache.event(entries, [], FILE_LIMITS.maxTotalBytes);
}

/** Where `file` is, or goes, in `entries` (sorted by file, as a listing sorted by name gives them). */
function placeOf(entries: readonly FileEntry[], file: string): number {
  return partitionPoint(entries.length, (i) => entries[i].file < file);
}

/**
 * Reading and parsing are synchronous: every YIELD_MS between files, the event loop (a stopped watch: SIGTERM) gets
 * its turn, and an aborted read ends.
 */
class Yielder {
  private last = performance.now();

  /** Lets the event loop run when this read has held it YIELD_MS; false when the read was aborted. */
  async turn(signal: AbortSignal | undefined): Promise<boolean> {
    if (performance.now() - this.last > YIELD_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      this.last = performance.now();
    }
    return signal?.aborted !== true;
  }
}

/** The longest stretch of synchronous reading and parsing before a read lets the event loop run. */
const YIELD_MS = 10;

/**
 * Reads `file` again: its new entry (cached), its last good entry while the read is held back as half-written, or
 * that it vanished (or, new and held back, nothing yet).
 */
function readChanged(
  file: string,
  cache: FolderCache,
  extensionKinds: readonly GroupKind[],
): { kind: "entry"; entry: FileEntry } | { kind: "vanished"; warning: InputError } | { kind: "none" } {
  const cached = cache.get(file);
  const readAt = Date.now();
  const read = readInputFile(file, FILE_LIMITS.maxFileBytes);
  if (read.kind === "gone") {
    cache.delete(file);
    return {
      kind: "vanished",
      warning: { file, line: 0, column: 0, message: "removed while the folder was read; skipped" },
    };
  }
  const entry = read.kind === "text" ? fileEntry(file, read.text, extensionKinds, cached) : failedEntry(read.error);
  if (cache.withheld(entry)) return cached ? { kind: "entry", entry: cached } : { kind: "none" };
  if (read.kind === "text") cache.set(entry, stampOf(read.stats, readAt));
  else cache.delete(file);
  return { kind: "entry", entry };
}

/**
 * Which cached files are unchanged by their stat (true) among `names`; false for the others (stat failed, changed,
 * or a racy stamp). The stats run together: one round trip to the thread pool rather than one per file.
 */
async function statAll(dir: string, names: readonly string[], cache: FolderCache): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  await Promise.all(
    names.map(async (name) => {
      const stamp = cache.stamp(join(dir, name));
      if (!stamp || stamp.racy) return;
      const st = await stat(join(dir, name)).catch(() => undefined);
      out.set(name, st !== undefined && sameStamp(stamp, st));
    }),
  );
  return out;
}

/**
 * The YAML file names of `dir`, sorted, hidden files left out; or an error event naming the folder. Synchronous, as
 * the reads of the files (read-file.ts): one system call, not a round trip through the thread pool.
 */
function listYamlFiles(dir: string): string[] | ProviderEvent {
  try {
    return readdirSync(dir)
      .filter((n) => YAML_FILE.test(n) && !n.startsWith("."))
      .sort();
  } catch (err) {
    return folderError(dir, `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function folderError(dir: string, message: string): ProviderEvent {
  return { kind: "error", errors: [{ file: dir, line: 0, column: 0, message }] };
}

/**
 * Watches `dir` and emits an event at start and after every change: the first change after a quiet period is read at
 * once, changes that follow it closely are debounced (ADR 0026), and a file that looks half-written keeps its last
 * good objects until it looks finished or settles (`settleMs`). A failing watch (the folder removed or replaced) is
 * retried every `rewatchMs`, with a re-read each time so the error shows.
 */
export function watchDirectory(dir: string, opts: FileProviderOptions = {}): Observable<ProviderEvent> {
  const settleMs = opts.settleMs ?? 200;
  const cache = new FolderCache(settleMs);
  /** The last event read (before its timing was added): a read returning it again found nothing changed. */
  let lastRead: ProviderEvent | undefined;
  let changedAt: number | undefined;
  // What changed since the last read: the names of files we read that the watch named, or everything (the first
  // read, after the watch failed, or an event naming something else, which may be the target of a symlink, as
  // Kubernetes swaps the `..data` link of a mounted ConfigMap).
  let dirty: Set<string> | "all" = "all";
  const touched = (name: string | null): void => {
    if (dirty === "all") return;
    if (name !== null && YAML_FILE.test(name) && !name.startsWith(".") && !name.includes("/")) dirty.add(name);
    else dirty = "all";
  };
  const takeDirty = (): ReadonlySet<string> | undefined => {
    const d = dirty;
    dirty = new Set();
    return d === "all" ? undefined : d;
  };
  const changes$ = new Observable<void>((subscriber) => {
    let watcher: FSWatcher | undefined;
    let retry: NodeJS.Timeout | undefined;
    let inode: number | undefined;
    const start = (): void => {
      retry = undefined;
      try {
        inode = statSync(dir).ino;
        watcher = watch(dir, { persistent: false }, changed);
        watcher.on("error", failed);
        if (broken) subscriber.next(); // changes made while nothing watched
        broken = false;
      } catch {
        failed();
      }
    };
    let broken = false;
    // A watch follows the folder's inode: a removed or replaced folder needs a new watch.
    const changed = (_event: string, name: string | Buffer | null): void => {
      changedAt ??= performance.now();
      touched(typeof name === "string" ? name : null);
      if (statSync(dir, { throwIfNoEntry: false })?.ino === inode) subscriber.next();
      else failed();
    };
    const failed = (): void => {
      dirty = "all"; // changes made while nothing watched
      watcher?.close();
      watcher = undefined;
      if (!broken) subscriber.next(); // once, so the error is reported
      broken = true;
      retry ??= setTimeout(start, opts.rewatchMs ?? 1000);
    };
    start();
    return () => {
      clearTimeout(retry);
      watcher?.close();
    };
  });
  // While a file is held back as half-written, its next write events are read at once (a few times: a big file
  // written in many steps then waits for the quiet period again), and a timer re-reads it when its hold may settle.
  let eagerReads = EAGER_READS;
  const eager = (): boolean => cache.held() !== undefined && eagerReads-- > 0;
  const settle$ = new Subject<number>();
  let settleTimer: NodeJS.Timeout | undefined;
  const scheduleSettle = (): void => {
    const held = cache.held();
    if (!held) eagerReads = EAGER_READS;
    if (!held || settleTimer) return;
    const wait = Math.max(0, held.since + settleMs - performance.now()) + 1;
    settleTimer = setTimeout(() => {
      settleTimer = undefined;
      for (const file of cache.held()?.files ?? []) touched(basename(file));
      settle$.next(0);
    }, wait);
  };
  let readNumber = 0;
  return new Observable<ProviderEvent>((subscriber) => {
    const abort = new AbortController();
    const resyncMs = opts.resyncMs ?? 30_000;
    const resync =
      resyncMs > 0
        ? setInterval(() => {
            dirty = "all";
            settle$.next(0);
          }, resyncMs).unref()
        : undefined;
    const sub = merge(
      changes$.pipe(debounceWithMaxWait(opts.debounceMs ?? 5, opts.maxWaitMs ?? 200, { leading: true, eager })),
      settle$,
    )
      .pipe(
        map(() => ++readNumber),
        startWith(0),
        // One read at a time; triggers that come during a read make one more read, not one each.
        concatConflate(
          async (): Promise<ProviderEvent | undefined> => {
            const readStartedAt = performance.now();
            const since = changedAt;
            changedAt = undefined;
            const e = await readDirectory(dir, cache, abort.signal, opts.extensionKinds, takeDirty()).then(
              (e): ProviderEvent | undefined => {
                if (e.kind === "error") dirty = "all"; // a read cut short: the next one reads everything
                if (e === lastRead) return undefined; // nothing changed: no event, no pass
                lastRead = e;
                const timing = { ...(since !== undefined ? { changedAt: since } : {}), readStartedAt };
                return { ...e, timing: { ...timing, readEndedAt: performance.now() } };
              },
              (err: Error) => {
                dirty = "all";
                return (lastRead = unexpected(dir, err));
              },
            );
            scheduleSettle();
            return e;
          },
          { supersedes: () => true },
        ),
        filter((e): e is ProviderEvent => e !== undefined),
      )
      .subscribe(subscriber);
    return () => {
      abort.abort();
      clearInterval(resync);
      clearTimeout(settleTimer);
      sub.unsubscribe();
    };
  });
}

/** Reads at once (without the quiet period) of the next write events of a file held back as half-written. */
const EAGER_READS = 3;

function unexpected(dir: string, err: Error): ProviderEvent {
  return folderError(dir, `cannot read: ${quote(err.message)}`);
}
