/**
 * The order of the stages between building a node's resources and publishing them (pipeline/translate-step.ts),
 * as Envoy Gateway's xDS translator: the extension server's resource hooks, then the EnvoyPatchPolicies, then
 * PostTranslateModify. A patch replaces the connect timeout the test server's Cluster hook sets (7 s) on the
 * extension backend's cluster: the published cluster has the patch's value (patched after the Cluster hook), and
 * PostTranslateModify receives it patched (called after the patch). Real gRPC client and test extension server.
 */
import assert from "node:assert/strict";
import { firstValueFrom } from "rxjs";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { ExtensionManagerConfig } from "../../operator/src/config/envoy-gateway-extension";
import { ExtensionClient } from "../../operator/src/extension/client";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { ExtensionHookStage } from "../../operator/src/pipeline/extension-hooks";
import { translateAndPublish, type PassResult } from "../../operator/src/pipeline/translate-step";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { TypeUrl } from "../../operator/src/xds/types";
import { readCase } from "../support/golden";
import { startExtensionServer, type TestExtensionServer } from "../support/extension-server";

const CASE = "testdata/translate/extension-server";
const EXT_CLUSTER = "extension/default/echoport/echo-ext";

/** An EnvoyPatchPolicy on the case's Gateway setting the extension cluster's connect timeout to 3 s. */
const PATCH: KubeObject = {
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "EnvoyPatchPolicy",
  metadata: { name: "timeout", namespace: "default" },
  spec: {
    targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" },
    type: "JSONPatch",
    jsonPatches: [
      {
        type: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        name: EXT_CLUSTER,
        operation: { op: "replace", path: "/connect_timeout", value: "3s" },
      },
    ],
  },
};

describe("extension hooks and EnvoyPatchPolicy: Envoy Gateway's order", () => {
  let ext: TestExtensionServer;
  let client: ExtensionClient | undefined;
  let stage: ExtensionHookStage | undefined;
  beforeEach(async () => (ext = await startExtensionServer()));
  afterEach(async () => {
    stage?.close();
    client?.close();
    await ext.close();
  });

  it("resource hooks, then patches, then PostTranslateModify", async () => {
    const config = loadEnvoyGatewayConfig(`${CASE}.envoy-gateway.yaml`);
    const m = config.extensionManagers?.[0];
    assert.ok(m);
    const manager: ExtensionManagerConfig = {
      ...m,
      hooks: ["Cluster", "Translation"],
      service: { ...m.service, address: { type: "tcp", host: "127.0.0.1", port: ext.port } },
    };
    client = new ExtensionClient({ config: manager, timeoutMs: 2000 });
    stage = new ExtensionHookStage({ servers: [{ config: manager, caller: client }], logger: () => undefined });
    const snapshot = snapshotFromObjects([...readCase(`${CASE}.in.yaml`), PATCH]);
    const opts = {
      backends: config.backends,
      extensionApis: { ...config.extensionApis, enableEnvoyPatchPolicy: true },
      extensionKinds: { filters: manager.resources, backends: manager.backendResources },
    };
    const cache = new XdsCache();
    let pass: PassResult = translateAndPublish(snapshot, cache, opts, undefined, { hooks: stage });
    for (let i = 0; i < 5 && pass.held.length > 0; i++) {
      await firstValueFrom(stage.changes$);
      pass = translateAndPublish(snapshot, cache, opts, undefined, { hooks: stage });
    }
    assert.deepEqual(pass.held, []);
    const node = pass.result.xdsIr[0].name;
    const published = cache.getNode(node)?.resources.get(TypeUrl.Cluster);
    const cached = published?.get(EXT_CLUSTER);
    assert.ok(cached, `${EXT_CLUSTER} published`);
    const cluster = Cluster.decode(cached.value.value);
    // The Cluster hook made it STATIC with a 7 s timeout; the patch's 3 s came after.
    assert.ok(cluster.loadAssignment, "the Cluster hook's STATIC endpoints");
    assert.equal(Number(cluster.connectTimeout?.seconds), 3);
    assert.ok(published?.has("extension-added"), "PostTranslateModify's cluster");
    const translation = ext.calls.filter((c) => c.method === "PostTranslateModify");
    const seen = (translation.at(-1)?.request as { clusters: Cluster[] }).clusters.find((c) => c.name === EXT_CLUSTER);
    assert.equal(Number(seen?.connectTimeout?.seconds), 3, "PostTranslateModify sees the patched cluster");
    const policy = pass.result.statuses.find((s) => s.kind === "EnvoyPatchPolicy");
    assert.match(JSON.stringify(policy?.status), /"type":"Programmed","status":"True"/);
  });
});
