/**
 * xDS protocol tests: the delta ADS server against a grpc-js client on loopback, plus the cache diffing.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { isDeepStrictEqual } from "node:util";
import { firstValueFrom, filter } from "rxjs";
import { pack } from "../../proto/any";
import { Cluster, Cluster_DiscoveryType } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../proto/gen/envoy/config/endpoint/v3/endpoint";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";
import {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
} from "../../proto/gen/envoy/service/discovery/v3/discovery";
import { Any } from "../../proto/gen/google/protobuf/any";
import { CacheChange, XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { AdsClient, XdsEvent, XdsServer, shortName } from "../../operator/src/xds/server";
import { ClusterType, EndpointType, ListenerType, RouteType, TypeUrl } from "../../operator/src/xds/types";

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.Endpoint;
const LDS = TypeUrl.Listener;
const RDS = TypeUrl.Route;
const NODE = "gw-default-eg";

/** Builds a resource of a type; `variant` changes its content (and so its version). */
function resource(typeUrl: string, name: string, variant = ""): Any {
  switch (typeUrl) {
    case CDS:
      return pack(ClusterType, Cluster.fromPartial({ name, type: Cluster_DiscoveryType.EDS, altStatName: variant }));
    case EDS:
      return pack(
        EndpointType,
        ClusterLoadAssignment.fromPartial({
          clusterName: name,
          endpoints: variant ? [{ locality: { zone: variant } }] : [],
        }),
      );
    case LDS:
      return pack(ListenerType, Listener.fromPartial({ name, statPrefix: variant }));
    case RDS:
      return pack(
        RouteType,
        RouteConfiguration.fromPartial({ name, virtualHosts: variant ? [{ name: variant, domains: ["*"] }] : [] }),
      );
    default:
      throw new Error(`unknown type ${typeUrl}`);
  }
}

/** `{ typeUrl: { name: variant } }` → the cache's resource set. */
function snapshot(spec: Record<string, Record<string, string>>): Map<string, Map<string, Any>> {
  const out = new Map<string, Map<string, Any>>();
  for (const [typeUrl, names] of Object.entries(spec)) {
    out.set(typeUrl, new Map(Object.entries(names).map(([n, v]) => [n, resource(typeUrl, n, v)])));
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function names(r: DeltaDiscoveryResponse): string[] {
  return r.resources.map((x) => x.name).sort();
}

/** A scripted Envoy: sends delta requests and queues the responses it gets. */
class FakeEnvoy {
  readonly call: grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  /** Every response, in arrival order. */
  readonly received: DeltaDiscoveryResponse[] = [];
  /** Ordered log of what the client sent ("sub eds c1") and received ("recv cds +c1 -c2"). */
  readonly timeline: string[] = [];
  /** Called on every response (e.g. to ACK automatically). */
  onResponse?: (r: DeltaDiscoveryResponse) => void;
  private readonly queue: DeltaDiscoveryResponse[] = [];
  private waiter?: () => void;
  private first = true;

  constructor(
    client: AdsClient,
    readonly nodeId: string,
  ) {
    this.call = client.deltaAggregatedResources();
    this.call.on("data", (r: DeltaDiscoveryResponse) => {
      this.received.push(r);
      this.queue.push(r);
      const removed = r.removedResources.map((n) => ` -${n}`).join("");
      this.timeline.push(`recv ${shortName(r.typeUrl)}${r.resources.map((x) => ` +${x.name}`).join("")}${removed}`);
      this.onResponse?.(r);
      this.waiter?.();
    });
    this.call.on("error", () => undefined); // cancellation at the end of a test
  }

  send(req: Partial<DeltaDiscoveryRequest>): void {
    const full = DeltaDiscoveryRequest.fromPartial({
      ...req,
      node: this.first ? { id: this.nodeId } : undefined,
    });
    this.first = false;
    this.call.write(full);
  }

  subscribe(typeUrl: string, subscribe: string[] = [], initialResourceVersions: Record<string, string> = {}): void {
    this.timeline.push(`sub ${shortName(typeUrl)} ${subscribe.join(",")}`.trim());
    this.send({ typeUrl, resourceNamesSubscribe: subscribe, initialResourceVersions });
  }

  unsubscribe(typeUrl: string, unsubscribe: string[]): void {
    this.send({ typeUrl, resourceNamesUnsubscribe: unsubscribe });
  }

  ack(r: DeltaDiscoveryResponse): void {
    this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  }

  nack(r: DeltaDiscoveryResponse, message: string): void {
    this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce, errorDetail: { code: 13, message, details: [] } });
  }

  /** The next queued response; fails after `ms`. */
  async next(ms = 3000): Promise<DeltaDiscoveryResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = this.queue.shift();
      if (r) return r;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${ms}ms; timeline: ${this.timeline.join(" | ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = (): void => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Asserts nothing arrives within `ms`. */
  async expectNone(ms = 300): Promise<void> {
    await sleep(ms);
    assert.deepEqual(
      this.queue.map((r) => `${shortName(r.typeUrl)} ${names(r).join(",")} -${r.removedResources.join(",")}`),
      [],
    );
  }

  /** Waits until `pred` holds for the received responses. */
  async waitFor(pred: (all: readonly DeltaDiscoveryResponse[]) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.received)) {
      if (Date.now() > deadline) throw new Error(`condition not met; timeline: ${this.timeline.join(" | ")}`);
      await sleep(10);
    }
  }

  /** Name → version of everything the client holds per type (as Envoy would report on reconnect). */
  versions(typeUrl: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.received) {
      if (r.typeUrl !== typeUrl) continue;
      for (const x of r.resources) out[x.name] = x.version;
      for (const n of r.removedResources) delete out[n];
    }
    return out;
  }

  close(): void {
    this.call.cancel();
  }
}

