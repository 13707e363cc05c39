/**
 * Several extension servers (EnvoyGateway `extensionManagers`) and extension policies (`policyResources`) against
 * real Envoy and two real gRPC extension servers (test/support/extension-server.ts), as Envoy Gateway v1.9 chains
 * them: each hook call goes through the servers in order, the second one getting the first one's answer (both
 * Route hooks' headers reach the wire; the second Translation hook sees the first one's cluster); each server gets
 * only the policies of the kinds it declares (a route policy on the Route hook, a Gateway policy on the HTTPListener
 * and Translation hooks); policy objects get no "not a kind egts reads" warning; the policies get Envoy Gateway's
 * status (Accepted under the Gateway reached), recorded once while nothing changes; a failing second server without
 * failOpen keeps the last good configuration, naming the server.
 */
import assert from "node:assert/strict";
import { parseEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { ExtensionManagerConfig } from "../../operator/src/config/envoy-gateway-extension";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { startExtensionServer, type TestExtensionServer } from "../support/extension-server";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const GROUP = "example.extensions.io";
const TO_ECHO = `backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`;

/** Two servers as a user writes them, parsed by the real reader. */
function managers(first: number, second: number): readonly ExtensionManagerConfig[] {
  const config = parseEnvoyGatewayConfig(
    "eg.yaml",
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionManagers:
  - name: first
    resources: [{ group: ${GROUP}, version: v1alpha1, kind: HeaderTag }]
    policyResources: [{ group: ${GROUP}, version: v1alpha1, kind: RoutePolicy }]
    hooks: { xdsTranslator: { post: [Route, HTTPListener, Translation] } }
    service: { ip: { address: 127.0.0.1, port: ${first} } }
  - name: second
    policyResources: [{ group: ${GROUP}, version: v1alpha1, kind: GatewayPolicy }]
    hooks: { xdsTranslator: { pre: [Route], post: [Route, HTTPListener, Translation] } }
    service: { ip: { address: 127.0.0.1, port: ${second} } }
`,
  );
  assert.equal(config.extensionManagers?.length, 2);
  return config.extensionManagers ?? [];
}

function files(gwPort: number, echo: EchoBackend): Record<string, string> {
  return {
    "gateway.yaml": gatewayYaml(gwPort),
    "backend.yaml": backendYaml("echo", echo.port),
    "extension-objects.yaml": `apiVersion: ${GROUP}/v1alpha1
kind: HeaderTag
metadata: { name: tag-a, namespace: default }
spec: {}
---
apiVersion: ${GROUP}/v1alpha1
kind: RoutePolicy
metadata: { name: rp-1, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: pol }]
---
apiVersion: ${GROUP}/v1alpha1
kind: GatewayPolicy
metadata: { name: gp-1, namespace: default }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: http }
`,
    "routes.yaml": [
      httpRouteYaml(
        "ext",
        "ext.example",
        `    - filters: [{ type: ExtensionRef, extensionRef: { group: ${GROUP}, kind: HeaderTag, name: tag-a } }]
      ${TO_ECHO}`,
      ),
      httpRouteYaml("pol", "pol.example", `    - ${TO_ECHO}`),
      httpRouteYaml("plain", "plain.example", `    - ${TO_ECHO}`),
    ].join("---\n"),
  };
}

const names = (lists: Record<string, unknown>[][]): string[] => [
  ...new Set(lists.flat().map((o) => String((o.metadata as { name: string }).name))),
];

describe("extensionManagers and policyResources (real Envoy, two real gRPC extension servers)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let a: TestExtensionServer;
  let b: TestExtensionServer;
  let echo: EchoBackend;
  let port: number;

  before(async () => {
    echo = await startEchoBackend({ name: "echo" });
    a = await startExtensionServer({ tag: "a", addedClusterPort: echo.port });
    b = await startExtensionServer({ tag: "b", addedClusterPort: echo.port });
    port = await freePort();
    t = await startTestGateway(files(port, echo), {
      extensionManagers: managers(a.port, b.port),
      extensionTimings: { timeoutMs: 2000, retryMs: 300 },
    });
  });
  after(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
    await echo?.close();
  });

  it("each Route hook call goes through both servers in order: both headers on the wire", async () => {
    await eventually(
      async () => (await httpGet(port, "ext.example")).headers["x-extension-route-b"] === "tag-a",
      20_000,
      "the second server's header on ext.example",
    );
    const r = await httpGet(port, "ext.example");
    assert.equal(r.headers["x-extension-route-a"], "tag-a");
    // The second server got the route as the first answered it (with the first one's header).
    const seen = b.calls
      .filter((c) => c.method === "PostRouteModify")
      .map((c) => JSON.stringify((c.request as { route?: unknown }).route));
    assert.ok(
      seen.some((s) => s.includes("x-extension-route-a")),
      "the second server is sent the first one's answer",
    );
    const plain = await httpGet(port, "plain.example");
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["x-extension-route-a"], undefined, "no extension object, no policy: no Route hook");
  });

  it("a route policy reaches the Route hook of the server that declares its kind, and only that one", async () => {
    await eventually(
      async () => (await httpGet(port, "pol.example")).headers["x-extension-policy-a"] === "rp-1",
      10_000,
      "the route policy's header from the first server",
    );
    assert.equal((await httpGet(port, "pol.example")).headers["x-extension-policy-b"], undefined);
    assert.deepEqual(names(a.policies("PostRouteModify")), ["rp-1"]);
    assert.deepEqual(names(b.policies("PostRouteModify")), [], "RoutePolicy is not the second server's kind");
  });

  it("a Gateway policy reaches the HTTPListener and Translation hooks of its server; the chain carries on", () => {
    assert.deepEqual(names(b.policies("PostHTTPListenerModify")), ["gp-1"]);
    assert.deepEqual(names(b.policies("PostTranslateModify")), ["gp-1"]);
    assert.deepEqual(names(a.policies("PostHTTPListenerModify")), [], "GatewayPolicy is not the first server's kind");
    const translate = b.calls.filter((c) => c.method === "PostTranslateModify");
    assert.ok(
      translate.some((c) =>
        (c.request as { clusters: { name: string }[] }).clusters.some((cl) => cl.name === "extension-added"),
      ),
      "the second Translation hook sees the cluster the first one added",
    );
    assert.ok(
      !t.logs.some((l) => l.includes("not a kind egts reads")),
      "policy objects are not warned about as unread",
    );
  });

  it("the policies get Envoy Gateway's status (Accepted per Gateway), recorded only when it changes", async () => {
    const ancestors = (kind: string, name: string): { ancestorRef: unknown; conditions: { type: string }[] }[] =>
      (t.gw.statuses.get(kind, "default", name)?.status as { ancestors: [] } | undefined)?.ancestors ?? [];
    const gateway = { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "default", name: "eg" };
    for (const [kind, name, ref] of [
      ["RoutePolicy", "rp-1", gateway],
      ["GatewayPolicy", "gp-1", { ...gateway, sectionName: "http" }],
    ] as const) {
      const [a, ...rest] = ancestors(kind, name);
      assert.equal(rest.length, 0);
      assert.deepEqual(a?.ancestorRef, ref, `${kind} ${name}`);
      assert.deepEqual(
        a.conditions.map((c) => ({ ...c, observedGeneration: undefined })),
        [
          {
            type: "Accepted",
            status: "True",
            reason: "Accepted",
            message: "Policy has been accepted.",
            observedGeneration: undefined,
          },
        ],
      );
    }
    // A policy targeting a route that is not there yet gets no ancestor; it is accepted once the route appears.
    await t.write(
      "late-policy.yaml",
      `apiVersion: ${GROUP}/v1alpha1
kind: RoutePolicy
metadata: { name: rp-late, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: late-target }]
`,
    );
    await eventually(
      async () => t.gw.statuses.get("RoutePolicy", "default", "rp-late") !== undefined,
      10_000,
      "rp-late",
    );
    assert.deepEqual(ancestors("RoutePolicy", "rp-late"), []);
    await t.write("late-target.yaml", httpRouteYaml("late-target", "late.example", `    - ${TO_ECHO}`));
    await eventually(async () => ancestors("RoutePolicy", "rp-late").length === 1, 10_000, "rp-late accepted");
    // Several passes later, rp-1's status was recorded (and logged) once.
    assert.equal(t.logs.filter((l) => l.includes("RoutePolicy default/rp-1: ok")).length, 1, "written once");
  });

  it("the second server failing without failOpen keeps the last good configuration, naming it", async () => {
    b.failing = true;
    await t.write("later.yaml", httpRouteYaml("later", "later.example", `    - ${TO_ECHO}`));
    await eventually(
      async () => t.logs.some((l) => l.includes("keeping the last good configuration") && l.includes('\\"second\\"')),
      10_000,
      "the failure log line naming the second server",
    );
    assert.equal((await httpGet(port, "later.example")).status, 404, "the new route is not published");
    assert.equal((await httpGet(port, "ext.example")).headers["x-extension-route-b"], "tag-a", "the last good one");
    b.failing = false;
    await eventually(async () => (await httpGet(port, "later.example")).status === 200, 15_000, "after recovery");
  });
});
