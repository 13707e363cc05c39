/**
 * The file provider's incremental reads (ADR 0019) on a real temporary folder: a change re-reads only what changed
 * and keeps every other file's objects as the same objects; deletes, renames, editors' atomic saves, duplicates
 * across files and a malformed file that is then fixed behave as a full re-read would; a write that changes nothing
 * emits nothing.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import {
  FolderCache,
  readDirectory,
  watchDirectory,
  type ProviderEvent,
} from "../../operator/src/provider/file/file-provider";
import { formatInputError } from "../../operator/src/provider/file/parse";
import { GATEWAY, route } from "./folder-fixtures";
import { RACY_MS, sameStamp, stampOf } from "../../operator/src/provider/file/folder-cache";
import type { KubeObject } from "../../operator/src/resources/meta";

/** Line 5 holds a key without its value's closing quote. */
const MALFORMED = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: b
  namespace: "default
spec: {}
`;

type Snapshot = Extract<ProviderEvent, { kind: "snapshot" }>;

function snapshotOf(e: ProviderEvent | undefined): Snapshot {
  assert.ok(e?.kind === "snapshot", JSON.stringify(e));
  return e;
}

function byName(e: ProviderEvent | undefined, name: string): KubeObject {
  const found = snapshotOf(e).snapshot.httpRoutes.find((r) => r.metadata.name === name);
  assert.ok(found, `route ${name} in ${JSON.stringify(names(e))}`);
  return found;
}

function names(e: ProviderEvent | undefined): string[] {
  return e?.kind === "snapshot" ? e.snapshot.httpRoutes.map((r) => r.metadata.name) : [];
}

function pathOf(o: KubeObject): unknown {
  return (o as unknown as { spec: { rules: { matches: { path: { value: string } }[] }[] } }).spec.rules[0].matches[0]
    .path.value;
}

/** A watch's events, and a way to wait for the next one. */
class Events {
  readonly all: ProviderEvent[] = [];
  private waiter?: (e: ProviderEvent) => void;

  push(e: ProviderEvent): void {
    this.all.push(e);
    const w = this.waiter;
    this.waiter = undefined;
    w?.(e);
  }

  /** The next event within `ms` (events already seen are not returned again). */
  next(what: string, ms = 2000): Promise<ProviderEvent> {
    const seen = this.all.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event (${what}) within ${ms} ms`)), ms);
      this.waiter = (e) => {
        clearTimeout(timer);
        assert.equal(this.all.length, seen + 1);
        resolve(e);
      };
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("file provider: incremental reads", () => {
  let dir: string;
  let sub: Subscription | undefined;
  let events: Events;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-file-incremental-"));
    writeFileSync(join(dir, "00-gateway.yaml"), GATEWAY);
    writeFileSync(join(dir, "10-a.yaml"), route("a"));
    writeFileSync(join(dir, "20-b.yaml"), route("b"));
    events = new Events();
  });

  afterEach(() => {
    sub?.unsubscribe();
    sub = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function watching(): Promise<ProviderEvent> {
    const first = events.next("initial snapshot");
    sub = watchDirectory(dir).subscribe({ next: (e) => events.push(e), error: (err) => assert.fail(String(err)) });
    return first;
  }

  it("a change re-reads that file only: the other files' objects and untouched lists stay the same objects", async () => {
    const initial = await watching();
    const a = byName(initial, "a");
    const gateways = snapshotOf(initial).snapshot.gateways;
    const next = events.next("snapshot after the change");
    writeFileSync(join(dir, "20-b.yaml"), route("b", "/v2"));
    const changed = await next;
    assert.equal(byName(changed, "a"), a, "route a is the same object");
    assert.equal(pathOf(byName(changed, "b")), "/v2");
    assert.notEqual(byName(changed, "b"), byName(initial, "b"));
    assert.equal(snapshotOf(changed).snapshot.gateways, gateways, "no changed file holds a Gateway: same list");
    const timing = changed.timing;
    assert.ok(timing?.changedAt !== undefined, JSON.stringify(timing));
    assert.ok(timing.changedAt <= timing.readStartedAt && timing.readStartedAt <= timing.readEndedAt);
  });

  it("a write that changes nothing (same text, or only the times) emits no event", async () => {
    await watching();
    writeFileSync(join(dir, "10-a.yaml"), route("a"));
    utimesSync(join(dir, "20-b.yaml"), new Date(), new Date());
    await sleep(300);
    assert.equal(events.all.length, 1, JSON.stringify(events.all.map(names)));
    const next = events.next("snapshot after a real change");
    writeFileSync(join(dir, "10-a.yaml"), route("a", "/x"));
    assert.equal(pathOf(byName(await next, "a")), "/x", "the watch still works");
  });

  it("a deleted file's objects are gone; a new file's are added; a renamed file's are kept, at their new place", async () => {
    const initial = await watching();
    let next = events.next("snapshot without b");
    unlinkSync(join(dir, "20-b.yaml"));
    assert.deepEqual(names(await next), ["a"]);
    next = events.next("snapshot with c");
    writeFileSync(join(dir, "30-c.yaml"), route("c"));
    assert.deepEqual(names(await next), ["a", "c"]);
    next = events.next("snapshot after the rename");
    renameSync(join(dir, "10-a.yaml"), join(dir, "40-a.yaml"));
    const renamed = await next;
    assert.deepEqual(names(renamed), ["c", "a"], "reading order follows the new name");
    assert.notEqual(byName(renamed, "a"), byName(initial, "a"), "read again from its new path");
    // Its place is the new file: a duplicate's warning names it.
    next = events.next("snapshot with a duplicate");
    writeFileSync(join(dir, "50-a-again.yaml"), route("a", "/again"));
    const dup = await next;
    assert.equal(pathOf(byName(dup, "a")), "/again", "the last definition wins");
    assert.deepEqual(snapshotOf(dup).warnings.map(formatInputError), [
      `${join(dir, "40-a.yaml")}:1:1: HTTPRoute default/a is defined twice: ${join(dir, "40-a.yaml")}:1 and ${join(dir, "50-a-again.yaml")}:1; using ${join(dir, "50-a-again.yaml")}:1`,
    ]);
    next = events.next("snapshot without the duplicate");
    unlinkSync(join(dir, "50-a-again.yaml"));
    const single = await next;
    assert.deepEqual(snapshotOf(single).warnings, []);
    assert.equal(pathOf(byName(single, "a")), "/");
  });

  it("an editor's atomic save (write a temporary file, rename it over the file) is read once, complete", async () => {
    const initial = await watching();
    const next = events.next("snapshot after the save");
    writeFileSync(join(dir, ".20-b.yaml.swp"), route("b", "/saved"));
    renameSync(join(dir, ".20-b.yaml.swp"), join(dir, "20-b.yaml"));
    const saved = await next;
    assert.equal(pathOf(byName(saved, "b")), "/saved");
    assert.equal(byName(saved, "a"), byName(initial, "a"), "the other file's objects are kept");
    await sleep(200);
    assert.equal(events.all.length, 2, "one snapshot for the save");
  });

  it("a malformed file: an error naming file and line, no snapshot; fixed, the unchanged files' objects come back the same", async () => {
    const initial = await watching();
    let next = events.next("error event");
    writeFileSync(join(dir, "20-b.yaml"), MALFORMED);
    const broken = await next;
    assert.equal(broken.kind, "error");
    if (broken.kind === "error") {
      assert.ok(broken.errors.length >= 1);
      for (const e of broken.errors) assert.match(formatInputError(e), /20-b\.yaml:[5-7]:\d+: /);
    }
    next = events.next("snapshot after the fix");
    writeFileSync(join(dir, "20-b.yaml"), route("b", "/fixed"));
    const fixed = await next;
    assert.equal(byName(fixed, "a"), byName(initial, "a"));
    assert.equal(pathOf(byName(fixed, "b")), "/fixed");
    assert.equal(snapshotOf(fixed).snapshot.gateways, snapshotOf(initial).snapshot.gateways);
  });

  it("readDirectory without the names of changed files sees every change, even of the same size within one clock tick", async () => {
    const cache = new FolderCache();
    const first = await readDirectory(dir, cache);
    assert.deepEqual(names(first), ["a", "b"]);
    // Same size, written right after the read: the stamp may be equal, but it was racy, so the file is read again.
    writeFileSync(join(dir, "10-a.yaml"), route("z"));
    const second = await readDirectory(dir, cache);
    assert.deepEqual(names(second), ["z", "b"]);
    assert.equal(byName(second, "b"), byName(first, "b"), "the unchanged file's objects are kept");
    // Nothing changed: the same event again.
    assert.equal(await readDirectory(dir, cache), second);
    // A file modified long ago, read once (its stamp is not racy), then changed: its stat differs, so it is read.
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, "20-b.yaml"), old, old);
    assert.deepEqual(names(await readDirectory(dir, cache)), ["z", "b"]);
    writeFileSync(join(dir, "20-b.yaml"), route("y"));
    assert.deepEqual(names(await readDirectory(dir, cache)), ["z", "y"]);
  });

  it("a stamp taken within the timestamp granularity of the file's last write does not vouch for its text", () => {
    const st = statSync(join(dir, "10-a.yaml"));
    const racy = stampOf(st, st.mtimeMs + 1);
    assert.equal(racy.racy, true);
    assert.equal(sameStamp(racy, st), false, "the same stat, but the file may have been written again since");
    const settled = stampOf(st, Math.max(st.mtimeMs, st.ctimeMs) + RACY_MS + 1);
    assert.equal(sameStamp(settled, st), true);
    writeFileSync(join(dir, "10-a.yaml"), route("a", "/longer"));
    assert.equal(sameStamp(settled, statSync(join(dir, "10-a.yaml"))), false, "size and times changed");
  });

  it("named reads, one after another, give what a fresh read of the folder gives (random edits: new, changed, deleted, broken, duplicated, with objects egts does not read)", async () => {
    const cache = new FolderCache();
    let seed = 11;
    /** A small seeded generator (mulberry32): the same edits on every run. */
    const rnd = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    // Every file there from the start, and deletions rare: most reads change files in place, so the number of
    // files often stays the same through an error event.
    const present = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const name = `${String(i).padStart(2, "0")}-f.yaml`;
      writeFileSync(join(dir, name), route(`r-${name}`));
      present.add(name);
    }
    /** What a read says, without object identity: kind, objects, warnings and errors as text. */
    const view = (e: ProviderEvent): unknown =>
      e.kind === "snapshot"
        ? { snapshot: e.snapshot, files: e.files, warnings: e.warnings.map(formatInputError) }
        : { errors: e.errors.map(formatInputError) };
    await readDirectory(dir, cache);
    const kinds = { snapshot: 0, error: 0 };
    let warned = 0;
    for (let step = 0; step < 200; step++) {
      const named = new Set<string>();
      for (let k = 1 + rnd(3); k > 0; k--) {
        const name = `${String(rnd(16)).padStart(2, "0")}-f.yaml`;
        const file = join(dir, name);
        const action = rnd(8);
        named.add(name);
        if (action === 0 && rnd(3) === 0 && present.has(name)) {
          unlinkSync(file);
          present.delete(name);
          continue;
        }
        const text =
          action === 1
            ? MALFORMED
            : action === 2 && rnd(4) === 0
              ? route(`r${rnd(4)}`) // a name other files may hold too: a duplicate
              : action === 3
                ? `${route(`u${step}`)}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w${step}\n`
                : route(`r-${name}-${step}`, `/p${step}`);
        writeFileSync(file, text);
        present.add(name);
      }
      const got = await readDirectory(dir, cache, undefined, [], named);
      const fresh = await readDirectory(dir);
      kinds[got.kind]++;
      if (got.kind === "snapshot" && got.warnings.some((w) => w.message.includes("not a kind egts reads"))) warned++;
      assert.deepEqual(view(got), view(fresh), `step ${step}: named ${[...named].join(", ")}`);
    }
    assert.ok(kinds.snapshot > 10 && kinds.error > 3, `both kinds of event were read: ${JSON.stringify(kinds)}`);
    assert.ok(warned > 10, `reads with an unread object's warning: ${warned}`);
  });

  it("named reads through an error event: a file changed while another was malformed is read as changed once that one is fixed", async () => {
    const cache = new FolderCache();
    const names = (e: ProviderEvent): string[] =>
      e.kind === "snapshot" ? e.snapshot.httpRoutes.map((r) => r.metadata.name) : [`error: ${e.errors.length}`];
    assert.deepEqual(names(await readDirectory(dir, cache)), ["a", "b"]);
    writeFileSync(join(dir, "20-b.yaml"), MALFORMED);
    assert.deepEqual(names(await readDirectory(dir, cache, undefined, [], new Set(["20-b.yaml"]))), ["error: 1"]);
    // While b is broken, a changes in place (the same number of files).
    writeFileSync(join(dir, "10-a.yaml"), route("a2"));
    assert.deepEqual(names(await readDirectory(dir, cache, undefined, [], new Set(["10-a.yaml"]))), ["error: 1"]);
    writeFileSync(join(dir, "20-b.yaml"), route("b2"));
    const fixed = await readDirectory(dir, cache, undefined, [], new Set(["20-b.yaml"]));
    assert.deepEqual(names(fixed), ["a2", "b2"]);
    assert.deepEqual(names(fixed), names(await readDirectory(dir)));
  });
});
