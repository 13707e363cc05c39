/**
 * The file provider: a directory of multi-document YAML files, re-read on change, as a stream of snapshots.
 * A change that makes any file invalid emits an error event and no snapshot, so the last good
 * configuration keeps serving until the files are fixed.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Observable, concatMap, from, startWith } from "rxjs";
import type { KubeObject } from "../../resources/meta";
import { snapshotFromObjects, type ResourceSnapshot } from "../../resources/snapshot";
import { debounceWithMaxWait } from "../../streams/debounce";
import { parseManifests, type InputError, type ParseResult } from "./parse";

/** What the provider emits. */
export type ProviderEvent =
  | { readonly kind: "snapshot"; readonly snapshot: ResourceSnapshot; readonly files: number }
  | { readonly kind: "error"; readonly errors: readonly InputError[] };

/** File provider settings. */
export interface FileProviderOptions {
  /** Quiet period before re-reading after a change. @default 30 */
  readonly debounceMs?: number;
  /** Longest wait before re-reading under a steady stream of changes. @default 200 */
  readonly maxWaitMs?: number;
}

const YAML_FILE = /\.(ya?ml|json)$/;

/** Parsed files by path, with the text they were parsed from, so an unchanged file is not parsed again. */
export type ParseCache = Map<string, { readonly text: string; readonly result: ParseResult }>;

/**
 * Reads every YAML file in `dir` (sorted, not recursive) into a snapshot or a list of errors. With a
 * cache, only files whose text changed are parsed again (parsing dominates the cost of a change).
 */
export async function readDirectory(dir: string, cache?: ParseCache): Promise<ProviderEvent> {
  const names = (await readdir(dir)).filter((n) => YAML_FILE.test(n) && !n.startsWith(".")).sort();
  const objects: KubeObject[] = [];
  const errors: InputError[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we read
      throw err;
    }
    const cached = cache?.get(file);
    const r = cached && cached.text === text ? cached.result : parseManifests(file, text);
    cache?.set(file, { text, result: r });
    objects.push(...r.objects);
    errors.push(...r.errors);
  }
  if (cache) {
    const present = new Set(names.map((n) => join(dir, n)));
    for (const f of [...cache.keys()]) if (!present.has(f)) cache.delete(f);
  }
  if (errors.length > 0) return { kind: "error", errors };
  return { kind: "snapshot", snapshot: snapshotFromObjects(objects), files: names.length };
}

/** Watches `dir` and emits an event at start and after every (debounced) change. */
export function watchDirectory(dir: string, opts: FileProviderOptions = {}): Observable<ProviderEvent> {
  const cache: ParseCache = new Map();
  const changes$ = new Observable<void>((subscriber) => {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, { persistent: false }, () => subscriber.next());
      watcher.on("error", (err) => subscriber.error(err));
    } catch (err) {
      subscriber.error(err);
    }
    return () => watcher?.close();
  });
  return changes$.pipe(
    debounceWithMaxWait(opts.debounceMs ?? 30, opts.maxWaitMs ?? 200),
    startWith(undefined),
    concatMap(() => from(readDirectory(dir, cache))),
  );
}
