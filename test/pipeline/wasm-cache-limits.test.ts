/**
 * Envoy Gateway's Wasm cache limits in egts's cache (operator/src/pipeline/wasm-cache.ts), with small limits
 * injected, against a real HTTP server (test/support/module-server.ts): the total size on disk (a fetch past it
 * fails with Envoy Gateway's message), modules unused for the expiry time deleted from disk (those in use kept),
 * and a source that failed more than `maxFailures` times not fetched again until the reset time, reported on the
 * policy with Envoy Gateway's give-up message. The defaults are Envoy Gateway v1.9.1's.
 */
import * as assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WASM_LIMITS, WasmCache, type WasmCacheLimits } from "../../operator/src/pipeline/wasm-cache";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { wasmSourcesToFetch, type WasmSourceRequest } from "../../operator/src/translate/wasm-sources";
import { eventually, freePort } from "../support/http";
import { startModuleServer, type ModuleServer } from "../support/module-server";

/** A Wasm binary of `size` bytes (magic, version, then a custom section's worth of padding). */
function module(size: number, fill: number): Buffer {
  return Buffer.concat([Buffer.from("0061736d01000000", "hex"), Buffer.alloc(size - 8, fill)]);
}

/** A Gateway with one EnvoyExtensionPolicy per URL (policy `p<i>`), each with one Wasm module from it. */
function policies(...urls: string[]): ResourceSnapshot {
  const docs = urls.map(
    (url, i) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: p${i}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  wasm: [{ code: { type: HTTP, http: { url: "${url}" } } }]
`,
  );
  return snapshotFromObjects(
    parseManifests(
      "p.yaml",
      [
        `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
`,
        `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec: { gatewayClassName: eg, listeners: [{ name: http, protocol: HTTP, port: 80 }] }
`,
        ...docs,
      ].join("---\n"),
    ).objects,
  );
}

/** The fetch request of `url` (as the policies above ask for it). */
function request(url: string): WasmSourceRequest {
  const [r] = wasmSourcesToFetch(policies(url)).values();
  return r;
}

describe("Wasm cache limits (Envoy Gateway's, small ones injected; real HTTP server)", function () {
  this.timeout(20_000);
  let server: ModuleServer;
  let dir: string;
  let cache: WasmCache | undefined;

  const start = async (limits: WasmCacheLimits): Promise<WasmCache> => {
    cache = new WasmCache({ dir, port: await freePort(), limits });
    return cache;
  };
  const result = (c: WasmCache, r: WasmSourceRequest): unknown => c.modules()?.results.get(r.key);
  const onDisk = async (): Promise<string[]> => (await readdir(join(dir, "modules")).catch(() => [])).sort();

  beforeEach(async () => {
    server = await startModuleServer();
    dir = await mkdtemp(join(tmpdir(), "egts-wasm-limits-"));
  });
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("has Envoy Gateway v1.9.1's defaults: 1 GiB, 24 h unused, purge hourly, 10 failures, 1 h rest", () => {
    assert.deepEqual(DEFAULT_WASM_LIMITS, {
      maxBytes: 1024 ** 3,
      expiryMs: 24 * 3_600_000,
      purgeIntervalMs: 3_600_000,
      maxFailures: 10,
      failureResetMs: 3_600_000,
    });
  });

  it("refuses a module that would pass the total size, with Envoy Gateway's message", async () => {
    const c = await start({ maxBytes: 100 });
    server.set("/a.wasm", module(60, 1));
    server.set("/b.wasm", module(60, 2));
    const a = request(`${server.base}/a.wasm`);
    const b = request(`${server.base}/b.wasm`);
    await c.prepare(policies(a.url));
    assert.ok(result(c, a) && "path" in (result(c, a) as object), JSON.stringify(result(c, a)));
    await c.prepare(policies(a.url, b.url));
    assert.deepEqual(result(c, b), { error: "wasm cache size exceeded the limit: 100" });
    assert.equal((await onDisk()).length, 1, "only the first module is on disk");
  });

  it("deletes modules unused for the expiry time; modules in use stay, and their room is given back", async () => {
    // Expiry 1 s: the checks below sit far from it on both sides (a loaded CI machine delayed a 150 ms sleep past a
    // 300 ms expiry once).
    const c = await start({ maxBytes: 100, expiryMs: 1_000, purgeIntervalMs: 50 });
    server.set("/a.wasm", module(60, 1));
    server.set("/b.wasm", module(60, 2));
    const a = request(`${server.base}/a.wasm`);
    const b = request(`${server.base}/b.wasm`);
    await c.prepare(policies(a.url));
    const [file] = await onDisk();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await onDisk(), [file], "a module a policy needs is kept past the expiry time");
    await c.prepare(policies()); // no policy needs it any more
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(await onDisk(), [file], "not before the expiry time");
    await eventually(async () => (await onDisk()).length === 0, 5_000, "the unused module deleted");
    await c.prepare(policies(b.url));
    assert.ok(result(c, b) && "path" in (result(c, b) as object), "its room is free again");
    assert.ok(!existsSync(join(dir, "modules", file)));
  });

  it("stops fetching a source that failed more than maxFailures times, says so on the policy, tries again later", async () => {
    const c = await start({ maxFailures: 2, failureResetMs: 1_000, retryMs: { min: 20, max: 20 } });
    const url = `${server.base}/flaky.wasm`;
    server.set("/flaky.wasm", 500);
    const r = request(url);
    const snapshot = policies(url);
    await c.prepare(snapshot);
    const givenUp = `failed to get Wasm module ${url} after 2 attempts: could not fetch Wasm binary: wasm module download request failed: status code 500`;
    await eventually(
      async () => JSON.stringify(result(c, r)) === JSON.stringify({ error: givenUp }),
      5_000,
      "given up",
    );
    assert.equal(server.hits("/flaky.wasm"), 3, "Envoy Gateway's count: tried while failures are at most the limit");
    await new Promise((res) => setTimeout(res, 400));
    assert.equal(server.hits("/flaky.wasm"), 3, "no fetch while given up");
    // The policy says so, as other fetch failures (Accepted=False with the message).
    const modules = c.modules();
    const status = translate(snapshot, modules ? { wasmModules: modules } : {}).statuses.find(
      (s) => s.kind === "EnvoyExtensionPolicy",
    )?.status as { ancestors: { conditions: { type: string; status: string; message: string }[] }[] };
    const accepted = status.ancestors[0].conditions.find((x) => x.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.ok(accepted?.message.includes(givenUp), accepted?.message);
    // After the rest time it is fetched again, from a fresh count.
    server.set("/flaky.wasm", module(16, 3));
    await eventually(async () => "path" in ((result(c, r) ?? {}) as object), 5_000, "fetched after the rest");
    assert.equal(server.hits("/flaky.wasm"), 4);
  });
});
