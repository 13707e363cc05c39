/**
 * BackendTrafficPolicy `loadBalancer` beyond the algorithms, and `routingType`, on the wire (real Envoy,
 * standalone). Endpoints a, b and c answer their own name:
 * - BackendUtilization: a reports an ORCA application utilization of 0.9, b and c 0.05, each 10 requests per second
 *   (`endpoint-load-metrics` response header, TEXT form: Envoy weighs an endpoint rps_fractional / utilization, so a
 *   report without rps_fractional leaves plain round robin; measured with Envoy 1.36). RoundRobin gives a about a
 *   third, the policy under 15% once the weights are in use (measured: 4 of 150); the report headers are removed
 *   from the answer unless keepResponseHeaders is set;
 * - endpointOverride: a header naming b's `ip:port` sends every request to b; an address not in the backend
 *   falls back to the algorithm (all three answer);
 * - zoneAware.weightedZones: a Service whose EndpointSlices put a in zone-a and b in zone-b; weights zone-b 4
 *   (zone-a 1 by default) give a about a fifth of the requests (measured: 40 of 200), where round robin without
 *   zones gives it half;
 * - routingType Service: a Service with cluster IP 127.0.0.1 whose Service port is c's and whose endpoint is b
 *   is answered by c (its cluster IP) with the policy, by b without; on a Backend the policy warns that it does
 *   not apply;
 * - type DynamicModule: Accepted=False saying why (Envoy 1.36 has no dynamic module load balancer).
 */
