/**
 * EnvoyProxy `telemetry.metrics.enableGRPCStats` on the wire (real Envoy, standalone, a real @grpc/grpc-js client
 * and server). As in Envoy Gateway: `true` puts the grpc_stats filter on every HTTP listener, so gRPC routed by an
 * HTTPRoute (to an h2c Backend) is counted per method (`cluster.<backend>.grpc.pkg.Echo.Echo.*`); `false` leaves it
 * off even on a listener with a GRPCRoute, where it is on by default.
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { eventually, freePort } from "../support/http";
import { grpcEchoCall, grpcEchoCounters, assertThreeMoreEchoCalls, startGrpcEcho } from "../support/grpc-echo";
import { GATEWAY_CLASS_YAML, gatewayWithProxyYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HTTP_HOST = "http.example.com";
const GRPC_HOST = "grpc.example.com";
const FILTER = "envoy.filters.http.grpc_stats";

/** The gateway `default/gs` with EnvoyProxy `telemetry.metrics.enableGRPCStats: <on>`. */
const gatewayYaml = (port: number, on: boolean): string =>
  gatewayWithProxyYaml("gs", port, `  telemetry: { metrics: { enableGRPCStats: ${on} } }`);

/** An h2c Backend `default/echo` (gRPC needs HTTP/2 upstream; an HTTPRoute does not imply it). */
const h2cBackendYaml = (port: number): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: echo, namespace: default }
spec:
  appProtocols: [gateway.envoyproxy.io/h2c]
  endpoints: [{ ip: { address: 127.0.0.1, port: ${port} } }]
`;

const BACKEND_REF = "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]";

const grpcRouteYaml = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc, namespace: default }
spec:
  parentRefs: [{ name: gs }]
  hostnames: [${GRPC_HOST}]
  rules:
${BACKEND_REF}
`;

describe("standalone: EnvoyProxy telemetry.metrics.enableGRPCStats (real Envoy, @grpc/grpc-js client and backend)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let echo: grpc.Server | undefined;
  let port = 0;
  let admin = "";

  /** The HTTP filter names of Envoy's listeners (admin config_dump). */
  async function listenerFilters(): Promise<string[]> {
    const dump = await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text();
    return [...dump.matchAll(/"name":\s*"(envoy\.filters\.http\.[a-z_.]+)"/g)].map((m) => m[1]);
  }

  before(async () => {
    const e = await startGrpcEcho();
    echo = e.server;
    port = await freePort();
    t = await startTestGateway({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": gatewayYaml(port, true),
      "routes.yaml": `${h2cBackendYaml(e.port)}---\n${httpRouteYaml("http", HTTP_HOST, BACKEND_REF, "gs")}`,
    });
    let last: unknown;
    await eventually(
      async () =>
        grpcEchoCall(port, HTTP_HOST, {}).then(
          () => true,
          (err: unknown) => ((last = err), false),
        ),
      20_000,
      "a gRPC call through the HTTPRoute",
    ).catch(() =>
      assert.fail(`no gRPC answer through the HTTPRoute: ${String(last)}; logs: ${t?.logs.slice(-15).join("\n")}`),
    );
    admin = (await t.gw.runner?.adminUrl("default/gs")) ?? assert.fail("no admin address for default/gs");
  });

  after(async () => {
    await t?.close();
    echo?.forceShutdown();
  });

  it("enableGRPCStats: true puts grpc_stats on a listener with only an HTTPRoute, and counts gRPC calls routed by it", async () => {
    const filters = await listenerFilters();
    assert.ok(filters.includes(FILTER), `listener filters: ${filters.join(", ")}`);
    const before = await grpcEchoCounters(admin);
    for (let i = 0; i < 3; i++) assert.deepEqual(await grpcEchoCall(port, HTTP_HOST, { n: i }), { echo: { n: i } });
    const after = await assertThreeMoreEchoCalls(admin, before);
    console.log(`      measured: filters ${filters.join(" ")}; counters ${JSON.stringify(Object.fromEntries(after))}`);
  });

  it("enableGRPCStats: false leaves grpc_stats off even with a GRPCRoute attached: gRPC calls are not counted", async () => {
    await t!.write("grpcroute.yaml", grpcRouteYaml);
    await t!.write("gateway.yaml", gatewayYaml(port, false));
    let filters: string[] = [];
    await eventually(
      async () => {
        filters = await listenerFilters();
        return (
          !filters.includes(FILTER) &&
          (await grpcEchoCall(port, GRPC_HOST, {}).then(
            () => true,
            () => false,
          ))
        );
      },
      20_000,
      "no grpc_stats filter, and the GRPCRoute serving",
    ).catch(() => assert.fail(`listener filters: ${filters.join(", ")}`));
    const before = await grpcEchoCounters(admin);
    for (let i = 0; i < 3; i++) assert.deepEqual(await grpcEchoCall(port, GRPC_HOST, { n: i }), { echo: { n: i } });
    assert.deepEqual(await grpcEchoCounters(admin), before, "no grpc stat moved");
    console.log(`      measured: filters ${filters.join(" ")}`);
  });
});
