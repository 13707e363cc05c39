/**
 * The file provider's merge of the files' snapshots (folder-cache.ts `mergeParts`, ADR 0037): merged against the last
 * merge and its parts, it gives exactly what a merge from scratch gives, keeps the last arrays of the lists no changed
 * file touches, and notes for a list made again a window that holds every change (list-window.ts).
 */
import * as assert from "node:assert/strict";
import { mergeParts } from "../../operator/src/provider/file/folder-cache";
import { listWindow } from "../../operator/src/ir/list-window";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";

/** A file's snapshot: `routes` HTTPRoutes and `services` Services, named after the file and a version. */
function part(file: number, version: number, routes: number, services: number): ResourceSnapshot {
  const some = (n: number, apiVersion: string, kind: string, prefix: string): KubeObject[] =>
    Array.from({ length: n }, (_, i) => ({
      apiVersion,
      kind,
      metadata: { name: `${prefix}-${file}-${version}-${i}`, namespace: "default" },
      spec: {},
    }));
  return snapshotFromObjects([
    ...some(routes, "gateway.networking.k8s.io/v1", "HTTPRoute", "r"),
    ...some(services, "v1", "Service", "s"),
  ]);
}

describe("file provider: merging the files' snapshots against the last merge", () => {
  it("gives what a merge from scratch gives, keeps untouched lists, and notes windows that hold the changes", () => {
    let seed = 5;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let parts = Array.from({ length: 12 }, (_, f) => part(f, 0, rnd(3), rnd(2)));
    let merged = mergeParts(parts);
    let kept = 0;
    for (let step = 1; step <= 300; step++) {
      const next = [...parts];
      const at = rnd(next.length + 1);
      const how = rnd(3);
      if (how === 0 && next.length > 1) next.splice(at, 1);
      else if (how === 1) next.splice(at, 0, part(100 + step, step, rnd(3), rnd(2)));
      else if (at < next.length) next[at] = part(at, step, rnd(3), rnd(2) === 0 ? 0 : 1);
      const warm = mergeParts(next, { snapshot: merged, parts });
      const cold = mergeParts(next);
      assert.deepEqual(warm, cold, `step ${step}: the same snapshot as a merge from scratch`);
      for (const kind of ["httpRoutes", "services"] as const) {
        const before = merged[kind] as readonly unknown[];
        const after = warm[kind] as readonly unknown[];
        if (after === before) {
          kept++;
          continue;
        }
        const noted = listWindow(before, after);
        const scanned = listWindow([...before], after);
        assert.ok(
          noted.from <= scanned.from && noted.beforeTo >= scanned.beforeTo && noted.afterTo >= scanned.afterTo,
          `step ${step} ${kind}: the noted window ${JSON.stringify(noted)} holds the changes ${JSON.stringify(scanned)}`,
        );
        assert.equal(before.length - noted.beforeTo, after.length - noted.afterTo, `step ${step} ${kind}: one tail`);
      }
      parts = next;
      merged = warm;
    }
    assert.ok(kept > 100, `lists no changed file touched stay the same arrays (${kept} times)`);
  });
});
