/**
 * Half-written files (ADR 0026): the watch reads a file at its first write event, so it may read it while a writer is
 * still writing it in place. A real slow writer (truncate, write part of the file, pause 20 ms, write the rest) must
 * never make a snapshot lack the file's objects, nor raise an error, and the watch must end on the new content; a
 * deliberate removal of objects and a malformed file still come through once the read has settled.
 */
import * as assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import {
  FolderCache,
  readDirectory,
  watchDirectory,
  type ProviderEvent,
} from "../../operator/src/provider/file/file-provider";
import { fileEntry } from "../../operator/src/provider/file/folder-cache";
import { formatInputError } from "../../operator/src/provider/file/parse";
import { unfinishedReason } from "../../operator/src/provider/file/unfinished";
import { GATEWAY, route } from "./folder-fixtures";

const ROUTES = 12;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The routes file: `ROUTES` HTTPRoutes r0… with paths under `/<version>/`. */
function routesFile(version: string, count = ROUTES): string {
  return Array.from({ length: count }, (_, i) => route(`r${i}`, `/${version}/${i}`)).join("---\n");
}

/** Writes `text` in place as a slow writer does: truncate, write up to `cut`, pause `pauseMs`, write the rest. */
async function slowWrite(file: string, text: string, cut: number, pauseMs: number): Promise<void> {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, text.slice(0, cut));
    await sleep(pauseMs);
    writeSync(fd, text.slice(cut));
  } finally {
    closeSync(fd);
  }
}

type Snapshot = Extract<ProviderEvent, { kind: "snapshot" }>;

function paths(e: Snapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of e.snapshot.httpRoutes) {
    const spec = r.spec as { rules: { matches: { path: { value: string } }[] }[] };
    out.set(r.metadata.name, spec.rules[0].matches[0].path.value);
  }
  return out;
}

