/** The file provider on a real temporary directory: initial read, re-read on change, errors with file:line. */
import * as assert from "node:assert/strict";
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import {
  readDirectory,
  watchDirectory,
  FolderCache,
  type ProviderEvent,
} from "../../operator/src/provider/file/file-provider";
import { formatInputError } from "../../operator/src/provider/file/parse";
import { GATEWAY, route } from "./folder-fixtures";

const CLASS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
`;

/** Line 4 has an unterminated flow mapping. */
const BROKEN = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: { broken
spec: {}
`;

/** Collects the events of a watch and lets a test wait for the next one that satisfies a predicate. */
class EventLog {
  readonly events: ProviderEvent[] = [];
  private waiters: { pred: (e: ProviderEvent) => boolean; resolve: (e: ProviderEvent) => void }[] = [];
  private seen = 0;

  push(e: ProviderEvent): void {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The next event (not yet consumed) satisfying `pred`, within `ms`. */
  next(what: string, pred: (e: ProviderEvent) => boolean, ms: number): Promise<ProviderEvent> {
    const already = this.events.slice(this.seen).find(pred);
    if (already) {
      this.seen = this.events.indexOf(already) + 1;
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${ms}ms; events: ${JSON.stringify(this.summary())}`)),
        ms,
      );
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          this.seen = this.events.length;
          resolve(e);
        },
      });
    });
  }

  summary(): string[] {
    return this.events.map((e) =>
      e.kind === "snapshot"
        ? `snapshot(${e.snapshot.httpRoutes.map((r) => r.metadata.name).join(",")})`
        : `error(${e.errors.map(formatInputError).join("; ")})`,
    );
  }
}

function routeNames(e: ProviderEvent): string[] {
  assert.equal(e.kind, "snapshot", JSON.stringify(e));
  return e.kind === "snapshot" ? e.snapshot.httpRoutes.map((r) => r.metadata.name).sort() : [];
}

describe("file provider", () => {
  let dir: string;
  let sub: Subscription | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-file-provider-"));
    writeFileSync(join(dir, "00-class.yaml"), `${CLASS}---\n${GATEWAY}`);
    writeFileSync(join(dir, "10-route-a.yaml"), route("a"));
  });

  afterEach(() => {
    sub?.unsubscribe();
    sub = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  describe("readDirectory", () => {
    it("reads every YAML file into one snapshot, ignoring other and hidden files", async () => {
      writeFileSync(join(dir, "README.md"), "not yaml: [");
      writeFileSync(join(dir, ".hidden.yaml"), "not: [valid");
      writeFileSync(join(dir, "20-route-b.yml"), route("b"));
      const e = await readDirectory(dir);
      assert.equal(e.kind, "snapshot", JSON.stringify(e));
      if (e.kind !== "snapshot") return;
      assert.equal(e.files, 3);
      assert.deepEqual(
        e.snapshot.gatewayClasses.map((g) => g.metadata.name),
        ["eg"],
      );
      assert.deepEqual(
        e.snapshot.gateways.map((g) => g.metadata.name),
        ["eg"],
      );
      assert.deepEqual(
        e.snapshot.httpRoutes.map((r) => r.metadata.name),
        ["a", "b"],
      );
    });

    it("warns at the object's file and line about Envoy Gateway fields its API does not have (the API server would prune them)", async () => {
      writeFileSync(
        join(dir, "40-policy.yaml"),
        `# a policy with one known and two unknown fields
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: p, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: a }]
  basicAuth: { users: { name: s }, forwardUsrnameHeader: x-user }
  extAuth: { http: { backendRefs: [{ name: s, port: 80 }], headersToClientOnSuccess: [set-cookie] } }
`,
      );
      const e = await readDirectory(dir);
      assert.equal(e.kind, "snapshot", JSON.stringify(e));
      if (e.kind !== "snapshot") return;
      const w = e.warnings.filter((x) => x.file === join(dir, "40-policy.yaml"));
      assert.deepEqual(
        w.map((x) => [x.line, x.message]),
        [
          [
            2,
            "SecurityPolicy default/p: fields spec.basicAuth.forwardUsrnameHeader, spec.extAuth.http.headersToClientOnSuccess not in the SecurityPolicy API of Envoy Gateway v1.9: ignored, as the Kubernetes API server would prune them",
          ],
        ],
      );
      assert.equal(e.snapshot.policies?.securityPolicies?.length, 1, "the policy is still read");
    });

    it("returns an error event naming the broken file and line, and no snapshot", async () => {
      writeFileSync(join(dir, "30-broken.yaml"), BROKEN);
      const e = await readDirectory(dir);
      assert.equal(e.kind, "error");
      if (e.kind !== "error") return;
      assert.ok(e.errors.length >= 1);
      for (const err of e.errors) {
        assert.equal(err.file, join(dir, "30-broken.yaml"));
        assert.ok(err.line >= 4 && err.line <= 6, formatInputError(err));
      }
    });
  });

  describe("readDirectory with the files that changed", () => {
    it("reads only the named files: changed, new (in name order) and deleted ones; a file not named keeps its last read until a full read", async () => {
      const cache = new FolderCache();
      const inOrder = (e: ProviderEvent): string[] => {
        assert.equal(e.kind, "snapshot", JSON.stringify(e));
        return e.kind === "snapshot" ? e.snapshot.httpRoutes.map((r) => r.metadata.name) : [];
      };
      writeFileSync(join(dir, "20-route-b.yaml"), route("b"));
      assert.deepEqual(inOrder(await readDirectory(dir, cache)), ["a", "b"]);
      // Four files change on disk; only b, c and e are named. a stays as cached, d is not seen (not listed).
      writeFileSync(join(dir, "10-route-a.yaml"), route("a2"));
      writeFileSync(join(dir, "20-route-b.yaml"), route("b2"));
      writeFileSync(join(dir, "30-route-c.yaml"), route("c"));
      writeFileSync(join(dir, "40-route-d.yaml"), route("d"));
      writeFileSync(join(dir, "15-route-e.yaml"), route("e"));
      const named = new Set(["20-route-b.yaml", "30-route-c.yaml", "15-route-e.yaml"]);
      const partial = await readDirectory(dir, cache, undefined, [], named);
      assert.deepEqual(inOrder(partial), ["a", "e", "b2", "c"]); // e in its place by name, between a and b
      unlinkSync(join(dir, "30-route-c.yaml"));
      const deleted = await readDirectory(dir, cache, undefined, [], new Set(["30-route-c.yaml", "35-never.yaml"]));
      assert.deepEqual(inOrder(deleted), ["a", "e", "b2"]);
      assert.deepEqual(deleted.kind === "snapshot" && deleted.warnings, [], "a deleted file is no warning");
      // Nothing named: the same event, no read.
      assert.equal(await readDirectory(dir, cache, undefined, [], new Set()), deleted);
      assert.deepEqual(inOrder(await readDirectory(dir, cache)), ["a2", "e", "b2", "d"]); // no names: everything read
    });
  });

  describe("watchDirectory", () => {
    it("finds a change its watch never saw at its next full read (resyncMs): a write through a hard link in another folder", async function () {
      this.timeout(15_000);
      const outside = mkdtempSync(join(tmpdir(), "egts-outside-"));
      try {
        writeFileSync(join(outside, "route.yaml"), route("linked1"));
        linkSync(join(outside, "route.yaml"), join(dir, "40-linked.yaml"));
        const log = new EventLog();
        sub = watchDirectory(dir, { resyncMs: 3000 }).subscribe({
          next: (e) => log.push(e),
          error: (err) => assert.fail(err),
        });
        assert.deepEqual(routeNames(await log.next("initial snapshot", () => true, 2000)), ["a", "linked1"]);
        // The same inode, written through the other folder's name: the watched folder gets no event.
        writeFileSync(join(outside, "route.yaml"), route("linked2"));
        const linked2 = (e: ProviderEvent): boolean =>
          e.kind === "snapshot" && e.snapshot.httpRoutes.some((r) => r.metadata.name === "linked2");
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(log.summary(), ["snapshot(a,linked1)"], "the watch saw the write (the test proves nothing)");
        assert.deepEqual(routeNames(await log.next("the full read's snapshot", linked2, 6000)), ["a", "linked2"]);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it("follows a rename and a ConfigMap-style symlink swap (the watch names only `..data`)", async function () {
      this.timeout(10_000);
      // As kubelet mounts a ConfigMap: routes.yaml -> ..data/routes.yaml, ..data -> ..v1; an update swaps ..data.
      unlinkSync(join(dir, "10-route-a.yaml"));
      mkdirSync(join(dir, "..v1"));
      writeFileSync(join(dir, "..v1", "routes.yaml"), route("v1"));
      symlinkSync("..v1", join(dir, "..data"));
      symlinkSync(join("..data", "routes.yaml"), join(dir, "routes.yaml"));
      const log = new EventLog();
      sub = watchDirectory(dir).subscribe({ next: (e) => log.push(e), error: (err) => assert.fail(err) });
      assert.deepEqual(routeNames(await log.next("initial snapshot", () => true, 1000)), ["v1"]);

      mkdirSync(join(dir, "..v2"));
      writeFileSync(join(dir, "..v2", "routes.yaml"), route("v2"));
      symlinkSync("..v2", join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
      const swapped = await log.next(
        "snapshot after the swap",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes[0]?.metadata.name === "v2",
        1000,
      );
      assert.deepEqual(routeNames(swapped), ["v2"]);

      writeFileSync(join(dir, ".new.tmp"), route("r"));
      renameSync(join(dir, ".new.tmp"), join(dir, "40-route-r.yaml")); // an editor's atomic save
      const renamed = await log.next(
        "snapshot with the renamed file",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes.length === 2,
        1000,
      );
      assert.deepEqual(routeNames(renamed), ["r", "v2"]);
      renameSync(join(dir, "40-route-r.yaml"), join(dir, "41-route-r.yml"));
      writeFileSync(join(dir, "41-route-r.yml"), route("r2"));
      const moved = await log.next(
        "snapshot with the moved file's new content",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes.some((r) => r.metadata.name === "r2"),
        1000,
      );
      assert.deepEqual(routeNames(moved), ["r2", "v2"]);
    });

    it("emits the initial snapshot, a new snapshot within 1s of a write, and an error naming file and line", async function () {
      this.timeout(10_000);
      const log = new EventLog();
      sub = watchDirectory(dir).subscribe({ next: (e) => log.push(e), error: (err) => assert.fail(err) });

      const initial = await log.next("initial snapshot", () => true, 1000);
      assert.deepEqual(routeNames(initial), ["a"]);

      writeFileSync(join(dir, "20-route-b.yaml"), route("b"));
      const added = await log.next(
        "snapshot with route b",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes.length === 2,
        1000,
      );
      assert.deepEqual(routeNames(added), ["a", "b"]);

      writeFileSync(join(dir, "30-broken.yaml"), BROKEN);
      const broken = await log.next("error event", (e) => e.kind === "error", 1000);
      assert.equal(broken.kind, "error");
      if (broken.kind === "error") {
        const where = broken.errors.map(formatInputError);
        assert.ok(where.length >= 1);
        for (const w of where) assert.match(w, /30-broken\.yaml:[4-6]:\d+: /, w);
      }

      // Fixing the file brings snapshots back; the broken state produced no snapshot in between.
      unlinkSync(join(dir, "30-broken.yaml"));
      const fixed = await log.next("snapshot after the fix", (e) => e.kind === "snapshot", 1000);
      assert.deepEqual(routeNames(fixed), ["a", "b"]);
    });

    it("coalesces a burst of writes into few snapshots and ends on the final content", async function () {
      this.timeout(10_000);
      const log = new EventLog();
      sub = watchDirectory(dir, { debounceMs: 50, maxWaitMs: 400 }).subscribe((e) => log.push(e));
      await log.next("initial snapshot", () => true, 1000);
      for (let i = 0; i < 20; i++) writeFileSync(join(dir, "10-route-a.yaml"), route(`a${i}`));
      const last = await log.next(
        "snapshot with the last write",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes[0]?.metadata.name === "a19",
        1500,
      );
      assert.deepEqual(routeNames(last), ["a19"]);
      assert.ok(log.events.length <= 4, `expected the burst to be debounced: ${JSON.stringify(log.summary())}`);
    });

    it("coalesces a burst at the default (short) debounce too", async function () {
      this.timeout(10_000);
      const log = new EventLog();
      sub = watchDirectory(dir).subscribe((e) => log.push(e));
      await log.next("initial snapshot", () => true, 1000);
      for (let i = 0; i < 200; i++) writeFileSync(join(dir, "10-route-a.yaml"), route(`a${i}`));
      const last = await log.next(
        "snapshot with the last write",
        (e) => e.kind === "snapshot" && e.snapshot.httpRoutes[0]?.metadata.name === "a199",
        1500,
      );
      assert.deepEqual(routeNames(last), ["a199"]);
      assert.ok(log.events.length < 50, `expected the burst to be coalesced: ${JSON.stringify(log.summary())}`);
    });
  });
});
