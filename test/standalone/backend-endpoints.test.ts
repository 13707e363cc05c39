/**
 * Backend is dangerous by design (issue 11 item 4), through real Envoy: with Backend enabled and loopback
 * allowed (as the quickstart runs), a Backend on one of the proxy's own ports (127.0.0.1:19000, the Envoy
 * admin port in Kubernetes) is refused: no cluster, its route answers 500 as for any invalid backend, while
 * a valid route keeps serving. With Backend off (Envoy Gateway's default), a route to a Backend answers 500.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

/** Cluster names the xDS cache serves to the Gateway default/eg. */
function clusterNames(t: TestGateway): string[] {
  return [...(t.gw.cache.getNode("default/eg")?.resources.get(CLUSTER_TYPE)?.keys() ?? [])].sort();
}

function routeCondition(t: TestGateway, route: string, type: string): Condition | undefined {
  const status = t.gw.statuses.get("HTTPRoute", "default", route)?.status as { parents: { conditions: Condition[] }[] };
  return status?.parents[0]?.conditions.find((c) => c.type === type);
}

function backendAccepted(t: TestGateway, backend: string): Condition | undefined {
  const status = t.gw.statuses.get("Backend", "default", backend)?.status as { conditions: Condition[] } | undefined;
  return status?.conditions.find((c) => c.type === "Accepted");
}

describe("Backend endpoints on the proxy's own ports are refused (real Envoy)", function () {
  let good: EchoBackend;
  /** Something answering on 127.0.0.1:19000, where a refused Backend points (absent when the port is taken). */
  let onAdminPort: EchoBackend | undefined;
  let t: TestGateway;
  let port: number;

  before(async function () {
    good = await startEchoBackend({ name: "good" });
    onAdminPort = await startEchoBackend({ name: "on-19000", port: 19000 }).catch(() => undefined);
    port = await freePort();
    const admin = backendYaml("admin", good.port).replace(`port: ${good.port}`, "port: 19000");
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "routes.yaml": [
          backendYaml("good", good.port),
          routeYaml("good", "good.example.com", "good"),
          admin,
          routeYaml("admin", "admin.example.com", "admin"),
        ].join("---\n"),
      },
      // Explicit: Backend on, loopback allowed (the quickstart's configuration); the proxy ports are not.
      { backends: { enabled: true, allow: ["Loopback"] } },
    );
    await eventually(async () => (await httpGet(port, "good.example.com")).status === 200, 15_000, "the good route");
  });

  after(async function () {
    await t?.close();
    await good?.close();
    await onAdminPort?.close();
  });

  it("answers 500 for the route to 127.0.0.1:19000 and never reaches that port; the good route serves", async function () {
    const r = await httpGet(port, "admin.example.com", "/config_dump");
    assert.equal(r.status, 500, r.body);
    assert.doesNotMatch(r.body, /on-19000/);
    assert.equal((await httpGet(port, "good.example.com")).status, 200);
  });

  it("serves no cluster for the refused Backend", function () {
    assert.deepEqual(clusterNames(t), ["backend/default/good/0/http"]);
  });

  it("reports Backend Accepted=False Invalid and route ResolvedRefs=False InvalidAddress, naming endpoint and rule", function () {
    const accepted = backendAccepted(t, "admin");
    assert.equal(accepted?.status, "False");
    assert.equal(accepted?.reason, "Invalid");
    assert.match(
      accepted?.message ?? "",
      /endpoint 0 \(127\.0\.0\.1:19000\) is refused: port 19000 is the Envoy admin port/,
    );
    const resolved = routeCondition(t, "admin", "ResolvedRefs");
    assert.equal(resolved?.status, "False");
    assert.equal(resolved?.reason, "InvalidAddress");
    assert.match(resolved?.message ?? "", /Backend default\/admin: endpoint 0 \(127\.0\.0\.1:19000\) is refused/);
    assert.equal(backendAccepted(t, "good")?.status, "True");
    assert.equal(routeCondition(t, "good", "ResolvedRefs")?.status, "True");
  });
});

describe("Backend off (Envoy Gateway's default) (real Envoy)", function () {
  let echo: EchoBackend;
  let t: TestGateway;
  let port: number;

  /** Service default/svc whose EndpointSlice points at the echo server (Services are not affected). */
  const serviceYaml = (echoPort: number): string => `apiVersion: v1
kind: Service
metadata: { name: svc, namespace: default }
spec:
  ports: [{ port: 80, targetPort: ${echoPort} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: svc-1, namespace: default, labels: { kubernetes.io/service-name: svc } }
addressType: IPv4
ports: [{ port: ${echoPort} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;

  before(async function () {
    echo = await startEchoBackend({ name: "echo" });
    port = await freePort();
    const svcRoute = httpRouteYaml("svc", "svc.example.com", "    - backendRefs: [{ name: svc, port: 80 }]");
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayYaml(port),
        "routes.yaml": [
          backendYaml("echo", echo.port),
          routeYaml("echo", "echo.example.com", "echo"),
          serviceYaml(echo.port),
          svcRoute,
        ].join("---\n"),
      },
      { backends: { enabled: false } },
    );
    await eventually(async () => (await httpGet(port, "svc.example.com")).status === 200, 15_000, "the Service route");
  });

  after(async function () {
    await t?.close();
    await echo?.close();
  });

  it("answers 500 for a route to a Backend, with no cluster for it, and says how to enable Backend", async function () {
    assert.equal((await httpGet(port, "echo.example.com")).status, 500);
    assert.deepEqual(clusterNames(t), ["service/default/svc/80/http"]);
    const resolved = routeCondition(t, "echo", "ResolvedRefs");
    assert.equal(resolved?.status, "False");
    assert.equal(resolved?.reason, "UnsupportedValue");
    assert.match(
      resolved?.message ?? "",
      /Backend is disabled in Envoy Gateway configuration.*extensionApis\.enableBackend: true/,
    );
    assert.equal(backendAccepted(t, "echo")?.reason, "Invalid");
  });
});