import * as assert from "node:assert/strict";
import { applyPolicy, btpConditions, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { spread, startNamedEndpoint, type NamedEndpoint } from "../support/lb-endpoints";
import { backendPoolYaml, gatewayYaml, routeYaml, serviceRouteYaml, serviceYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const POOL = "pool.example.com";
const ZONES = "zones.example.com";
const SVC = "svc.example.com";

/** Backend `default/pool` with the endpoints. */
function poolYaml(endpoints: readonly NamedEndpoint[]): string {
  return backendPoolYaml(
    "pool",
    endpoints.map((e) => e.port),
  );
}

describe("standalone: BackendTrafficPolicy loadBalancer extensions and routingType (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let a: NamedEndpoint;
  let b: NamedEndpoint;
  let c: NamedEndpoint;
  let port: number;
  /** The ORCA application utilization each endpoint reports; none when absent. */
  const utilization: Record<string, number> = {};

  before(async () => {
    const orca = (name: string) => (): Record<string, string> =>
      utilization[name] !== undefined
        ? { "endpoint-load-metrics": `TEXT application_utilization=${utilization[name]},rps_fractional=10` }
        : {};
    [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => startNamedEndpoint(n, { headers: orca(n) })));
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "pool.yaml": `${poolYaml([a, b, c])}---\n${routeYaml("pool", POOL, "pool")}`,
      "zones.yaml": `${serviceYaml("zoned", 80, [
        { port: a.port, zone: "zone-a" },
        { port: b.port, zone: "zone-b" },
      ])}---\n${serviceRouteYaml("zoned", ZONES, "zoned", 80)}`,
      "svc.yaml": `${serviceYaml("svc", c.port, [{ port: b.port }], "127.0.0.1")}---\n${serviceRouteYaml("svc", SVC, "svc", c.port)}`,
    });
    for (const host of [POOL, ZONES, SVC])
      await eventually(async () => (await httpGet(port, host)).status === 200, 15_000, `the route of ${host}`);
  });

  after(async () => {
    await t?.close();
    for (const e of [a, b, c]) e?.server.close();
  });

  it("BackendUtilization: the endpoint reporting a high utilization gets few requests; ORCA headers removed", async () => {
    utilization.a = 0.9;
    utilization.b = 0.05;
    utilization.c = 0.05;
    // The baseline is an explicit RoundRobin (clusters default to Envoy Gateway's least request, which is random here).
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", "  loadBalancer: { type: RoundRobin }"));
    const roundRobin = await spread(port, POOL, 60);
    const spec = `  loadBalancer:
    type: BackendUtilization
    backendUtilization: { blackoutPeriod: 100ms, weightUpdatePeriod: 100ms }`;
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    // Weights come from the reports of the last period, after the blackout: let a second of traffic teach them.
    const until = Date.now() + 1500;
    while (Date.now() < until) await spread(port, POOL, 10);
    const weighted = await spread(port, POOL, 150);
    const first = await httpGet(port, POOL);
    assert.ok((roundRobin.a ?? 0) >= 15, `round robin gives a about a third (${JSON.stringify(roundRobin)})`);
    assert.ok((weighted.a ?? 0) < 0.15 * 150, `the policy gives a under 15% (${JSON.stringify(weighted)})`);
    assert.equal(first.headers["endpoint-load-metrics"], undefined, "the load report is removed from the answer");

    const kept = `  loadBalancer:
    type: BackendUtilization
    backendUtilization: { blackoutPeriod: 100ms, weightUpdatePeriod: 100ms, keepResponseHeaders: true }`;
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", kept));
    const r = await httpGet(port, POOL);
    assert.match(String(r.headers["endpoint-load-metrics"]), /^TEXT application_utilization=/);
    for (const k of Object.keys(utilization)) delete utilization[k];
  });

  it("endpointOverride: a header naming an endpoint sends every request there; an unknown one falls back", async () => {
    const spec = "  loadBalancer: { type: RoundRobin, endpointOverride: { extractFrom: [{ header: x-endpoint }] } }";
    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", spec));
    const named = await spread(port, POOL, 30, { headers: { "x-endpoint": `127.0.0.1:${b.port}` } });
    assert.deepEqual(named, { b: 30 });
    const unknown = await spread(port, POOL, 30, { headers: { "x-endpoint": "127.0.0.1:1" } });
    assert.deepEqual(Object.keys(unknown).sort(), ["a", "b", "c"], JSON.stringify(unknown));
  });

  it("zoneAware.weightedZones: zone-b weighing 4 gives zone-a about a fifth of the requests", async () => {
    await applyPolicy(t, "zones-btp.yaml", btpYaml("zones", "zoned", "  loadBalancer: { type: RoundRobin }"));
    const plain = await spread(port, ZONES, 100);
    const spec = "  loadBalancer: { type: RoundRobin, zoneAware: { weightedZones: [{ zone: zone-b, weight: 4 }] } }";
    await applyPolicy(t, "zones-btp.yaml", btpYaml("zones", "zoned", spec));
    const weighted = await spread(port, ZONES, 200);
    const share = (weighted.a ?? 0) / 200;
    assert.ok(
      (plain.a ?? 0) >= 40 && (plain.a ?? 0) <= 60,
      `round robin without zones gives a half (${JSON.stringify(plain)})`,
    );
    assert.ok(share >= 0.1 && share <= 0.3, `zone-a gets about 20% (${JSON.stringify(weighted)})`);
  });

  it("routingType Service: a Service is reached at its cluster IP; a Backend keeps its endpoints, with a warning", async () => {
    assert.deepEqual(await spread(port, SVC, 5), { b: 5 }, "without the policy: the Service's endpoint");
    await applyPolicy(t, "svc-btp.yaml", btpYaml("svc", "svc", "  routingType: Service"));
    assert.deepEqual(await spread(port, SVC, 5), { c: 5 }, "with it: the cluster IP and Service port");

    await applyPolicy(t, "btp.yaml", btpYaml("lb", "pool", "  routingType: Service"));
    const conditions = btpConditions(t, "lb");
    assert.equal(conditions.find((x) => x.type === "Accepted")?.status, "True");
    assert.match(
      conditions.find((x) => x.type === "Warning")?.message ?? "",
      /spec\.routingType: Service does not apply to backend\/default\/pool\/0\/http, not a Kubernetes Service/,
    );
    assert.deepEqual(Object.keys(await spread(port, POOL, 30)).sort(), ["a", "b", "c"]);
  });

  it("type DynamicModule: Accepted=False saying why, the route unchanged", async () => {
    const spec = "  loadBalancer: { type: DynamicModule, dynamicModule: { name: my-lb, lbPolicyName: pick } }";
    await t.write("btp.yaml", btpYaml("lb", "pool", spec));
    await eventually(
      async () => btpConditions(t, "lb").find((x) => x.type === "Accepted")?.status === "False",
      15_000,
      "the policy to be refused",
    );
    const accepted = btpConditions(t, "lb").find((x) => x.type === "Accepted");
    assert.match(
      accepted?.message ?? "",
      /spec\.loadBalancer\.type: DynamicModule is not implemented by egts: Envoy 1\.36/,
    );
    assert.equal((await httpGet(port, POOL)).status, 200);
  });
});
