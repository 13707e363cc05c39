/**
 * BackendTrafficPolicy `rateLimit.global` read from dynamic metadata, on the wire: the listener and routes our
 * translator builds for `limit.fromMetadata` and `cost.request` / `cost.response` `from: Metadata`, served to a
 * real Envoy with the real rate limit service (configured over our xDS) and a real Redis. Nothing egts generates
 * writes dynamic metadata yet, so the test puts one Lua filter (real Envoy Lua, inline code) in front of the
 * HTTP filters, as an EnvoyExtensionPolicy or ext_proc would: it copies request headers into the metadata the
 * policies name (`x-tenant-limit` → acme.tenants/limit as {requests_per_unit, unit HOUR}; `x-request-cost` →
 * acme.billing/request_cost), and when the response passes, `x-usage` (kept from the request) →
 * acme.billing/tokens, so the response cost exists only once the response is on its way.
 * - The metadata limit (1 per hour) overrides the rule's own 100: the second request is refused; a request
 *   without the metadata counts against the same bucket with the rule's own limit again.
 * - Request cost 3 and response cost 4 from metadata, on a rule of 10: the first request leaves 7
 *   (X-RateLimit-Remaining), the Redis counter gains 3 + 4 = 7 once its stream is done, a request costing the
 *   rest passes with 0 left, and the one after is refused. (Counts are taken from the counter before the
 *   first request: the warm-up request may count.)
 */
import * as assert from "node:assert/strict";
import { loadEnv } from "../../operator/src/config/env";
import { HostRateLimitService } from "../../operator/src/infra/host/ratelimit-runner";
import { jsonLogger } from "../../operator/src/xds/server/types";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { LuaType } from "../../operator/src/xds/translate/filters/lua";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { HcmType, ListenerType, TypeUrl } from "../../operator/src/xds/types";
import { pack, unpack } from "../../proto/any";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { Lua } from "../../proto/gen/envoy/extensions/filters/http/lua/v3/lua";
import { HttpFilter } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, GATEWAY_CLASS_YAML, httpRouteYaml } from "../support/manifests";
import { ratelimitBinary, startRedis, type TestRedis } from "../support/ratelimit";
import { TEST_BACKENDS } from "../support/standalone";
import { serveToEnvoy, type Resources, type XdsEnvoy } from "../support/xds-envoy";

/** Copies request headers into the dynamic metadata the policies read (see the module comment). */
const LUA = `
function envoy_on_request(h)
  local md = h:streamInfo():dynamicMetadata()
  local limit = h:headers():get("x-tenant-limit")
  if limit then md:set("acme.tenants", "limit", { requests_per_unit = tonumber(limit), unit = "HOUR" }) end
  local cost = h:headers():get("x-request-cost")
  if cost then md:set("acme.billing", "request_cost", tonumber(cost)) end
  local usage = h:headers():get("x-usage")
  if usage then md:set("acme.pending", "usage", tonumber(usage)) end
end
function envoy_on_response(h)
  local md = h:streamInfo():dynamicMetadata()
  local pending = md:get("acme.pending")
  if pending then md:set("acme.billing", "tokens", pending["usage"]) end
end
`;

function policies(): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: tenant, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: tenant }]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: { requests: 100, unit: Hour, fromMetadata: { namespace: acme.tenants, key: limit } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: billing, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: billing }]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: { requests: 10, unit: Hour }
          cost:
            request: { from: Metadata, metadata: { namespace: acme.billing, key: request_cost } }
            response: { from: Metadata, metadata: { namespace: acme.billing, key: tokens } }