describe("xds cache", () => {
  it("versions by content and diffs per type", () => {
    const cache = new XdsCache();
    const events: CacheChange[] = [];
    cache.changes$.subscribe((e) => events.push(e));
    const d1 = cache.setNode(NODE, snapshot({ [CDS]: { a: "", b: "" }, [RDS]: { r: "" } }));
    assert.equal(d1.version, 1);
    assert.deepEqual(d1.types.get(CDS), { upserted: ["a", "b"], removed: [] });
    const v1 = cache.getNode(NODE)?.resources.get(CDS)?.get("a")?.version;
    assert.match(v1 ?? "", /^[0-9a-f]{16}$/);

    const same = cache.setNode(NODE, snapshot({ [CDS]: { a: "", b: "" }, [RDS]: { r: "" } }));
    assert.equal(same.empty, true);
    assert.equal(cache.getNode(NODE)?.version, 1);
    assert.equal(events.length, 1);

    const d2 = cache.setNode(NODE, snapshot({ [CDS]: { a: "x", c: "" } }));
    assert.equal(d2.version, 2);
    assert.deepEqual(d2.types.get(CDS), { upserted: ["a", "c"], removed: ["b"] });
    assert.deepEqual(d2.types.get(RDS), { upserted: [], removed: ["r"] });
    assert.notEqual(cache.getNode(NODE)?.resources.get(CDS)?.get("a")?.version, v1);
    assert.equal(events.length, 2);

    const d3 = cache.deleteNode(NODE);
    assert.deepEqual(d3.types.get(CDS)?.removed, ["a", "c"]);
    assert.equal(cache.getNode(NODE), undefined);
  });
});