describe("file provider: half-written files", () => {
  let dir: string;
  let sub: Subscription | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-file-half-"));
    writeFileSync(join(dir, "00-gateway.yaml"), GATEWAY);
    writeFileSync(join(dir, "10-routes.yaml"), routesFile("v0"));
  });

  afterEach(() => {
    sub?.unsubscribe();
    sub = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Watches the folder; resolves `until` once a snapshot satisfies it. */
  function watch(): {
    events: ProviderEvent[];
    until: (ok: (e: Snapshot) => boolean, ms: number) => Promise<Snapshot>;
  } {
    const events: ProviderEvent[] = [];
    let waiter: (() => void) | undefined;
    sub = watchDirectory(dir).subscribe((e) => {
      events.push(e);
      waiter?.();
    });
    const until = (ok: (e: Snapshot) => boolean, ms: number): Promise<Snapshot> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such snapshot within ${ms} ms`)), ms);
        const check = (): void => {
          const hit = events.find((e): e is Snapshot => e.kind === "snapshot" && ok(e));
          if (!hit) return;
          clearTimeout(timer);
          waiter = undefined;
          resolve(hit);
        };
        waiter = check;
        check();
      });
    return { events, until };
  }

  it("a writer that pauses 20 ms mid-write never makes a snapshot lack the file's routes, and the watch ends on the new content", async function () {
    this.timeout(20_000);
    const { events, until } = watch();
    await until(() => true, 2000);
    const file = join(dir, "10-routes.yaml");
    let version = 0;
    let cuts = 0;
    for (const where of ["empty", "mid-line", "line end", "document end"] as const) {
      for (let rep = 0; rep < 3; rep++) {
        version++;
        const text = routesFile(`v${version}`);
        const half = Math.floor(text.length / 2);
        const cut =
          where === "empty"
            ? 0
            : where === "mid-line"
              ? text.indexOf("value:", half) + 9
              : where === "line end"
                ? text.indexOf("\n", half) + 1
                : text.indexOf("---\n", half) + 4;
        const seen = events.length;
        await slowWrite(file, text, cut, 20);
        cuts++;
        const v = `/v${version}/`;
        await until((e) => paths(e).size === ROUTES && [...paths(e).values()].every((p) => p.startsWith(v)), 2000);
        assert.ok(events.length > seen, `a snapshot after the write cut at ${where}`);
      }
    }
    assert.equal(cuts, 12);
    for (const e of events) {
      assert.equal(e.kind, "snapshot", `no error for a half-written file: ${JSON.stringify(e)}`);
      if (e.kind !== "snapshot") continue;
      const names = [...paths(e).keys()].sort();
      assert.equal(names.length, ROUTES, `every snapshot has all ${ROUTES} routes: ${names.join(",")}`);
    }
    const last = events.at(-1);
    assert.ok(last?.kind === "snapshot");
    assert.deepEqual([...paths(last).values()], routesFile(`v${version}`).match(/\/v\d+\/\d+/g));
  });

  it("a deliberate removal of routes and a malformed file come through once the read settled", async function () {
    this.timeout(10_000);
    const { events, until } = watch();
    await until(() => true, 2000);
    const file = join(dir, "10-routes.yaml");
    const t0 = performance.now();
    writeFileSync(file, routesFile("v0", 3));
    const fewer = await until((e) => e.snapshot.httpRoutes.length === 3, 2000);
    assert.ok(performance.now() - t0 >= 190, "a read lacking objects waits for the settle time (200 ms)");
    assert.deepEqual([...paths(fewer).keys()], ["r0", "r1", "r2"]);

    writeFileSync(file, routesFile("v0", 3).replace("namespace: default", 'namespace: "default'));
    const error = await new Promise<ProviderEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no error event")), 2000);
      const poll = setInterval(() => {
        const e = events.find((x) => x.kind === "error");
        if (!e) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve(e);
      }, 5);
    });
    assert.ok(error.kind === "error");
    assert.match(formatInputError(error.errors[0]), /10-routes\.yaml:\d+:\d+: /);
  });

  it("holds a read that does not look finished, and takes the same read as final after the settle time", async () => {
    const file = join(dir, "10-routes.yaml");
    const good = fileEntry(file, routesFile("v0"), []);
    const reason = (text: string): string | undefined => unfinishedReason(fileEntry(file, text, [], good), good);
    assert.equal(reason(routesFile("v1")), undefined);
    assert.equal(reason(routesFile("v1") + "---\n" + route("extra")), undefined);
    assert.equal(reason(""), "does not end at the end of a line");
    const cutAtSpec = routesFile("v1").slice(0, routesFile("v1").lastIndexOf("spec:") + 6);
    assert.equal(reason(cutAtSpec), "ends with a key that has no value");
    assert.equal(reason(routesFile("v1").slice(0, -3)), "does not end at the end of a line");
    assert.equal(reason(routesFile("v1", 5)), "lacks gateway.networking.k8s.io|HTTPRoute|default/r5, which it had");
    const json = '{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "x"}}';
    assert.equal(unfinishedReason(fileEntry(join(dir, "x.json"), json, []), undefined), undefined);
    assert.equal(unfinishedReason(fileEntry(file, "", []), undefined), "does not end at the end of a line");

    // readDirectory with a settle time: the half file is held (the last good objects stay), then taken once settled.
    const cache = new FolderCache(50);
    const first = await readDirectory(dir, cache, undefined, [], undefined);
    assert.ok(first.kind === "snapshot" && first.snapshot.httpRoutes.length === ROUTES);
    writeFileSync(file, routesFile("v1", 4));
    const held = await readDirectory(dir, cache, undefined, [], new Set(["10-routes.yaml"]));
    assert.equal(held, first, "held: the same event as before");
    assert.deepEqual(cache.held()?.files, [file]);
    await sleep(60);
    const settled = await readDirectory(dir, cache, undefined, [], new Set(["10-routes.yaml"]));
    assert.ok(settled.kind === "snapshot" && settled.snapshot.httpRoutes.length === 4);
    assert.equal(cache.held(), undefined);
  });
});
