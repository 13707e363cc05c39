/**
 * The status writer's memo of settled statuses (ADR 0027): a desired status found equal to a live copy is not
 * merged again while the copy and the desired status stay the same, and the writer decides exactly as a cold
 * one (a new writer per pass) over a sequence of passes. Its holds (ADR 0029): a changed status is held while a
 * newer pass is on its way, until it stops changing, no newer pass is coming or `maxHoldMs` passed. The writer
 * talks HTTP to a small stand-in of the API server's status endpoint (it records each PATCH and answers with
 * the object as stored).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../operator/src/log";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import type { KubeObject } from "../../operator/src/resources/meta";
import * as merge from "../../operator/src/status/merge-status";
import { StatusWriter } from "../../operator/src/status/status-writer";
import type { StatusUpdate } from "../../operator/src/translate/conditions";

type Live = KubeObject & { status?: unknown };

const NOW = "2026-12-05T00:00:00Z";

function route(name: string, version: string, message?: string): Live {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: "default", resourceVersion: version, generation: 1 },
    spec: {},
    ...(message ? { status: { parents: [parent(message, NOW)] } } : {}),
  };
}

function parent(message: string, lastTransitionTime?: string): Record<string, unknown> {
  return {
    parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" },
    controllerName: DEFAULT_CONTROLLER_NAME,
    conditions: [
      {
        type: "Accepted",
        status: "True",
        reason: "Accepted",
        message,
        observedGeneration: 1,
        ...(lastTransitionTime ? { lastTransitionTime } : {}),
      },
    ],
  };
}

/** A fresh desired status (a new object each call, as each pass's translation makes). */
function desired(name: string, message: string): StatusUpdate {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    namespace: "default",
    name,
    status: { parents: [parent(message)] },
  } as StatusUpdate;
}

