/**
 * With 1,000 routes loaded, adding one route sends only what changed (asserted on the server's counters), in the
 * default route layout (scoped RDS: one routing scope per hostname, ADR 0031) and in the inline one (RDS: the
 * listener's one RouteConfiguration).
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const LAYOUTS = [
  { layout: "scoped", type: "srds", what: "routing scope" },
  { layout: "inline", type: "rds", what: "RouteConfiguration" },
] as const;

for (const { layout, type, what } of LAYOUTS)
  describe(`delta xDS with 1,000 routes, ${layout} layout (real Envoy)`, function () {
    this.timeout(120_000);
    let backend: EchoBackend;
    let t: TestGateway;
    let port: number;

    before(async function () {
      backend = await startEchoBackend({ name: "b" });
      port = await freePort();
      const routes = Array.from({ length: 1000 }, (_, i) => routeYaml(`r${i}`, `r${i}.example.com`, `b${i % 10}`)).join(
        "---\n",
      );
      const backends = Array.from({ length: 10 }, (_, i) => backendYaml(`b${i}`, backend.port)).join("---\n");
      t = await startTestGateway(
        { "gateway.yaml": gatewayYaml(port), "backends.yaml": backends, "routes.yaml": routes },
        { routeLayout: layout },
      );
      await eventually(async () => (await httpGet(port, "r999.example.com")).status === 200, 20_000, "route 999");
    });

    after(async function () {
      await t?.close();
      await backend?.close();
    });

    it(`adding one route to an existing backend sends exactly one ${what} and nothing else`, async function () {
      const node = "default/eg";
      const before = t.gw.server.stats().nodes[node];
      assert.ok(before, "the node has counters");
      const snap = structuredClone(before);
      await t.write("new.yaml", routeYaml("new", "new.example.com", "b3"));
      await eventually(async () => (await httpGet(port, "new.example.com")).status === 200, 5000, "the new route");
      const after = t.gw.server.stats().nodes[node];
      const sent = (type: string): number => after[type].resourcesSent - snap[type].resourcesSent;
      const removed = (type: string): number => after[type].removalsSent - snap[type].removalsSent;
      assert.equal(sent(type), 1, `one ${what}`);
      if (type === "srds") assert.equal(sent("rds"), 0, "no RouteConfiguration (the scope carries its own)");
      assert.equal(sent("cds"), 0, "no Cluster");
      assert.equal(sent("eds"), 0, "no ClusterLoadAssignment");
      assert.equal(sent("lds"), 0, "no Listener");
      assert.equal(removed(type) + removed("cds") + removed("eds") + removed("lds"), 0, "no removals");
      // Envoy may serve the new route a moment before its ACK reaches us.
      await eventually(
        async () => t.gw.server.stats().nodes[node][type].acks - snap[type].acks === 1,
        2000,
        `Envoy's ACK of the ${what}`,
      );
      // Unchanged routes still answer.
      assert.equal((await httpGet(port, "r0.example.com")).status, 200);
    });

    it(`adding a route to a new backend sends one Cluster, one ClusterLoadAssignment and one ${what}`, async function () {
      const node = "default/eg";
      const snap = structuredClone(t.gw.server.stats().nodes[node]);
      await t.write(
        "new2.yaml",
        `${backendYaml("fresh", backend.port)}---\n${routeYaml("new2", "new2.example.com", "fresh")}`,
      );
      await eventually(
        async () => (await httpGet(port, "new2.example.com")).status === 200,
        5000,
        "the second new route",
      );
      const after = t.gw.server.stats().nodes[node];
      const sent = (type: string): number => after[type].resourcesSent - snap[type].resourcesSent;
      assert.deepEqual(
        { cds: sent("cds"), eds: sent("eds"), [type]: sent(type), lds: sent("lds") },
        { cds: 1, eds: 1, [type]: 1, lds: 0 },
      );
    });
  });