`;
}

/** The node's resources with the Lua filter first in every HTTP connection manager. */
function withLua(resources: Resources): Resources {
  const listeners = new Map<string, Any>();
  for (const [name, any] of resources.Listener ?? []) {
    const l = unpack(ListenerType, any);
    for (const chain of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
      for (const f of chain.filters) {
        if (!f.typedConfig || !f.typedConfig.typeUrl.endsWith("HttpConnectionManager")) continue;
        const hcm = unpack(HcmType, f.typedConfig);
        const lua = Lua.fromPartial({ defaultSourceCode: { inlineString: LUA } });
        hcm.httpFilters.unshift(
          HttpFilter.fromPartial({ name: "envoy.filters.http.lua", typedConfig: pack(LuaType, lua) }),
        );
        f.typedConfig = pack(HcmType, hcm);
      }
    }
    listeners.set(name, pack(ListenerType, l));
  }
  return { ...resources, Listener: listeners };
}

describe("standalone: rateLimit.global from dynamic metadata (real Envoy with a Lua writer, ratelimit service, Redis)", function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let svc: HostRateLimitService | undefined;
  let echo: EchoBackend | undefined;
  let envoy: XdsEnvoy | undefined;
  let port = 0;

  before(async () => {
    redis = await startRedis();
    const verbose = loadEnv().testLog;
    const grpcPort = await freePort();
    svc = new HostRateLimitService({
      binary: ratelimitBinary(),
      redisUrl: redis.url,
      grpcPort,
      logger: verbose ? jsonLogger("debug") : () => undefined,
      output: verbose ? "inherit" : "ignore",
    });
    await svc.start();
    echo = await startEchoBackend({ name: "echo" });
    port = await freePort();
    const yaml = [
      GATEWAY_CLASS_YAML.trimEnd() + "\n",
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`,
      backendYaml("echo", echo.port),
      httpRouteYaml(
        "tenant",
        "tenant.example.com",
        "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]",
      ),
      httpRouteYaml(
        "billing",
        "billing.example.com",
        "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]",
      ),
      policies(),
    ].join("---\n");
    const result = translate(snapshotFromObjects(parseManifests("metadata.yaml", yaml).objects), {
      listenAddress: "127.0.0.1",
      backends: TEST_BACKENDS,
      rateLimit: { host: "127.0.0.1", port: grpcPort, timeoutMs: 1000, failClosed: true },
    });
    for (const p of result.statuses.filter((st) => st.kind === "BackendTrafficPolicy")) {
      const conds = (p.status as { ancestors: { conditions: { type: string; status: string }[] }[] }).ancestors;
      const accepted = conds.flatMap((a) => a.conditions).find((c) => c.type === "Accepted");
      assert.equal(accepted?.status, "True", JSON.stringify(p.status));
    }
    const version = svc.update(result.rateLimitIr);
    await eventually(
      async () => svc?.xds.clients().some((c) => c.ackedVersion === version) ?? false,
      15_000,
      "the rate limit service to ACK its configuration",
    );
    const node = result.xdsIr[0];
    const resources = buildNodeResources(node);
    const byType = Object.fromEntries(
      (Object.keys(TypeUrl) as (keyof typeof TypeUrl)[]).map((k) => [k, resources.get(TypeUrl[k]) ?? new Map()]),
    ) as Resources;
    envoy = await serveToEnvoy(node.name, withLua(byType), ["Cluster", "Listener", "Route"]);
    await eventually(
      async () =>
        (await httpGet(port, "billing.example.com", "/", { headers: { "x-request-cost": "0" } })).status === 200,
      20_000,
      "the gateway to serve",
    );
  });

  after(async () => {
    await envoy?.close();
    await echo?.close();
    await svc?.stop();
    await redis?.stop();
  });

  it("limit.fromMetadata: the metadata's 1 per hour overrides the rule's 100; without it, the rule's 100 applies to the same bucket", async () => {
    const limited = { headers: { "x-tenant-limit": "1" } };
    const first = await httpGet(port, "tenant.example.com", "/", limited);
    const second = await httpGet(port, "tenant.example.com", "/", limited);
    assert.deepEqual([first.status, second.status], [200, 429]);
    assert.equal(second.headers["x-ratelimit-limit"], "1, 1;w=3600");
    const plain = await httpGet(port, "tenant.example.com");
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["x-ratelimit-limit"], "100, 100;w=3600");
  });

  it("cost from metadata: request 3 on arrival, response 4 when the stream is done (written while the response passes), on a rule of 10", async () => {
    const counter = (): number => {
      const key = (redis?.cli(["--scan", "--pattern", "*billing*"]) ?? "").trim();
      return key === "" ? 0 : Number(redis?.cli(["get", key]).trim());
    };
    const before = counter();
    const costly = { headers: { "x-request-cost": "3", "x-usage": "4" } };
    const first = await httpGet(port, "billing.example.com", "/", costly);
    assert.equal(first.status, 200);
    assert.equal(first.headers["x-ratelimit-remaining"], String(10 - before - 3), "3 taken on arrival");
    await eventually(
      async () => counter() === before + 7,
      5_000,
      "the response cost (4) taken when the stream is done",
    );
    const second = await httpGet(port, "billing.example.com", "/", {
      headers: { "x-request-cost": String(10 - before - 7) },
    });
    assert.equal(second.status, 200);
    assert.equal(second.headers["x-ratelimit-remaining"], "0");
    const third = await httpGet(port, "billing.example.com", "/", { headers: { "x-request-cost": "1" } });
    assert.equal(third.status, 429);
  });
});
