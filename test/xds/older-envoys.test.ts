/**
 * The xDS server's record of Envoys older than 1.38 (older-envoys.ts, ADR 0032) with grpc-js clients that announce an
 * Envoy release, as Envoy does in `node.user_agent_build_version`. The clients are fakes: a pass slower than an
 * Envoy's first requests, which the hold is for, cannot be caused on demand with a real Envoy (on the wire:
 * test/standalone/route-layout-older-envoy.test.ts).
 */
import * as assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { pack } from "../../proto/any";
import type { Node } from "../../proto/gen/envoy/config/core/v3/base";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { ScopedRouteConfiguration } from "../../proto/gen/envoy/config/route/v3/scoped_route";
import {
  DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from "../../proto/gen/envoy/service/discovery/v3/discovery";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { AdsClient, XdsServer } from "../../operator/src/xds/server";
import {
  envoyBuildOf,
  startsScopedRoutesOnlyAtStartup,
  type EnvoyBuild,
} from "../../operator/src/xds/server/older-envoys";
import { ClusterType, ScopedRouteType, TypeUrl } from "../../operator/src/xds/types";
import { eventually } from "../support/http";

const SCOPED = "default/scoped";
const INLINE = "default/inline";

/** A node's resources: one cluster, and one scope when `scoped`. */
function resources(scoped: boolean): Map<string, Map<string, ReturnType<typeof pack>>> {
  return new Map([
    [TypeUrl.Cluster, new Map([["c0", pack(ClusterType, Cluster.fromPartial({ name: "c0" }))]])],
    [
      TypeUrl.ScopedRoute,
      new Map(
        scoped
          ? [["a.example.com", pack(ScopedRouteType, ScopedRouteConfiguration.fromPartial({ name: "a.example.com" }))]]
          : [],
      ),
    ],
  ]);
}

/** A client that announces Envoy `build`, subscribes to clusters and records when responses came. */
class Client {
  readonly call: grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  readonly received: { at: number; typeUrl: string }[] = [];

  constructor(client: AdsClient, node: string, build: EnvoyBuild) {
    this.call = client.deltaAggregatedResources();
    this.call.on("data", (r: DeltaDiscoveryResponse) => this.received.push({ at: Date.now(), typeUrl: r.typeUrl }));
    this.call.on("error", () => undefined);
    this.call.write(
      DeltaDiscoveryRequest.fromPartial({
        node: {
          id: node,
          userAgentName: "envoy",
          userAgentBuildVersion: {
            version: { majorNumber: build.major, minorNumber: build.minor, patch: build.patch },
          },
        },
        typeUrl: TypeUrl.Cluster,
      }),
    );
  }

  close(): void {
    this.call.cancel();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** {@link eventually} of a synchronous condition, every 10 ms. */
const until = (cond: () => boolean, ms: number, what: string): Promise<number> =>
  eventually(async () => cond(), ms, what, 10);

const V137: EnvoyBuild = { major: 1, minor: 37, patch: 0 };
const V140: EnvoyBuild = { major: 1, minor: 40, patch: 0 };

describe("older Envoys on the xDS server (a fake Envoy client announcing its release)", function () {
  this.timeout(20_000);
  let cache: XdsCache;
  let server: XdsServer;
  let ads: AdsClient;
  let changes: string[];
  const clients: Client[] = [];

  beforeEach(async function () {
    cache = new XdsCache();
    cache.setNode(SCOPED, resources(true));
    cache.setNode(INLINE, resources(false));
    server = new XdsServer(cache, { logger: () => undefined, ackTimeoutMs: 1500 });
    changes = [];
    server.olderEnvoys.changes$.subscribe((n) => changes.push(n));
    ads = new AdsClient(`127.0.0.1:${await server.start("127.0.0.1:0")}`);
  });

  afterEach(async function () {
    for (const c of clients.splice(0)) c.close();
    ads.close();
    await server.stop(0);
    cache.close();
  });

  function connect(node: string, build: EnvoyBuild): Client {
    const c = new Client(ads, node, build);
    clients.push(c);
    return c;
  }

  it("reads the release an Envoy node announces, and tells which start scoped routes only at startup", function () {
    const node = (userAgentName: string, patch: number): Node =>
      ({
        id: "n",
        userAgentName,
        userAgentBuildVersion: { version: { majorNumber: 1, minorNumber: 37, patch } },
      }) as Node;
    assert.deepEqual(envoyBuildOf(node("envoy", 2)), { major: 1, minor: 37, patch: 2 });
    assert.equal(envoyBuildOf(node("grpc-go", 0)), undefined, "another client");
    assert.equal(envoyBuildOf({ id: "n", userAgentName: "envoy" } as never), undefined);
    assert.equal(startsScopedRoutesOnlyAtStartup({ major: 1, minor: 37, patch: 9 }), true);
    assert.equal(startsScopedRoutesOnlyAtStartup({ major: 1, minor: 38, patch: 0 }), false);
    assert.equal(startsScopedRoutesOnlyAtStartup({ major: 2, minor: 0, patch: 0 }), false);
    assert.equal(startsScopedRoutesOnlyAtStartup({ major: 0, minor: 99, patch: 0 }), true);
  });

  it("holds a 1.37.0 client of a scoped node until the node is published again, and asks for that", async function () {
    const c = connect(SCOPED, V137);
    await until(() => changes.length === 1, 3000, "the node's change");
    assert.deepEqual(changes, [SCOPED]);
    assert.equal(server.olderEnvoys.has(SCOPED), true);
    await sleep(300);
    assert.equal(c.received.length, 0, "nothing sent before the node is published");
    const published = Date.now();
    server.olderEnvoys.published(SCOPED);
    await until(() => c.received.length > 0, 3000, "the clusters");
    assert.ok(c.received[0]!.at >= published);
    assert.equal(c.received[0]!.typeUrl, TypeUrl.Cluster);
  });

  it("serves a 1.40.0 client at once, and a 1.37.0 client of a node that is not scoped", async function () {
    const modern = connect(SCOPED, V140);
    await until(() => modern.received.length > 0, 3000, "the 1.40.0 client's clusters");
    assert.equal(server.olderEnvoys.has(SCOPED), false);
    const older = connect(INLINE, V137);
    await until(() => older.received.length > 0, 3000, "the 1.37.0 client's clusters");
    assert.equal(server.olderEnvoys.has(INLINE), true, "recorded, so the node is laid out inline from now on");
    assert.deepEqual(changes, [INLINE]);
  });

  it("lets a held client go after the ACK timeout when its node is never published", async function () {
    const started = Date.now();
    const c = connect(SCOPED, V137);
    await until(() => c.received.length > 0, 5000, "the clusters");
    const waited = c.received[0]!.at - started;
    assert.ok(waited >= 1400 && waited < 4000, `held ${waited} ms (the ACK timeout is 1500)`);
  });

  it("reports the node again only when its last older Envoy leaves", async function () {
    const a = connect(INLINE, V137);
    const b = connect(INLINE, V137);
    await until(() => a.received.length > 0 && b.received.length > 0, 3000, "both served");
    assert.deepEqual([...server.olderEnvoys.entries()], [[INLINE, ["1.37.0", "1.37.0"]]]);
    a.close();
    await until(() => server.olderEnvoys.entries().get(INLINE)?.length === 1, 3000, "one stream left");
    assert.deepEqual(changes, [INLINE]);
    b.close();
    await until(() => changes.length === 2, 3000, "the node's change");
    assert.deepEqual(changes, [INLINE, INLINE]);
    assert.equal(server.olderEnvoys.has(INLINE), false);
  });
});