describe("xds cache: the names changed since a version", () => {
  it("unions the diffs since it, and says it does not know when diffs are gone or the node lived again", () => {
    const cache = new XdsCache();
    cache.setNode(NODE, snapshot({ [CDS]: { a: "", b: "" }, [LDS]: { l: "" } }));
    const v1 = cache.versionOf(NODE)!;
    assert.deepEqual([...cache.changedSince(NODE, v1, CDS)!], [], "nothing since the current version");
    cache.setNode(NODE, snapshot({ [CDS]: { a: "x", b: "" }, [LDS]: { l: "" } }));
    cache.setNode(NODE, snapshot({ [CDS]: { a: "x", c: "" }, [LDS]: { l: "y" } }));
    assert.deepEqual([...cache.changedSince(NODE, v1, CDS)!].sort(), ["a", "b", "c"]);
    assert.deepEqual([...cache.changedSince(NODE, v1, LDS)!], ["l"]);
    for (let i = 0; i < 40; i++) cache.setNode(NODE, snapshot({ [CDS]: { a: `n${i}` } }));
    assert.equal(cache.changedSince(NODE, v1, CDS), undefined, "the diffs since v1 are no longer kept");
    const now = cache.versionOf(NODE)!;
    cache.deleteNode(NODE);
    assert.equal(cache.changedSince(NODE, now, CDS), undefined, "a deleted node");
    for (let i = 0; i <= now.version; i++) cache.setNode(NODE, snapshot({ [CDS]: { a: `again${i}` } }));
    assert.equal(cache.versionOf(NODE)!.version >= now.version, true);
    assert.equal(cache.changedSince(NODE, now, CDS), undefined, "the same version number of another life");
  });
});

describe("xds cache: a type given the same map as last time", () => {
  it("is not read again (maps given may not change), while a new map is compared in full", () => {
    const cache = new XdsCache();
    const clusters = new Map([["a", resource(CDS, "a")]]);
    cache.setNode(NODE, new Map([[CDS, clusters]]));
    // Changing a map after giving it breaks the contract; it shows which maps the cache reads.
    clusters.set("a", resource(CDS, "a", "changed in place"));
    assert.equal(cache.setNode(NODE, new Map([[CDS, clusters]])).empty, true, "the same map: skipped");
    assert.deepEqual(cache.setNode(NODE, new Map([[CDS, new Map(clusters)]])).types.get(CDS)?.upserted, ["a"]);
  });
});

