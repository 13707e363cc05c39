/** The NACK bisection's search and quarantine, on their own (the real-Envoy path is test/standalone/envoy-rejects). */
import * as assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { Subject } from "rxjs";
import {
  envoyReason,
  findCulprits,
  NackGuard,
  publishAndWait,
  Quarantine,
} from "../../operator/src/pipeline/nack-bisect";
import { suspectObjects, withoutSuspects } from "../../operator/src/pipeline/nack-suspects";
import type { CacheChange } from "../../operator/src/xds/cache/snapshot-cache";
import type { XdsEvent } from "../../operator/src/xds/server/types";

function route(name: string, host: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [${host}]
`;
}

function snapshot(...docs: string[]): ReturnType<typeof snapshotFromObjects> {
  return snapshotFromObjects(parseAllDocuments(docs.join("---\n")).map((d) => d.toJS() as KubeObject));
}

describe("NACK bisection", () => {
  it("finds every culprit among many suspects in about 2·k·log2(n) trials", async () => {
    const suspects = Array.from({ length: 64 }, (_, i) => `HTTPRoute/default/r${i}`);
    const bad = new Set(["HTTPRoute/default/r3", "HTTPRoute/default/r40", "HTTPRoute/default/r41"]);
    const { culprits, trials } = await findCulprits(suspects, async (exclude) => [...bad].every((b) => exclude.has(b)));
    assert.deepEqual([...culprits].sort(), [...bad].sort());
    assert.ok(trials <= 2 + 2 * bad.size * Math.log2(suspects.length), `${trials} trials`);
  });

  it("a trial waits for every stream that sent: one VHDS stream's ACK does not hide another's NACK (fake events)", async () => {
    const changes = new Subject<CacheChange>();
    const events = new Subject<XdsEvent>();
    const vh = "type.googleapis.com/envoy.config.route.v3.VirtualHost";
    const ev = (kind: XdsEvent["kind"], streamId: number, nonce: string): XdsEvent => ({
      kind,
      nodeId: "n",
      streamId,
      nonce,
      typeUrl: vh,
      ...(kind === "nack" ? { error: "bad regex" } : {}),
    });
    const out = publishAndWait(
      "n",
      changes,
      events,
      () => {
        changes.next({
          nodeId: "n",
          diff: { version: 2, empty: false, types: new Map([[vh, { upserted: ["a", "b"], removed: [] }]]) },
        });
        events.next(ev("sent", 2, "5"));
        events.next(ev("sent", 3, "1"));
        setTimeout(() => events.next(ev("ack", 2, "5")), 5);
        setTimeout(() => events.next(ev("nack", 3, "1")), 20);
      },
      { timeoutMs: 2000, currentOk: true },
    );
    assert.deepEqual(await out, { ok: false, error: "bad regex" });
  });

  it("finds nothing when the NACK does not come from the suspects", async () => {
    const { culprits, trials } = await findCulprits(["HTTPRoute/default/a"], async () => false);
    assert.deepEqual(culprits, []);
    assert.equal(trials, 1);
  });

  it("quarantines a route until its content changes, and reports Envoy's error on it", () => {
    const before = snapshot(route("bad", "a.example"), route("good", "b.example"));
    const q = new Quarantine();
    const bad = suspectObjects(before).find((r) => r.key === "HTTPRoute/default/bad")!;
    q.add(bad.key, bad.hash, "invalid header value");
    assert.deepEqual([...q.excluded(before)], ["HTTPRoute/default/bad"]);
    assert.deepEqual(
      withoutSuspects(before, q.excluded(before)).httpRoutes.map((r) => r.metadata.name),
      ["good"],
    );
    const [st] = q.statuses([], before, "gateway.envoyproxy.io/gatewayclass-controller");
    const cond = (st.status as { parents: { conditions: { reason: string; message: string }[] }[] }).parents[0]
      .conditions[0];
    assert.equal(cond.reason, "UnsupportedValue");
    assert.match(cond.message, /^Envoy rejected the configuration: invalid header value/);
    const restamped = snapshot(
      route("bad", "a.example").replace("namespace: default }", 'namespace: default, resourceVersion: "9" }'),
      route("good", "b.example"),
    );
    assert.deepEqual([...q.excluded(restamped)], ["HTTPRoute/default/bad"], "our own status write does not release it");
    const changed = snapshot(route("bad", "c.example"), route("good", "b.example"));
    assert.deepEqual([...q.excluded(changed)], [], "a changed route is tried again");
  });

  it("a NACK no route explains is reported once and not bisected again (fake Envoy that rejects everything: a fault no route can cause)", async () => {
    const changes$ = new Subject<CacheChange>();
    const events$ = new Subject<XdsEvent>();
    const logs: string[] = [];
    const guard = new NackGuard({ changes$, events$, logger: (_l, msg) => logs.push(msg), waitMs: 200 });
    const snap = snapshot(route("a", "a.example"), route("b", "b.example"));
    let publishes = 0;
    const publish = (): void => {
      publishes++;
      const typeUrl = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
      changes$.next({
        nodeId: "n",
        diff: { version: publishes, types: new Map([[typeUrl, { upserted: ["r"], removed: [] }]]), empty: false },
      });
      queueMicrotask(() => events$.next({ kind: "nack", nodeId: "n", streamId: 1, typeUrl, error: "bad listener" }));
    };
    const first = await guard.bisect("n", snap, publish);
    assert.deepEqual(first.culprits, []);
    assert.equal(first.trials, 1);
    const again = await guard.bisect("n", snap, publish);
    assert.equal(again.trials, 0, "the same snapshot is not bisected again");
    assert.equal(publishes, 2, "one trial and the final publish");
    assert.ok(logs.some((l) => l.includes("even without the changed routes")));
  });

  it("keeps only the reason of Envoy's error, not its dump of the whole resource", () => {
    const detail =
      'name: "default/eg/80"\nvirtual_hosts {\n  domains: "other-tenant.example"\n}\n: Proto constraint validation failed (bad value)';
    assert.equal(envoyReason(detail), "Proto constraint validation failed (bad value)");
    assert.equal(envoyReason("x".repeat(600)).length, 501);
  });

  it("writes the chain of embedded messages of a validation error as one field path (Envoy 1.37's words)", () => {
    const chain = [
      "ScopedRouteConfigurationValidationError.RouteConfiguration",
      "RouteConfigurationValidationError.VirtualHosts[0]",
      "VirtualHostValidationError.Routes[0]",
      "RouteValidationError.RequestHeadersToAdd[0]",
      "HeaderValueOptionValidationError.Header",
    ].join(": embedded message failed validation | caused by ");
    const detail = `name: "x"\n: Proto constraint validation failed (${chain}: embedded message failed validation | caused by HeaderValueValidationError.Value: value does not match regex pattern "^[^\\x00\\n\\r]*$")`;
    assert.equal(
      envoyReason(detail),
      'Proto constraint validation failed (ScopedRouteConfiguration.RouteConfiguration.VirtualHosts[0].Routes[0].RequestHeadersToAdd[0].Header.Value: value does not match regex pattern "^[^\\x00\\n\\r]*$")',
    );
  });

  it("a pass that changes nothing does not mark its routes accepted (fake cache events: the NACKed content is still in the cache)", async () => {
    const changes$ = new Subject<CacheChange>();
    const events$ = new Subject<XdsEvent>();
    const guard = new NackGuard({ changes$, events$, logger: () => undefined, waitMs: 100 });
    const snap = snapshot(route("a", "a.example"));
    guard.track(snap, () => undefined); // no cache change
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(guard.quarantine.suspects(suspectObjects(snap)), ["HTTPRoute/default/a"]);
  });

  it("forgets accepted objects that left the snapshot, and suspects an object again once its content changed", () => {
    const q = new Quarantine();
    const first = snapshot(route("a", "a.example"), route("b", "b.example"));
    q.markAccepted(suspectObjects(first), new Set());
    assert.deepEqual(q.suspects(suspectObjects(first)), []);
    assert.equal(suspectObjects(first)[0], suspectObjects(first)[0], "an unchanged object's suspect is made once");
    // b deleted, c added, a changed (a new object with the same name).
    const second = snapshot(route("a", "a2.example"), route("c", "c.example"));
    assert.deepEqual(q.suspects(suspectObjects(second)), ["HTTPRoute/default/a", "HTTPRoute/default/c"]);
    q.markAccepted(suspectObjects(second), new Set());
    // b (unchanged object) is a suspect again: it was forgotten when it left the snapshot.
    assert.deepEqual(q.suspects(suspectObjects(first)), ["HTTPRoute/default/a", "HTTPRoute/default/b"]);
  });

  it("an object held back when a snapshot is accepted keeps the content accepted before, the others take the new", () => {
    const q = new Quarantine();
    const first = snapshot(route("a", "a.example"), route("b", "b.example"));
    q.markAccepted(suspectObjects(first), new Set());
    // Both changed; b was held back (quarantined) while the second snapshot was accepted.
    const second = snapshot(route("a", "a2.example"), route("b", "b2.example"));
    q.markAccepted(suspectObjects(second), new Set(["HTTPRoute/default/b"]));
    assert.deepEqual(q.suspects(suspectObjects(second)), ["HTTPRoute/default/b"], "b's new content was never accepted");
    assert.deepEqual(q.suspects(suspectObjects(first)), ["HTTPRoute/default/a"], "b's first content still is");
  });
});
