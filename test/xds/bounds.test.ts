/**
 * The delta ADS server bounds what one stream may make it hold (names per type, types, request size) and
 * keeps nothing of a stream once it is gone: a grpc-js client on loopback.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { pack } from "../../proto/any";
import { Cluster, Cluster_DiscoveryType } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { DeltaDiscoveryRequest } from "../../proto/gen/envoy/service/discovery/v3/discovery";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { AdsClient, XdsServer } from "../../operator/src/xds/server";
import { ClusterType, TypeUrl } from "../../operator/src/xds/types";

const NODE = "default/eg";
const quiet = (): void => undefined;

/** A request of `typeUrl` subscribing `names` (the first one of a stream carries the node id). */
function request(typeUrl: string, names: string[], nodeId?: string): DeltaDiscoveryRequest {
  return DeltaDiscoveryRequest.fromPartial({
    ...(nodeId ? { node: { id: nodeId } } : {}),
    typeUrl,
    resourceNamesSubscribe: names,
  });
}

/** Opens a stream, sends `reqs`, resolves the status it ends with (OK when the server answered instead). */
function streamOutcome(client: AdsClient, reqs: DeltaDiscoveryRequest[], waitMs = 3000): Promise<grpc.status> {
  const call = client.deltaAggregatedResources();
  return new Promise((resolve) => {
    const done = (code: grpc.status): void => {
      clearTimeout(timer);
      call.cancel();
      resolve(code);
    };
    const timer = setTimeout(() => done(grpc.status.OK), waitMs);
    call.on("error", (e: grpc.ServiceError) => done(e.code));
    call.on("data", () => undefined);
    for (const r of reqs) call.write(r);
  });
}

describe("xDS server bounds per-stream state", function () {
  const cache = new XdsCache();
  const server = new XdsServer(cache, {
    logger: quiet,
    maxNamesPerType: 50,
    maxTypesPerStream: 8,
    maxRequestBytes: 64 * 1024,
  });
  let client: AdsClient;

  before(async () => {
    const cluster = pack(ClusterType, Cluster.fromPartial({ name: "c1", type: Cluster_DiscoveryType.STATIC }));
    cache.setNode(NODE, new Map([[TypeUrl.Cluster, new Map([["c1", cluster]])]]));
    const port = await server.start("127.0.0.1:0");
    client = new AdsClient(`127.0.0.1:${port}`);
  });
  after(async () => {
    client.close();
    await server.stop(100);
  });

  it("ends a stream subscribing more names of one type than the cap with RESOURCE_EXHAUSTED", async () => {
    const names = Array.from({ length: 51 }, (_, i) => `cluster-${i}`);
    assert.equal(await streamOutcome(client, [request(TypeUrl.Endpoint, names, NODE)]), grpc.status.RESOURCE_EXHAUSTED);
    // In several requests too: the cap is on what the stream holds, not on one message.
    const split = [request(TypeUrl.Endpoint, names.slice(0, 30), NODE), request(TypeUrl.Endpoint, names.slice(30))];
    assert.equal(await streamOutcome(client, split), grpc.status.RESOURCE_EXHAUSTED);
    // Exactly the cap is fine.
    assert.equal(
      await streamOutcome(client, [request(TypeUrl.Endpoint, names.slice(0, 50), NODE)], 300),
      grpc.status.OK,
    );
  });

  it("ends a stream subscribing more resource types than the cap", async () => {
    const reqs = Array.from({ length: 9 }, (_, i) =>
      request(`type.googleapis.com/x.T${i}`, [], i === 0 ? NODE : undefined),
    );
    assert.equal(await streamOutcome(client, reqs), grpc.status.RESOURCE_EXHAUSTED);
  });

  it("refuses a request message larger than the limit", async () => {
    const big = [`${"n".repeat(70 * 1024)}`];
    assert.equal(await streamOutcome(client, [request(TypeUrl.Endpoint, big, NODE)]), grpc.status.RESOURCE_EXHAUSTED);
  });

  it("keeps nothing of 200 streams once they disconnected", async () => {
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 100 && server.stateSizes().streams > 0; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await settle();
    const baseline = server.stateSizes();
    assert.equal(baseline.streams, 0);
    for (let i = 0; i < 200; i++) {
      // Half of them as the real node (answered), half under made-up node ids, with subscriptions.
      const node = i % 2 === 0 ? NODE : `ghost/${i}`;
      const names = Array.from({ length: 20 }, (_, j) => `n${i}-${j}`);
      await streamOutcome(client, [request(TypeUrl.Cluster, [], node), request(TypeUrl.Endpoint, names)], 5);
    }
    await settle();
    assert.deepEqual(server.stateSizes(), baseline);
  });
});