describe("delta ADS server", function () {
  this.timeout(20000);
  let cache: XdsCache;
  let server: XdsServer;
  let client: AdsClient;
  let logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  let events: XdsEvent[];
  const envoys: FakeEnvoy[] = [];

  async function startServer(opts: { ackTimeoutMs?: number; edsSubscribeWaitMs?: number } = {}): Promise<void> {
    cache = new XdsCache();
    logs = [];
    events = [];
    server = new XdsServer(cache, {
      logger: (level, msg, fields) => logs.push({ level, msg, fields }),
      ackTimeoutMs: opts.ackTimeoutMs ?? 1500,
      edsSubscribeWaitMs: opts.edsSubscribeWaitMs ?? 1500,
    });
    server.events$.subscribe((e) => events.push(e));
    const port = await server.start("127.0.0.1:0");
    client = new AdsClient(`127.0.0.1:${port}`);
  }

  function envoy(nodeId = NODE): FakeEnvoy {
    const e = new FakeEnvoy(client, nodeId);
    envoys.push(e);
    return e;
  }

  /** An Envoy that ACKs everything. */
  function ackingEnvoy(nodeId = NODE): FakeEnvoy {
    const e = envoy(nodeId);
    e.onResponse = (r): void => e.ack(r);
    return e;
  }

  beforeEach(async () => startServer());

  afterEach(async () => {
    for (const e of envoys.splice(0)) e.close();
    client.close();
    await server.stop(500);
  });

  it("serves wildcard CDS and LDS and counts ACKs", async () => {
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "", c2: "" }, [LDS]: { l1: "" } }));
    const e = envoy();
    e.subscribe(CDS);
    const cds = await e.next();
    assert.equal(cds.typeUrl, CDS);
    assert.deepEqual(names(cds), ["c1", "c2"]);
    assert.equal(cds.systemVersionInfo, "1");
    assert.ok(cds.nonce);
    assert.deepEqual(
      cds.resources.map((r) => r.version),
      ["c1", "c2"].map((n) => cache.getNode(NODE)?.resources.get(CDS)?.get(n)?.version),
    );
    e.ack(cds);
    e.subscribe(LDS);
    const lds = await e.next();
    assert.equal(lds.typeUrl, LDS);
    assert.deepEqual(names(lds), ["l1"]);
    assert.notEqual(lds.nonce, cds.nonce);
    e.ack(lds);
    await e.expectNone();

    const s = server.stats();
    assert.equal(s.nodes[NODE].cds.resourcesSent, 2);
    assert.equal(s.nodes[NODE].cds.responsesSent, 1);
    assert.equal(s.nodes[NODE].cds.acks, 1);
    assert.equal(s.nodes[NODE].lds.acks, 1);
    assert.equal(s.types.lds.resourcesSent, 1);
    assert.equal(s.nodeStreams[NODE], 1);
    assert.ok(events.some((ev) => ev.kind === "connect" && ev.nodeId === NODE));
    assert.equal(events.filter((ev) => ev.kind === "ack").length, 2);

    // A new wildcard cluster is pushed; an explicit "*" unsubscribe stops pushes.
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "", c2: "", c3: "" }, [LDS]: { l1: "" } }));
    const upd = await e.next();
    assert.deepEqual(names(upd), ["c3"]);
    e.ack(upd);
    e.unsubscribe(CDS, ["*"]);
    await sleep(50);
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "x", c2: "", c3: "" }, [LDS]: { l1: "" } }));
    await e.expectNone();
  });

  it("answers a wildcard CDS subscription of a node with no clusters at once, with an empty response", async () => {
    // Envoy waits for the first CDS answer (up to 15 s) before it asks for listeners.
    cache.setNode(NODE, snapshot({ [LDS]: { l1: "" } }));
    const e = envoy();
    e.subscribe(CDS);
    const cds = await e.next(1000);
    assert.equal(cds.typeUrl, CDS);
    assert.deepEqual(names(cds), []);
    assert.deepEqual(cds.removedResources, []);
    e.ack(cds);
    e.subscribe(LDS);
    const lds = await e.next();
    assert.deepEqual(names(lds), ["l1"]);
    e.ack(lds);
    // Only the first answer is empty: no further empty responses.
    await e.expectNone();
  });

  it("serves named EDS and RDS subscriptions only", async () => {
    cache.setNode(NODE, snapshot({ [EDS]: { a: "", b: "" }, [RDS]: { r1: "", r2: "" } }));
    const e = envoy();
    e.subscribe(EDS, ["a"]);
    const eds = await e.next();
    assert.deepEqual(names(eds), ["a"]);
    e.ack(eds);
    e.subscribe(RDS, ["r2", "missing"]);
    const rds = await e.next();
    assert.deepEqual(names(rds), ["r2"]);
    e.ack(rds);
    await e.expectNone();

    // Changing an unsubscribed name sends nothing; changing a subscribed one sends just it.
    cache.setNode(NODE, snapshot({ [EDS]: { a: "", b: "x" }, [RDS]: { r1: "", r2: "" } }));
    await e.expectNone();
    cache.setNode(NODE, snapshot({ [EDS]: { a: "y", b: "x" }, [RDS]: { r1: "", r2: "" } }));
    const upd = await e.next();
    assert.equal(upd.typeUrl, EDS);
    assert.deepEqual(names(upd), ["a"]);
    e.ack(upd);

    // Unsubscribing forgets the name: no more updates; subscribing later sends it again.
    e.unsubscribe(EDS, ["a"]);
    await sleep(50);
    cache.setNode(NODE, snapshot({ [EDS]: { a: "z", b: "x" }, [RDS]: { r1: "", r2: "" } }));
    await e.expectNone();
    e.subscribe(EDS, ["a", "b"]);
    const again = await e.next();
    assert.deepEqual(names(again), ["a", "b"]);

    // A subscribed name that appears later is sent when it appears.
    e.ack(again);
    cache.setNode(NODE, snapshot({ [EDS]: { a: "z", b: "x" }, [RDS]: { r1: "", r2: "", missing: "" } }));
    const late = await e.next();
    assert.equal(late.typeUrl, RDS);
    assert.deepEqual(names(late), ["missing"]);
  });

  it("counts NACKs, reports Envoy's message, and does not resend the rejected config", async () => {
    cache.setNode(NODE, snapshot({ [CDS]: { bad: "" } }));
    const e = envoy();
    e.subscribe(CDS);
    const cds = await e.next();
    const nackEvent = firstValueFrom(server.events$.pipe(filter((ev) => ev.kind === "nack")));
    e.nack(cds, "cluster bad: invalid lb policy");
    const ev = await nackEvent;
    assert.equal(ev.nodeId, NODE);
    assert.equal(ev.typeUrl, CDS);
    assert.equal(ev.nonce, cds.nonce);
    assert.equal(ev.error, "cluster bad: invalid lb policy");
    assert.deepEqual(ev.names, ["bad"]);
    const warn = logs.find((l) => l.level === "warn" && l.fields?.error === "cluster bad: invalid lb policy");
    assert.ok(warn, `no warn log with the NACK message: ${JSON.stringify(logs)}`);
    await e.expectNone();
    const s = server.stats();
    assert.equal(s.nodes[NODE].cds.nacks, 1);
    assert.equal(s.nodes[NODE].cds.acks, 0);
    assert.equal(s.nodes[NODE].cds.responsesSent, 1);

    // Same content again: no event, no resend. A fix is sent.
    cache.setNode(NODE, snapshot({ [CDS]: { bad: "" } }));
    await e.expectNone();
    cache.setNode(NODE, snapshot({ [CDS]: { bad: "fixed" } }));
    const fixed = await e.next();
    assert.deepEqual(names(fixed), ["bad"]);
    e.ack(fixed);
    await e.waitFor(() => server.stats().nodes[NODE].cds.acks === 1);
  });

  it("pushes CDS, then EDS once Envoy subscribes, then LDS/RDS", async () => {
    // The order asserted here comes from the fake's subscriptions alone: the fallbacks (an ACK or an EDS subscription
    // that never comes) are set far beyond the test, so a slow machine cannot make one of them fire first.
    await server.stop(200);
    await startServer({ ackTimeoutMs: 15000, edsSubscribeWaitMs: 15000 });
    cache.setNode(NODE, snapshot({ [CDS]: { c0: "" }, [EDS]: { c0: "" }, [LDS]: { l1: "" }, [RDS]: { r1: "" } }));
    const e = envoy();
    // Behaves like Envoy: ACKs everything; subscribes to a cluster's endpoints 300ms after receiving it,
    // and to the route config of a listener right away.
    e.onResponse = (r): void => {
      e.ack(r);
      if (r.typeUrl === CDS && r.resources.length > 0) {
        const clusters = r.resources.map((x) => x.name);
        setTimeout(() => e.subscribe(EDS, clusters), 300);
      }
    };
    e.subscribe(CDS);
    e.subscribe(LDS);
    e.subscribe(RDS, ["r1"]);
    await e.waitFor((all) => all.some((r) => r.typeUrl === RDS));
    assert.deepEqual(
      e.timeline.filter((t) => t.startsWith("recv") || t.startsWith("sub eds")),
      ["recv cds +c0", "sub eds c0", "recv eds +c0", "recv lds +l1", "recv rds +r1"],
    );
    // The fake ACKed that RDS response as it came; the server must have counted the ACK before the stats are reset,
    // or it lands in the next step's count (what a loaded CI machine did once: rds.acks 2 there).
    await e.waitFor(() => server.stats().types.rds.acks === 1);

    // A new cluster + endpoints + route change: CDS before EDS (after the subscription) before RDS.
    server.resetStats();
    e.timeline.length = 0;
    cache.setNode(
      NODE,
      snapshot({ [CDS]: { c0: "", c1: "" }, [EDS]: { c0: "", c1: "" }, [LDS]: { l1: "" }, [RDS]: { r1: "v2" } }),
    );
    await e.waitFor((all) => all.filter((r) => r.typeUrl === RDS).length === 2);
    assert.deepEqual(e.timeline, ["recv cds +c1", "sub eds c1", "recv eds +c1", "recv rds +r1"]);
    await e.waitFor(() => server.stats().types.rds.acks === 1);
    const n = server.stats().nodes[NODE];
    assert.deepEqual(
      [n.cds.resourcesSent, n.eds.resourcesSent, n.lds.resourcesSent, n.rds.resourcesSent],
      [1, 1, 0, 1],
    );

    // Adding one route sends exactly one RDS resource and nothing else.
    server.resetStats();
    e.subscribe(RDS, ["r2"]);
    await sleep(50);
    cache.setNode(
      NODE,
      snapshot({
        [CDS]: { c0: "", c1: "" },
        [EDS]: { c0: "", c1: "" },
        [LDS]: { l1: "" },
        [RDS]: { r1: "v2", r2: "" },
      }),
    );
    await e.waitFor(() => server.stats().types.rds.acks === 1);
    await sleep(100);
    const m = server.stats().nodes[NODE];
    assert.equal(m.rds.resourcesSent, 1);
    assert.equal(m.rds.responsesSent, 1);
    assert.equal(m.cds.resourcesSent + m.lds.resourcesSent + m.eds.resourcesSent, 0);
  });

  it("sends endpoints while Envoy holds the CDS ACK for warming clusters", async () => {
    await server.stop(200);
    await startServer({ ackTimeoutMs: 3000, edsSubscribeWaitMs: 3000 });
    cache.setNode(NODE, snapshot({ [CDS]: { c0: "" }, [EDS]: { c0: "" }, [RDS]: { r1: "" } }));
    const e = envoy();
    // Like Envoy after initialization: a new EDS cluster warms, its CDS ACK is held until its endpoints arrive.
    let held: DeltaDiscoveryResponse | undefined;
    e.onResponse = (r): void => {
      if (r.typeUrl === CDS && r.resources.length > 0) {
        held = r;
        e.subscribe(
          EDS,
          r.resources.map((x) => x.name),
        );
        return;
      }
      e.ack(r);
      if (r.typeUrl === EDS && held) {
        e.ack(held);
        held = undefined;
      }
    };
    e.subscribe(CDS);
    e.subscribe(RDS, ["r1"]);
    const t0 = Date.now();
    await e.waitFor((all) => all.some((r) => r.typeUrl === RDS));
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms: the server waited for the held CDS ACK`);
    assert.deepEqual(
      e.timeline.filter((t) => t.startsWith("recv")),
      ["recv cds +c0", "recv eds +c0", "recv rds +r1"],
    );
    await e.waitFor(() => server.stats().types.cds.acks === 1 && server.stats().types.rds.acks === 1);
  });

  it("continues after edsSubscribeWaitMs when Envoy never subscribes", async () => {
    await server.stop(200);
    await startServer({ edsSubscribeWaitMs: 300 });
    cache.setNode(NODE, snapshot({ [CDS]: { c0: "" }, [EDS]: { c0: "" }, [RDS]: { r1: "" } }));
    const e = ackingEnvoy();
    e.subscribe(CDS);
    e.subscribe(RDS, ["r1"]);
    const t0 = Date.now();
    await e.waitFor((all) => all.some((r) => r.typeUrl === RDS));
    assert.ok(Date.now() - t0 >= 250, "RDS should wait for the EDS subscription window");
    assert.deepEqual(
      e.timeline.filter((t) => t.startsWith("recv")),
      ["recv cds +c0", "recv rds +r1"],
    );
  });

  it("removes routes and listeners before endpoints and clusters", async () => {
    cache.setNode(
      NODE,
      snapshot({ [CDS]: { c0: "", c1: "" }, [EDS]: { c0: "", c1: "" }, [LDS]: { l0: "", l1: "" }, [RDS]: { r1: "" } }),
    );
    const e = ackingEnvoy();
    e.subscribe(CDS);
    e.subscribe(EDS, ["c0", "c1"]);
    e.subscribe(LDS);
    e.subscribe(RDS, ["r1"]);
    await e.waitFor((all) => all.some((r) => r.typeUrl === RDS));
    await e.waitFor(() => server.stats().types.rds.acks === 1);
    e.timeline.length = 0;

    // Route r1 stops using c1 (update), listener l1 and cluster c1 (with its endpoints) go away.
    cache.setNode(NODE, snapshot({ [CDS]: { c0: "" }, [EDS]: { c0: "" }, [LDS]: { l0: "" }, [RDS]: { r1: "v2" } }));
    await e.waitFor((all) => all.filter((r) => r.typeUrl === CDS).length === 2);
    assert.deepEqual(e.timeline, ["recv rds +r1", "recv lds -l1", "recv eds -c1", "recv cds -c1"]);

    // Removing the route too: RDS removal before the cluster removal.
    e.timeline.length = 0;
    cache.setNode(NODE, snapshot({ [LDS]: { l0: "" } }));
    await e.waitFor((all) => all.filter((r) => r.typeUrl === CDS).length === 3);
    assert.deepEqual(e.timeline, ["recv rds -r1", "recv eds -c0", "recv cds -c0"]);
    assert.equal(server.stats().nodes[NODE].cds.removalsSent, 2);
  });

  it("uses initial_resource_versions on reconnect", async () => {
    cache.setNode(NODE, snapshot({ [CDS]: { keep: "", stale: "", gone: "" }, [EDS]: { keep: "", gone: "" } }));
    const first = ackingEnvoy();
    first.subscribe(CDS);
    first.subscribe(EDS, ["keep", "gone"]);
    await first.waitFor(() => server.stats().types.eds.acks === 1 && server.stats().types.cds.acks === 1);
    const cdsHave = first.versions(CDS);
    const edsHave = first.versions(EDS);
    assert.deepEqual(Object.keys(cdsHave).sort(), ["gone", "keep", "stale"]);
    first.close();
    await first.waitFor(() => server.stats().streams === 0);

    cache.setNode(NODE, snapshot({ [CDS]: { keep: "", stale: "v2", added: "" }, [EDS]: { keep: "" } }));
    server.resetStats();
    const second = ackingEnvoy();
    second.subscribe(CDS, [], cdsHave);
    second.subscribe(EDS, ["keep", "gone"], edsHave);
    await second.waitFor(
      () => server.stats().types.cds.removalsSent === 1 && server.stats().types.eds.removalsSent === 1,
    );
    await sleep(200); // nothing else may follow
    const got = second.timeline.filter((t) => t.startsWith("recv"));
    assert.deepEqual(got, ["recv cds +stale +added", "recv eds -gone", "recv cds -gone"]);
    const s = server.stats().nodes[NODE];
    assert.equal(s.cds.resourcesSent, 2);
    assert.equal(s.eds.resourcesSent, 0);
  });

  it("sends only what changed (1 of 1000)", async () => {
    const clusters: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) clusters[`cluster-${i}`] = "";
    cache.setNode(NODE, snapshot({ [CDS]: clusters }));
    const e = envoy();
    e.subscribe(CDS);
    const all = await e.next();
    assert.equal(all.resources.length, 1000);
    e.ack(all);
    await e.waitFor(() => server.stats().types.cds.acks === 1);
    server.resetStats();

    const diff = cache.setNode(NODE, snapshot({ [CDS]: { ...clusters, "cluster-500": "changed" } }));
    assert.deepEqual(diff.types.get(CDS), { upserted: ["cluster-500"], removed: [] });
    const one = await e.next();
    assert.deepEqual(names(one), ["cluster-500"]);
    assert.equal(one.systemVersionInfo, "2");
    e.ack(one);
    await e.expectNone();
    assert.equal(server.stats().nodes[NODE].cds.resourcesSent, 1);
    assert.equal(server.stats().nodes[NODE].cds.responsesSent, 1);
  });

  it("after a sync leaves a client in order, looks only at what the cache changed, and the client still follows every change", async () => {
    const clusters: Record<string, string> = {};
    for (let i = 0; i < 300; i++) clusters[`c${i}`] = "";
    cache.setNode(NODE, snapshot({ [CDS]: clusters }));
    const e = ackingEnvoy();
    e.subscribe(CDS);
    await e.waitFor(() => e.received.length === 1);
    const stream = server.streamsOf(NODE)[0];
    await stream.idle();
    assert.deepEqual(stream.typeState(CDS)?.reconciled, cache.versionOf(NODE), "reconciled at the node's version");
    let seed = 3;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let current = { ...clusters };
    for (let step = 1; step <= 60; step++) {
      const next = { ...current };
      for (let k = rnd(4); k >= 0; k--) {
        const name = `c${rnd(340)}`;
        if (rnd(3) === 0) delete next[name];
        else next[name] = `v${step}`;
      }
      // Now and then the client changes its subscription (a full look at every resource follows) or the cache
      // moves on by more versions than it keeps diffs of while the stream is not looking.
      if (step % 20 === 7) e.unsubscribe(CDS, ["c5"]);
      if (step % 20 === 8) e.subscribe(CDS, ["*"]);
      cache.setNode(NODE, snapshot({ [CDS]: next }));
      if (step === 30)
        for (let v = 0; v < 40; v++) cache.setNode(NODE, snapshot({ [CDS]: { ...next, c0: `burst${v}` } }));
      if (step === 30) cache.setNode(NODE, snapshot({ [CDS]: next }));
      current = next;
      const want = Object.fromEntries(
        [...(cache.getNode(NODE)?.resources.get(CDS) ?? new Map())].map(([n, r]) => [n, r.version]),
      );
      await e.waitFor(() => isDeepStrictEqual(e.versions(CDS), want), 5000).catch(() => undefined);
      assert.deepEqual(e.versions(CDS), want, `step ${step}: the client holds what the cache has`);
    }
    await stream.idle();
    assert.deepEqual(stream.typeState(CDS)?.reconciled, cache.versionOf(NODE), "reconciled again at the end");
  });

  it("serves several streams per node and survives cancelled streams", async () => {
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "" } }));
    const a = ackingEnvoy();
    const b = ackingEnvoy();
    const other = ackingEnvoy("other-node");
    a.subscribe(CDS);
    b.subscribe(CDS);
    other.subscribe(CDS);
    await a.waitFor((r) => r.length === 1);
    await b.waitFor((r) => r.length === 1);
    await other.expectNone(100);
    assert.equal(server.stats().nodeStreams[NODE], 2);

    a.close();
    await b.waitFor(() => server.stats().nodeStreams[NODE] === 1);
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "", c2: "" } }));
    await b.waitFor((r) => r.length === 2);
    assert.deepEqual(names(b.received[1]), ["c2"]);
    assert.ok(events.some((ev) => ev.kind === "disconnect" && ev.nodeId === NODE));

    // A stream cancelled while the server waits for its ACK does not break anything.
    const c = envoy();
    c.subscribe(CDS);
    await c.next();
    c.close();
    await b.waitFor(() => server.stats().nodeStreams[NODE] === 1);
    cache.setNode(NODE, snapshot({ [CDS]: { c1: "", c2: "", c3: "" } }));
    await b.waitFor((r) => r.length === 3);
  });

  it("rejects a stream without node id and answers SotW with UNIMPLEMENTED", async () => {
    const call = client.deltaAggregatedResources();
    const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    call.on("error", () => undefined);
    call.write(DeltaDiscoveryRequest.fromPartial({ typeUrl: CDS }));
    assert.equal((await status).code, grpc.status.INVALID_ARGUMENT);

    const sotw = client.streamAggregatedResources();
    const sotwStatus = new Promise<grpc.StatusObject>((resolve) => sotw.on("status", resolve));
    sotw.on("error", () => undefined);
    sotw.write(DiscoveryRequest.fromPartial({ typeUrl: CDS, node: { id: NODE } }));
    assert.equal((await sotwStatus).code, grpc.status.UNIMPLEMENTED);
    assert.equal(server.stats().streams, 0);
  });
});
