/**
 * The rate limit xDS server (state-of-the-world ADS) against a client in the test that speaks as
 * envoyproxy/ratelimit's client does (go-control-plane's sotw ADSClient: a first request with the node and
 * type, then after each response an ACK with its nonce and version, or a NACK with error_detail and the version
 * still running). The real service is test/standalone/ratelimit-service.test.ts.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { RateLimitXdsServer } from "../../operator/src/xds/ratelimit/server";
import { RateLimitConfigType, type RateLimitConfig } from "../../operator/src/xds/ratelimit/rls-conf";
import type { RateLimitXdsEvent } from "../../operator/src/xds/ratelimit/sotw-stream";
import { AdsClient } from "../../operator/src/xds/server";
import { unpack } from "../../proto/any";
import {
  DeltaDiscoveryRequest,
  DiscoveryRequest,
  type DiscoveryResponse,
} from "../../proto/gen/envoy/service/discovery/v3/discovery";

const TYPE = RateLimitConfigType.typeUrl;
const config = (domain: string): RateLimitConfig => ({ name: domain, domain, descriptors: [] });

/** A SotW stream with a queue of responses. */
class Stream {
  readonly call: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  private readonly queue: DiscoveryResponse[] = [];
  private waiter: ((r: DiscoveryResponse) => void) | undefined;
  error: grpc.ServiceError | undefined;

  constructor(client: AdsClient) {
    this.call = client.streamAggregatedResources();
    this.call.on("data", (r: DiscoveryResponse) => {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(r);
      else this.queue.push(r);
    });
    this.call.on("error", (e: grpc.ServiceError) => (this.error = e));
  }

  send(partial: Parameters<typeof DiscoveryRequest.fromPartial>[0]): void {
    this.call.write(DiscoveryRequest.fromPartial({ typeUrl: TYPE, ...partial }));
  }

  /** The next response, or undefined after `ms`. */
  next(ms = 2000): Promise<DiscoveryResponse | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, ms);
      this.waiter = (r): void => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  async nextOrFail(): Promise<DiscoveryResponse> {
    const r = await this.next();
    if (!r) throw new Error("no response within 2 s");
    return r;
  }
}

describe("rate limit xDS server (SotW ADS)", function () {
  this.timeout(15_000);
  let server: RateLimitXdsServer;
  let client: AdsClient;
  let events: RateLimitXdsEvent[];
  const streams: Stream[] = [];

  const open = (nodeId = "envoy-ratelimit"): Stream => {
    const s = new Stream(client);
    streams.push(s);
    s.send({ node: { id: nodeId } });
    return s;
  };
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(check());
  };

  beforeEach(async () => {
    server = new RateLimitXdsServer({ logger: () => undefined });
    events = [];
    server.events$.subscribe((e) => events.push(e));
    const port = await server.start("127.0.0.1:0");
    client = new AdsClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    for (const s of streams.splice(0)) s.call.cancel();
    client.close();
    await server.stop();
  });

  it("sends the whole set to a new stream, and each change as a new version; an unchanged set is not sent", async () => {
    const v1 = server.update([config("a"), config("b")]);
    const s = open();
    const r1 = await s.nextOrFail();
    assert.equal(r1.typeUrl, TYPE);
    assert.equal(r1.versionInfo, v1);
    assert.deepEqual(
      r1.resources.map((a) => unpack(RateLimitConfigType, a).domain),
      ["a", "b"],
    );
    s.send({ versionInfo: v1, responseNonce: r1.nonce });
    await until(() => server.clients()[0]?.ackedVersion === v1);
    assert.equal(server.update([config("a"), config("b")]), v1, "same set, same version");
    assert.equal(await s.next(200), undefined, "nothing pushed for an unchanged set");
    const v2 = server.update([config("a")]);
    assert.notEqual(v2, v1);
    const r2 = await s.nextOrFail();
    assert.equal(r2.versionInfo, v2);
    assert.equal(r2.resources.length, 1);
    assert.notEqual(r2.nonce, r1.nonce);
    s.send({ versionInfo: v2, responseNonce: r2.nonce });
    await until(() => server.clients()[0]?.ackedVersion === v2);
    assert.deepEqual(
      events.map((e) => [e.kind, e.version]),
      [
        ["connect", undefined],
        ["sent", v1],
        ["ack", v1],
        ["sent", v2],
        ["ack", v2],
      ],
    );
  });

  it("a stream that subscribes before any configuration gets the first one when it is set", async () => {
    const s = open();
    assert.equal(await s.next(200), undefined);
    const v1 = server.update([config("a")]);
    assert.equal((await s.nextOrFail()).versionInfo, v1);
  });

  it("a NACK is reported and keeps the stream's acknowledged version; new streams get the last good version", async () => {
    const v1 = server.update([config("a")]);
    const s = open();
    const r1 = await s.nextOrFail();
    s.send({ versionInfo: v1, responseNonce: r1.nonce });
    await until(() => server.clients()[0]?.ackedVersion === v1);
    const v2 = server.update([config("a"), config("a")]);
    const r2 = await s.nextOrFail();
    s.send({
      versionInfo: v1,
      responseNonce: r2.nonce,
      errorDetail: { code: 0, message: "duplicate domain 'a'", details: [] },
    });
    await until(() => events.some((e) => e.kind === "nack"));
    assert.deepEqual(
      events.filter((e) => e.kind === "nack").map((e) => [e.version, e.error]),
      [[v2, "duplicate domain 'a'"]],
    );
    assert.equal(server.clients()[0]?.ackedVersion, v1);
    const late = open("late");
    const r = await late.nextOrFail();
    assert.equal(r.versionInfo, v1, "the last good version, not the rejected one");
    // A fixed set is sent to everyone.
    const v3 = server.update([config("b")]);
    assert.equal((await s.nextOrFail()).versionInfo, v3);
    assert.equal((await late.nextOrFail()).versionInfo, v3);
  });

  it("ignores answers to an older response (stale nonce)", async () => {
    const v1 = server.update([config("a")]);
    const s = open();
    const r1 = await s.nextOrFail();
    const v2 = server.update([config("b")]);
    const r2 = await s.nextOrFail();
    s.send({ versionInfo: v1, responseNonce: r1.nonce });
    s.send({ versionInfo: v2, responseNonce: r2.nonce });
    await until(() => server.clients()[0]?.ackedVersion === v2);
    assert.deepEqual(
      events.filter((e) => e.kind === "ack").map((e) => e.version),
      [v2],
    );
  });

  it("refuses a stream without a node id, and delta ADS", async () => {
    const s = new Stream(client);
    streams.push(s);
    s.send({});
    await until(() => s.error !== undefined);
    assert.equal(s.error?.code, grpc.status.INVALID_ARGUMENT);
    const delta = client.deltaAggregatedResources();
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      delta.on("error", resolve);
      delta.on("data", () => undefined);
      delta.write(DeltaDiscoveryRequest.fromPartial({ typeUrl: TYPE, node: { id: "x" } }));
    });
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
  });
});
