/**
 * The EDS-only path for endpoint changes, end to end with real Envoy: an EndpointSlice whose address moves to
 * another backend changes only the ClusterLoadAssignment in the cache, so the server sends Envoy that one
 * resource and nothing else (no Cluster, Listener or RouteConfiguration), and Envoy serves the new endpoint.
 */
import * as assert from "node:assert/strict";
import type { Subscription } from "rxjs";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { CacheChange } from "../../operator/src/xds/cache/snapshot-cache";
import type { XdsEvent } from "../../operator/src/xds/server/types";
import { TypeUrl } from "../../operator/src/xds/types";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, serviceRouteYaml, serviceYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** The backend that answered (the echo backend's `backend` field), or undefined. */
async function servedBy(port: number, host: string): Promise<string | undefined> {
  const r = await httpGet(port, host);
  if (r.status !== 200) return undefined;
  return (JSON.parse(r.body) as { backend?: string }).backend;
}

describe("EDS-only path for endpoint changes (real Envoy)", function () {
  this.timeout(60_000);
  let tg: TestGateway | undefined;
  const echoes: EchoBackend[] = [];
  const subs: Subscription[] = [];

  after(async () => {
    for (const s of subs) s.unsubscribe();
    await tg?.close();
    for (const e of echoes) await e.close();
  });

  it("an EndpointSlice change sends only ClusterLoadAssignments, and Envoy serves the new endpoint", async () => {
    const one = await startEchoBackend({ name: "one" });
    const two = await startEchoBackend({ name: "two" });
    echoes.push(one, two);
    const port = await freePort();
    const host = "eds.example.com";
    const files = (backendPort: number): Record<string, string> => ({
      "00-gateway.yaml": gatewayYaml(port),
      "10-service.yaml": serviceYaml("app", 8080, [{ port: backendPort }]),
      "20-route.yaml": serviceRouteYaml("app", host, "app", 8080),
    });
    tg = await startTestGateway(files(one.port));
    await eventually(async () => (await servedBy(port, host)) === "one", 20_000, "served by backend one");

    const changes: CacheChange[] = [];
    const sent: XdsEvent[] = [];
    subs.push(tg.gw.cache.changes$.subscribe((c) => changes.push(c)));
    subs.push(tg.gw.server.events$.subscribe((e) => e.kind === "sent" && sent.push(e)));
    await tg.write("10-service.yaml", files(two.port)["10-service.yaml"]);
    await eventually(async () => (await servedBy(port, host)) === "two", 20_000, "served by backend two");
    await new Promise((r) => setTimeout(r, 300)); // anything else the change would send has been sent by now

    assert.ok(changes.length >= 1, "the endpoint change changed the cache");
    for (const c of changes) assert.deepEqual([...c.diff.types.keys()], [TypeUrl.Endpoint], "cache diff types");
    assert.ok(sent.length >= 1, "the server sent the change");
    const types = [...new Set(sent.map((e) => e.typeUrl))];
    assert.deepEqual(types, [TypeUrl.Endpoint], `sent types: ${JSON.stringify(sent)}`);
    const names = changes.flatMap((c) => c.diff.types.get(TypeUrl.Endpoint)?.upserted ?? []);
    assert.equal(names.length, 1, `one ClusterLoadAssignment changed: ${names.join(", ")}`);
  });
});
