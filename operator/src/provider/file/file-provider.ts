/**
 * The file provider: a directory of multi-document YAML files, re-read on change, as a stream of snapshots.
 * A change that makes any file invalid emits an error event and no snapshot, so the last good
 * configuration keeps serving until the files are fixed. Reading is bounded (regular files only, a size
 * budget per file and for the folder, and the parse budgets of {@link PARSE_LIMITS}); nothing in the
 * folder can stop or hang the stream.
 */
import { statSync, watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Observable, concatMap, from, startWith } from "rxjs";
import { snapshotFromObjects, type ResourceSnapshot } from "../../resources/snapshot";
import { debounceWithMaxWait } from "../../streams/debounce";
import { dropDuplicates, type LocatedObject } from "./duplicates";
import { unreadWarnings } from "./unread";
import type { GroupKind } from "../../translate/extension-objects";
import { unknownFieldWarnings } from "./unknown-fields";
import { parseManifests, quote, type InputError, type ParseResult } from "./parse";
import { readInputFile, type FileRead } from "./read-file";

/** What the provider emits. */
export type ProviderEvent =
  | {
      readonly kind: "snapshot";
      readonly snapshot: ResourceSnapshot;
      readonly files: number;
      /** Things that did not stop the snapshot but that the user should know (duplicates, vanished files). */
      readonly warnings: readonly InputError[];
    }
  | { readonly kind: "error"; readonly errors: readonly InputError[] };

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
   * Quiet period before re-reading after a change. Short: only the files the watch named are read again, and a
   * file caught half-written is read again after its next write event. @default 5
   */
  readonly debounceMs?: number;
  /** Longest wait before re-reading under a steady stream of changes. @default 200 */
  readonly maxWaitMs?: number;
  /** Delay before watching the folder again after the watch failed (e.g. the folder was removed). @default 1000 */
  readonly rewatchMs?: number;
  /** Kinds an extension server owns (EnvoyGateway `extensionManager`): their objects are not warned about. @default none */
  readonly extensionKinds?: readonly GroupKind[];
}

const YAML_FILE = /\.(ya?ml|json)$/;

/** Parsed files by path, with the text they were parsed from, so an unchanged file is not parsed again. */
export type ParseCache = Map<string, { readonly text: string; readonly result: ParseResult }>;

/**
 * Reads every YAML file in `dir` (sorted by name, not recursive) into a snapshot or a list of errors. With
 * a cache, only files whose text changed are parsed again (parsing dominates the cost of a change). The
 * same object defined twice: the last one in reading order (file name order, then document order) wins,
 * with a warning naming both places; an object egts does not read (kind, apiVersion) gets a warning at its
 * place. Never throws: a folder that cannot be read is an error event.
 *
 * `changed` (with a cache): the names of the only files that may have changed since the cache was filled (from the
 * folder's watch); a cached file not named there is not read again. Absent: every file is read.
 */
export async function readDirectory(
  dir: string,
  cache?: ParseCache,
  signal?: AbortSignal,
  extensionKinds: readonly GroupKind[] = [],
  changed?: ReadonlySet<string>,
): Promise<ProviderEvent> {
  const names = await listYamlFiles(dir);
  if (!Array.isArray(names)) return names;
  const located: LocatedObject[] = [];
  const errors: InputError[] = [];
  const warnings: InputError[] = [];
  let total = 0;
  for (const name of names) {
    // Parsing is synchronous: between files, a stopped watch (SIGTERM) gets its turn and ends the read.
    if (signal?.aborted) return folderError(dir, "read aborted");
    const file = join(dir, name);
    const read = await readUnlessUnchanged(file, name, cache, changed);
    if (read.kind !== "text") {
      if (read.kind === "error") errors.push(read.error);
      else warnings.push({ file, line: 0, column: 0, message: "removed while the folder was read; skipped" });
      continue;
    }
    total += Buffer.byteLength(read.text);
    if (total > FILE_LIMITS.maxTotalBytes) {
      const message = `the folder's files exceed the limit of ${FILE_LIMITS.maxTotalBytes} bytes in total`;
      errors.push({ file, line: 0, column: 0, message });
      break;
    }
    const r = parseCached(file, read.text, cache);
    r.objects.forEach((object, i) => located.push({ object, location: r.locations[i] }));
    errors.push(...r.errors);
  }
  if (cache) {
    const present = new Set(names.map((n) => join(dir, n)));
    for (const f of [...cache.keys()]) if (!present.has(f)) cache.delete(f);
  }
  if (errors.length > 0) return { kind: "error", errors };
  const unique = dropDuplicates(located);
  warnings.push(...unreadWarnings(located, extensionKinds), ...unknownFieldWarnings(located), ...unique.warnings);
  return { kind: "snapshot", snapshot: snapshotFromObjects(unique.objects), files: names.length, warnings };
}

/** The YAML file names of `dir`, sorted, hidden files left out; or an error event naming the folder. */
async function listYamlFiles(dir: string): Promise<string[] | ProviderEvent> {
  try {
    return (await readdir(dir)).filter((n) => YAML_FILE.test(n) && !n.startsWith(".")).sort();
  } catch (err) {
    return folderError(dir, `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The file's text from the cache when it is there and not among the `changed` ones, else read from disk. */
async function readUnlessUnchanged(
  file: string,
  name: string,
  cache: ParseCache | undefined,
  changed: ReadonlySet<string> | undefined,
): Promise<FileRead> {
  const cached = changed && !changed.has(name) ? cache?.get(file) : undefined;
  return cached ? { kind: "text", text: cached.text } : readInputFile(file, FILE_LIMITS.maxFileBytes);
}

function parseCached(file: string, text: string, cache: ParseCache | undefined): ParseResult {
  const cached = cache?.get(file);
  const r = cached && cached.text === text ? cached.result : parseManifests(file, text);
  cache?.set(file, { text, result: r });
  return r;
}

function folderError(dir: string, message: string): ProviderEvent {
  return { kind: "error", errors: [{ file: dir, line: 0, column: 0, message }] };
}

/**
 * Watches `dir` and emits an event at start and after every (debounced) change. A failing watch (the
 * folder removed or replaced) is retried every `rewatchMs`, with a re-read each time so the error shows.
 */
export function watchDirectory(dir: string, opts: FileProviderOptions = {}): Observable<ProviderEvent> {
  const cache: ParseCache = new Map();
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
  return new Observable<ProviderEvent>((subscriber) => {
    const abort = new AbortController();
    const sub = changes$
      .pipe(
        debounceWithMaxWait(opts.debounceMs ?? 5, opts.maxWaitMs ?? 200),
        startWith(undefined),
        concatMap(() =>
          from(
            readDirectory(dir, cache, abort.signal, opts.extensionKinds, takeDirty()).then(
              (e) => {
                if (e.kind === "error") dirty = "all"; // a read cut short: the next one reads everything
                return e;
              },
              (err: Error) => {
                dirty = "all";
                return unexpected(dir, err);
              },
            ),
          ),
        ),
      )
      .subscribe(subscriber);
    return () => {
      abort.abort();
      sub.unsubscribe();
    };
  });
}

function unexpected(dir: string, err: Error): ProviderEvent {
  return folderError(dir, `cannot read: ${quote(err.message)}`);
}
