/**
 * The pure parts of the Kubernetes provider's watch loop: the retry delays, which failures count as "the API
 * server is unavailable" (short backoff), and the line reader of watch streams; and the retry loop against a
 * port nothing listens on (a real refused connection): no listener left behind per retry, errors that say
 * where and why. The loop itself runs against a real API server in e2e/test/reflector.test.ts and the
 * restart test of e2e/test/ha.test.ts.
 */
import * as assert from "node:assert/strict";
import type { Logger } from "../../operator/src/log";
import {
  describeError,
  forEachLine,
  KubeApiError,
  KubeClient,
  KubeConfig,
  KubeConnectionError,
} from "../../operator/src/provider/kubernetes/client";
import {
  backoffDelay,
  isUnavailable,
  LAST_APPLIED,
  newReflectorStats,
  reflect,
  slim,
} from "../../operator/src/provider/kubernetes/reflector";
import { eventually, freePort } from "../support/http";

/** A stream of the given chunks (bytes as the network delivers them), then its end or an error. */
function streamOf(chunks: readonly Uint8Array[], end: Error | "end" = "end"): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else if (end === "end") controller.close();
      else controller.error(end);
    },
  });
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function linesOf(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  await forEachLine(stream, (l) => out.push(l));
  return out;
}

describe("Kubernetes provider: reflector backoff", () => {
  it("doubles from the initial delay and stops at the cap", () => {
    const mid = (): number => 0.5; // no jitter
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 200, 2000, mid)),
      [200, 400, 800, 1600, 2000, 2000, 2000],
    );
    assert.equal(backoffDelay(5000, 200, 30_000, mid), 30_000, "no overflow after many attempts");
  });

  it("jitters by ±25% so replicas do not retry in lockstep", () => {
    assert.equal(
      backoffDelay(2, 200, 30_000, () => 0),
      600,
    );
    assert.equal(
      backoffDelay(2, 200, 30_000, () => 0.999999),
      1000,
    );
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, 200, 30_000)));
    assert.ok(seen.size > 10, `random delays differ (${seen.size} distinct of 50)`);
    for (const d of seen) assert.ok(d >= 1200 && d <= 2000, `${d} within 1600 ±25%`);
  });

  it("treats no answer, 429 and 5xx gateway answers as unavailable, other answers as errors", () => {
    for (const status of [429, 502, 503, 504]) assert.equal(isUnavailable(new KubeApiError(status, "", "x")), true);
    for (const status of [400, 401, 403, 404, 410, 500]) {
      assert.equal(isUnavailable(new KubeApiError(status, "", "x")), false, `status ${status}`);
    }
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
    assert.equal(isUnavailable(new KubeConnectionError("request failed", refused)), true, "connection refused");
    assert.equal(isUnavailable(new KubeConnectionError("connection lost", new Error("aborted"))), true, "cut");
    assert.equal(isUnavailable(new TypeError("x is not a function")), false);
    assert.equal(isUnavailable(refused), false, "only the client's KubeConnectionError");
  });
});