describe("status writer: settled statuses (against a stand-in API server that can answer late)", function () {
  this.timeout(20_000);
  let server: Server;
  let client: KubeClient;
  const patches: string[] = [];
  /** The status of each PATCH, in request order. */
  const bodies: unknown[] = [];
  /** URLs in the order their PATCH was answered. */
  const answered: string[] = [];
  /** Delays (ms) of the next answers, in request order. */
  const delays: number[] = [];
  let version = 100;

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        patches.push(`${req.method} ${req.url}`);
        const sent = JSON.parse(body) as { status: unknown };
        bodies.push(sent.status);
        const answer = (): void => {
          answered.push(req.url ?? "");
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ metadata: { resourceVersion: String(++version) }, status: sent.status }));
        };
        const delay = delays.shift() ?? 0;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = mkdtempSync(join(tmpdir(), "status-settled-"));
    const file = join(dir, "kubeconfig");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: url } }],
        users: [{ name: "u", user: {} }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    client = new KubeClient(loadKubeConfig(file));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    patches.length = 0;
    bodies.length = 0;
    answered.length = 0;
    delays.length = 0;
  });

  const writer = (): StatusWriter =>
    new StatusWriter(client, { controllerName: DEFAULT_CONTROLLER_NAME, log: silentLogger, now: () => NOW });

  it("does not merge a settled status again, and merges once the live copy or the desired status changes", async () => {
    const w = writer();
    const live = [route("a", "10", "ok"), route("b", "11", "ok")];
    const calls = { merges: 0 };
    const original = merge.mergeStatus;
    const counting: typeof merge.mergeStatus = (...args) => (calls.merges++, original(...args));
    Object.defineProperty(merge, "mergeStatus", { value: counting, configurable: true, writable: true });
    try {
      await w.write([desired("a", "ok"), desired("b", "ok")], live);
      assert.equal(calls.merges, 2, "first pass: both compared");
      await w.write([desired("a", "ok"), desired("b", "ok")], live);
      assert.equal(calls.merges, 2, "same live copies, equal desired statuses: no merge");
      assert.equal(w.stats.unchanged, 4);
      // b's desired status changes: merged and written; a stays settled.
      await w.write([desired("a", "ok"), desired("b", "changed")], live);
      assert.equal(calls.merges, 3);
      assert.deepEqual(patches, ["PATCH /apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/b/status"]);
      // a's live copy is replaced (a watch event), same content: compared again.
      await w.write([desired("a", "ok"), desired("b", "changed")], [route("a", "12", "ok"), live[1]!]);
      assert.equal(calls.merges, 5, "a: new live copy; b: its copy predates our write (compared with it)");
    } finally {
      Object.defineProperty(merge, "mergeStatus", { value: original, configurable: true, writable: true });
    }
    assert.equal(w.stats.writes, 1);
  });

  it("decides as a cold writer over a sequence of passes", async () => {
    const passes: { live: Live[]; updates: StatusUpdate[] }[] = [
      { live: [route("a", "1020", "ok"), route("b", "1021")], updates: [desired("a", "ok"), desired("b", "ok")] },
      { live: [route("a", "1020", "ok"), route("b", "1022", "ok")], updates: [desired("a", "ok"), desired("b", "ok")] },
      { live: [route("a", "1020", "ok"), route("b", "1022", "ok")], updates: [desired("a", "no"), desired("b", "ok")] },
      { live: [route("a", "1030", "no"), route("b", "1022", "ok")], updates: [desired("a", "no"), desired("b", "ok")] },
      { live: [route("b", "1022", "ok")], updates: [desired("b", "ok")] },
      { live: [route("a", "1040", "ok"), route("b", "1022", "ok")], updates: [desired("a", "ok"), desired("b", "ok")] },
    ];
    // The same live objects across passes where the copy is unchanged (the provider keeps them).
    const copies = new Map<string, Live>();
    const live = passes.map((p) =>
      p.live.map((o) => {
        const key = `${o.metadata.name}@${o.metadata.resourceVersion}`;
        if (!copies.has(key)) copies.set(key, o);
        return copies.get(key)!;
      }),
    );
    const warm = writer();
    const seen: string[][] = [];
    for (const [i, p] of passes.entries()) {
      patches.length = 0;
      await warm.write(p.updates, live[i]!);
      const warmPatches = [...patches];
      patches.length = 0;
      await writer().write(p.updates, live[i]!);
      // Live versions above every write's: neither writer compares with its own last write, only the memo differs.
      assert.deepEqual(warmPatches, patches, `pass ${i}`);
      seen.push(warmPatches);
    }
    assert.ok(
      seen.some((p) => p.length > 0),
      "the sequence writes something",
    );
  });

  it("keeps the writes of one object in order across overlapping calls, and others do not wait for them", async () => {
    const w = writer();
    const live = [route("c", "1"), route("d", "2")]; // older than every write
    delays.push(400); // the first PATCH (c, first call) is answered late
    const first = w.write([desired("c", "one")], live);
    await new Promise((r) => setTimeout(r, 50));
    const second = w.write([desired("c", "two"), desired("d", "two")], live);
    await Promise.all([first, second]);
    const path = (n: string): string => `/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/${n}/status`;
    assert.deepEqual(answered, [path("d"), path("c"), path("c")], "d did not wait; c's second after its first");
    assert.deepEqual(
      patches,
      [path("c"), path("d"), path("c")].map((p) => `PATCH ${p}`),
      "c's second sent only once its first was answered",
    );
    assert.equal(w.stats.writes, 3);
    assert.equal(w.stats.ownWrite, 1, "c's second compared with the first's result (the copy predates it)");
  });

  it("writes a Gateway's status at once while a burst of route statuses queues for the bounded connections", async () => {
    const w = writer();
    const n = 100;
    const names = Array.from({ length: n }, (_, i) => `q${i}`);
    const gateway: Live = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "gw", namespace: "default", resourceVersion: "5", generation: 1 },
      spec: {},
    };
    const gatewayStatus = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      namespace: "default",
      name: "gw",
      status: {
        conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "ok", observedGeneration: 1 }],
      },
    } as StatusUpdate;
    // Every answer 20 ms late: 100 writes over 16 connections take ~140 ms.
    delays.push(...Array.from({ length: n + 1 }, () => 20));
    // The Gateway's write comes last, as the last pass's behind the earlier passes' route writes.
    await w.write(
      [...names.map((name) => desired(name, "ok")), gatewayStatus],
      [...names.map((name, i) => route(name, String(10 + i))), gateway],
    );
    const at = answered.findIndex((url) => url.includes("/gateways/gw/"));
    assert.equal(answered.length, n + 1);
    // Queued in call order it would be the last answered (≥ 84: with the burst's last 16).
    assert.ok(at >= 0 && at < n / 2, `the Gateway's status was answered after ${at} route statuses`);
  });

  it("sends only the newest of the writes of one object that queued behind its write in flight", async () => {
    const w = writer();
    const live = [route("c", "1")];
    delays.push(400); // the first PATCH is answered late; two more passes come meanwhile
    const first = w.write([desired("c", "one")], live);
    await new Promise((r) => setTimeout(r, 50));
    const second = w.write([desired("c", "two")], live);
    const third = w.write([desired("c", "three")], live);
    await Promise.all([first, second, third]);
    const path = "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/c/status";
    assert.deepEqual(patches, [`PATCH ${path}`, `PATCH ${path}`], "the first, then only the newest");
    assert.match(JSON.stringify(bodies.at(-1)), /three/, "the newest desired status is the one sent");
    assert.equal(w.stats.superseded, 1);
    assert.equal(w.stats.writes, 2);
  });

  it("holds a changed status while a newer pass is on its way: written once a pass finds it again or none is on its way", async () => {
    const w = writer();
    const live = [route("gw", "1"), route("r", "2")];
    const path = (n: string): string =>
      `PATCH /apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/${n}/status`;
    const busy = { newerPass: () => true };
    await w.write([desired("gw", "1 route"), desired("r", "accepted")], live, busy);
    assert.deepEqual(patches, [], "both changed since the last pass, a newer one is coming: held");
    await w.write([desired("gw", "2 routes"), desired("r", "accepted")], live, busy);
    assert.deepEqual(patches, [path("r")], "r's status is the same again: written; gw's changed again: held");
    await w.write([desired("gw", "3 routes"), desired("r", "accepted")], live, { newerPass: () => false });
    assert.deepEqual(patches, [path("r"), path("gw")], "no newer pass: gw written once, with the newest");
    assert.match(JSON.stringify(bodies.at(-1)), /3 routes/);
    assert.equal(w.stats.held, 3);
    assert.equal(w.stats.writes, 2);
  });

  it("writes a status that keeps changing once it has been held for maxHoldMs", async () => {
    const w = new StatusWriter(client, {
      controllerName: DEFAULT_CONTROLLER_NAME,
      log: silentLogger,
      now: () => NOW,
      maxHoldMs: 100,
    });
    const live = [route("gw", "1")];
    const busy = { newerPass: () => true };
    await w.write([desired("gw", "1 route")], live, busy);
    await w.write([desired("gw", "2 routes")], live, busy);
    assert.equal(patches.length, 0, "held twice");
    await new Promise((r) => setTimeout(r, 120));
    await w.write([desired("gw", "3 routes")], live, busy);
    assert.equal(patches.length, 1, "held since the first hold for over maxHoldMs: written");
    assert.match(JSON.stringify(bodies.at(-1)), /3 routes/);
    await w.write([desired("gw", "4 routes")], live, busy);
    assert.equal(patches.length, 1, "a new hold starts after the write");
  });

  describe("count-only changes (countQuietMs, ADR 0033)", function () {
    /** A Gateway with one listener `http` that has `attached` routes and the given Programmed message. */
    function gatewayStatus(attached: number, programmed = "ok"): Record<string, unknown> {
      const cond = (type: string, message: string): Record<string, unknown> => ({
        type,
        status: "True",
        reason: type,
        message,
        observedGeneration: 1,
      });
      return {
        conditions: [cond("Accepted", "ok"), cond("Programmed", programmed)],
        listeners: [
          {
            name: "http",
            attachedRoutes: attached,
            supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
            conditions: [cond("Accepted", "ok"), cond("Programmed", "ok")],
          },
        ],
      };
    }
    function gateway(version: string, attached?: number): Live {
      return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "eg", namespace: "default", resourceVersion: version, generation: 1 },
        spec: {},
        ...(attached !== undefined ? { status: withTimes(gatewayStatus(attached)) } : {}),
      };
    }
    function withTimes(status: Record<string, unknown>): Record<string, unknown> {
      return JSON.parse(
        JSON.stringify(status).replace(
          /"observedGeneration":1/g,
          `"observedGeneration":1,"lastTransitionTime":"${NOW}"`,
        ),
      ) as Record<string, unknown>;
    }
    function wanted(attached: number, programmed = "ok"): StatusUpdate {
      return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        namespace: "default",
        name: "eg",
        status: gatewayStatus(attached, programmed),
      } as StatusUpdate;
    }
    const quietWriter = (): StatusWriter =>
      new StatusWriter(client, {
        controllerName: DEFAULT_CONTROLLER_NAME,
        log: silentLogger,
        now: () => NOW,
        countQuietMs: 80,
      });
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const idle = { newerPass: () => false };

    it("tells a change of attachedRoutes alone from any other", function () {
      const live = withTimes(gatewayStatus(1));
      assert.equal(merge.onlyAttachedRoutesChanged(live, withTimes(gatewayStatus(2))), true);
      assert.equal(merge.onlyAttachedRoutesChanged(live, withTimes(gatewayStatus(1))), false, "nothing changed");
      assert.equal(
        merge.onlyAttachedRoutesChanged(live, withTimes(gatewayStatus(2, "other"))),
        false,
        "a condition too",
      );
      assert.equal(merge.onlyAttachedRoutesChanged(undefined, withTimes(gatewayStatus(2))), false, "a first status");
      const more = withTimes(gatewayStatus(1));
      (more.listeners as unknown[]).push({ name: "https", attachedRoutes: 0, conditions: [] });
      assert.equal(merge.onlyAttachedRoutesChanged(live, more), false, "a listener added");
    });

    it("writes a count that moves in passes with lulls between them once, after it stayed for countQuietMs", async function () {
      const w = quietWriter();
      const live = [gateway("1", 0)];
      for (let n = 1; n <= 5; n++) {
        await w.write([wanted(n)], live, idle); // no newer pass on its way each time: a lull between creates
        await sleep(20);
      }
      assert.deepEqual(patches, [], "held while the count moves, though no pass was on its way");
      await sleep(150);
      assert.equal(patches.length, 1, "written once the count stayed");
      assert.equal((bodies[0] as { listeners: { attachedRoutes: number }[] }).listeners[0]!.attachedRoutes, 5);
      assert.equal(w.stats.writes, 1);
      w.close();
    });

    it("leaves a held count to the pass on its way when input came after its pass, and writes it then", async function () {
      const w = quietWriter();
      const live = [gateway("1", 0)];
      let input = false;
      await w.write([wanted(7)], live, { newerPass: () => input });
      input = true; // a create arrived after that pass: its pass is on its way
      await sleep(150);
      assert.deepEqual(patches, [], "the timer did not write: a pass is coming");
      await w.write([wanted(7)], live, { newerPass: () => false });
      assert.equal(patches.length, 1, "that pass found the same count: written");
      w.close();
    });

    it("writes a count a pass finds again at once, and any other change with it at once", async function () {
      const w = quietWriter();
      const live = [gateway("1", 0)];
      await w.write([wanted(3)], live, idle);
      assert.equal(patches.length, 0);
      await w.write([wanted(3)], live, idle);
      assert.equal(patches.length, 1, "the same count again: written");
      const w2 = quietWriter();
      await w2.write([wanted(4, "changed")], [gateway("1", 0)], idle);
      assert.equal(patches.length, 2, "a condition changed too: written at once");
      await sleep(120);
      assert.equal(patches.length, 2, "and nothing more later");
      w.close();
      w2.close();
    });

    it("drops a held count when the Gateway goes, and on close", async function () {
      const w = quietWriter();
      await w.write([wanted(2)], [gateway("1", 0)], idle);
      await w.write([], [], idle); // the Gateway was deleted
      const w2 = quietWriter();
      await w2.write([wanted(2)], [gateway("1", 0)], idle);
      w2.close();
      await sleep(150);
      assert.deepEqual(patches, []);
    });
  });
});
