/**
 * EnvoyGateway `xdsServer.maxConnectionAge` / `maxConnectionAgeGrace` on the delta ADS server (grpc-js
 * max_connection_age): a stream still open when its connection reaches the age plus the grace is ended by the
 * server (an error status on the stream), so the proxy reconnects (in Kubernetes, maybe to another replica); without the
 * settings a stream stays open.
 */
import * as assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { DeltaDiscoveryRequest } from "../../proto/gen/envoy/service/discovery/v3/discovery";
import { xdsServerSettings } from "../../operator/src/config/envoy-gateway-admin";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { AdsClient, XdsServer } from "../../operator/src/xds/server";
import { TypeUrl } from "../../operator/src/xds/types";

const quiet = (): void => undefined;

/** Opens a stream for node `default/eg`; resolves the ms until it ended and its code, or undefined after `waitMs`. */
function streamEnd(client: AdsClient, waitMs: number): Promise<{ ms: number; code: number } | undefined> {
  const call = client.deltaAggregatedResources();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      call.cancel();
      resolve(undefined);
    }, waitMs);
    call.on("error", (e: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - t0, code: e.code });
    });
    call.on("data", () => undefined);
    call.write(DeltaDiscoveryRequest.fromPartial({ node: { id: "default/eg" }, typeUrl: TypeUrl.Cluster }));
  });
}

async function withServer<T>(
  opts: ConstructorParameters<typeof XdsServer>[1],
  f: (c: AdsClient) => Promise<T>,
): Promise<T> {
  const server = new XdsServer(new XdsCache(), { logger: quiet, ...opts });
  const client = new AdsClient(`127.0.0.1:${await server.start("127.0.0.1:0")}`);
  try {
    return await f(client);
  } finally {
    client.close();
    await server.stop(100);
  }
}

describe("xDS server connection age (EnvoyGateway xdsServer)", function () {
  this.timeout(20_000);

  it("ends a stream after maxConnectionAge + maxConnectionAgeGrace", async () => {
    const ended = await withServer({ maxConnectionAgeMs: 500, maxConnectionAgeGraceMs: 500 }, (c) =>
      streamEnd(c, 8000),
    );
    assert.ok(ended, "the stream was ended by the server");
    assert.ok(ended.ms >= 900 && ended.ms < 6000, `ended after ${ended.ms} ms`);
  });

  it("keeps a stream open without the settings", async () => {
    assert.equal(await withServer({}, (c) => streamEnd(c, 2500)), undefined);
  });

  it("defaults as Envoy Gateway: a connection age from 10 h to 12 h, 2 m grace, 32Mi messages", () => {
    const s = xdsServerSettings(undefined);
    assert.ok(s.maxConnectionAgeMs >= 36_000_000 && s.maxConnectionAgeMs < 43_200_000);
    assert.equal(s.maxConnectionAgeGraceMs, 120_000);
    assert.equal(s.maxReceiveMessageBytes, 32 * 1024 * 1024);
  });
});