describe("Kubernetes provider: error descriptions", () => {
  it("follows the cause chain to the errno and address, and lists each address of an AggregateError", () => {
    const refused = (address: string): Error =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}:6443`), { code: "ECONNREFUSED", address, port: 6443 });
    const both = new AggregateError([refused("::1"), refused("127.0.0.1")]);
    assert.equal(
      describeError(new KubeConnectionError("request failed", both)),
      "request failed: connect ECONNREFUSED ::1:6443; connect ECONNREFUSED 127.0.0.1:6443",
    );
    const socket = { remoteAddress: "127.0.0.1", remotePort: 6443 };
    const cut = Object.assign(new Error("socket hang up"), { code: "ECONNRESET", socket });
    assert.equal(
      describeError(new KubeConnectionError("connection lost", cut)),
      "connection lost: socket hang up ECONNRESET 127.0.0.1:6443",
    );
    assert.equal(describeError(new KubeApiError(503, "", "GET /api: 503 unavailable")), "GET /api: 503 unavailable");
  });
});

describe("Kubernetes provider: watch stream line reader", () => {
  it("joins lines split across chunks and skips empty lines", async () => {
    const chunks = ['{"type":"ADD', 'ED"}\n\n{"type":', '"MODIFIED"}\n', "\n", '{"type":"DELETED"}\n'].map(bytes);
    assert.deepEqual(await linesOf(streamOf(chunks)), [
      '{"type":"ADDED"}',
      '{"type":"MODIFIED"}',
      '{"type":"DELETED"}',
    ]);
  });

  it("decodes a multi-byte character split between chunks", async () => {
    const all = bytes('{"name":"café ✓"}\n');
    const cut = all.indexOf(0xe2); // first byte of ✓
    assert.ok(cut > 0);
    assert.deepEqual(await linesOf(streamOf([all.slice(0, cut + 1), all.slice(cut + 1)])), ['{"name":"café ✓"}']);
  });

  it("drops a trailing line without its newline (an event cut mid-way)", async () => {
    assert.deepEqual(await linesOf(streamOf([bytes('{"a":1}\n{"b":')])), ['{"a":1}']);
  });

  it("rejects, after the complete lines, when the stream fails (a cut connection, simulated by an erroring stream)", async () => {
    const seen: string[] = [];
    await assert.rejects(
      forEachLine(streamOf([bytes("one\ntw")], new Error("socket hang up")), (l) => seen.push(l)),
      /socket hang up/,
    );
    assert.deepEqual(seen, ["one"]);
  });

  it("rejects with the handler's error and cancels the stream", async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(bytes(`line ${pulls}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    await assert.rejects(
      forEachLine(stream, (l) => {
        if (l === "line 2") throw new Error("bad event");
      }),
      /bad event/,
    );
    assert.equal(cancelled, true, "the reader cancelled the stream");
  });
});

describe("Kubernetes provider: reflector retrying a refused connection (nothing listens on the port)", () => {
  it("leaves no abort listener behind per retry and logs the errno and address", async function () {
    this.timeout(20_000);
    const port = await freePort(); // closed again: connections to it are refused
    const kc = new KubeConfig(() => ({
      server: `https://127.0.0.1:${port}`,
      tls: { rejectUnauthorized: false },
      auth: { kind: "none" },
      origin: "test",
    }));
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on("warning", onWarning);
    const logged: { level: Parameters<Logger>[0]; msg: string; fields?: Record<string, unknown> }[] = [];
    const stats = newReflectorStats();
    const sub = reflect(new KubeClient(kc), "/api/v1/configmaps", {
      log: (level, msg, fields) => logged.push({ level, msg, fields }),
      stats,
      initialBackoffMs: 1,
      unavailableMaxBackoffMs: 5,
      stamp: { apiVersion: "v1", kind: "ConfigMap" },
    }).subscribe();
    try {
      await eventually(async () => stats.errors >= 30, 15_000, "30 retries");
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      assert.deepEqual(
        warnings.map((w) => `${w.name}: ${w.message}`),
        [],
        "no MaxListenersExceededWarning",
      );
      assert.equal(stats.maxAbortListeners, 0, "no abort listener left on the signal after a retry's wait");
      const failures = logged.filter((l) => l.msg === "list/watch failed; retrying");
      assert.ok(failures.length >= 30, `${failures.length} retries logged`);
      for (const f of failures) assert.equal(f.fields?.error, `request failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      sub.unsubscribe();
      process.off("warning", onWarning);
    }
  });
});

describe("Kubernetes provider: objects at intake", () => {
  const stamp = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" };

  it("drops managedFields and the kubectl apply annotation, keeps the other annotations and sets apiVersion/kind", () => {
    const listed = {
      metadata: {
        name: "r",
        namespace: "default",
        resourceVersion: "7",
        managedFields: [{ manager: "kubectl", operation: "Apply" }],
        annotations: { [LAST_APPLIED]: '{"apiVersion":"gateway.networking.k8s.io/v1"}', team: "a" },
      },
      spec: { hostnames: ["a.example"] },
    };
    const before = JSON.stringify(listed);
    assert.deepEqual(slim(listed as never, stamp), {
      apiVersion: stamp.apiVersion,
      kind: stamp.kind,
      metadata: { name: "r", namespace: "default", resourceVersion: "7", annotations: { team: "a" } },
      spec: { hostnames: ["a.example"] },
    });
    assert.equal(JSON.stringify(listed), before, "the parsed object is not changed");
  });

  it("leaves an object without either as it is (no annotations field added)", () => {
    const plain = { metadata: { name: "s", namespace: "default" }, data: { k: "dg==" } };
    assert.deepEqual(slim(plain as never, { apiVersion: "v1", kind: "Secret" }), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "default" },
      data: { k: "dg==" },
    });
  });
});
