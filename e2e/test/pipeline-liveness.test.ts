/**
 * No single object can stop the controller (issue 11, item 3), against a real API server: an HTTPRoute whose
 * retry attempts the CRD accepts (no maximum) but Envoy's uint32 cannot hold is rejected alone with a status
 * condition while the other route keeps being served and `/readyz` stays 200; and a translator exception
 * (injected: a fault that valid input cannot cause) turns `/readyz` 503 with the reason, after which the
 * stream still processes the next snapshot. `/metrics` then counts all this with Envoy Gateway's metric names.
 */
import assert from "node:assert/strict";
import { Controller } from "../../operator/src/pipeline/controller";
import { TypeUrl } from "../../operator/src/xds/types";
import { eventually, httpGet } from "../../test/support/http";
import { scrape, valueOf } from "../../test/support/prometheus";
import { httpRouteYaml } from "../../test/support/manifests";
import { quickstartYaml, startKubeCluster, type KubeCluster, prepareCluster, startTestController } from "../harness";

const NS = "envoy-gateway-system";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface RouteObj {
  status?: { parents?: { conditions: Condition[] }[] };
}

describe("controller pipeline liveness against a real API server (Kubernetes tier)", function () {
  this.timeout(180_000);
  let cluster: KubeCluster;
  let controller: Controller;
  /** When set, the next translations throw this message (injected fault). */
  let fault: string | undefined;
  const apply = (yaml: string): Promise<string> =>
    cluster.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], { input: yaml });
  const accepted = async (name: string): Promise<Condition | undefined> => {
    const route = await cluster.kubectlJson<RouteObj>(["get", "httproute", name, "-n", "default"]);
    return route.status?.parents?.[0]?.conditions.find((c) => c.type === "Accepted");
  };
  const readyz = (): Promise<{ status: number; body: string }> =>
    httpGet(controller.metricsPort, "localhost", "/readyz");
  /** Whether the Gateway's routes in the xDS cache (RouteConfigurations, or scopes: ADR 0032) name `host`. */
  const served = (host: string): boolean => {
    const node = controller.cache.getNode("default/eg")?.resources;
    const routes = [TypeUrl.Route, TypeUrl.ScopedRoute].flatMap((t) => [...(node?.get(t)?.values() ?? [])]);
    return routes.some((r) => Buffer.from(r.value.value).toString("latin1").includes(host));
  };

  before(async () => {
    cluster = await startKubeCluster();
    await prepareCluster(cluster, [NS]);
    controller = await startTestController(cluster, NS, {
      beforeTranslate: () => {
        if (fault !== undefined) throw new Error(fault);
      },
    });
    await apply(quickstartYaml(80, cluster.nodeAddress, 9));
    await eventually(async () => (await accepted("web"))?.status === "True", 30_000, "route web Accepted");
  });

  after(async () => {
    await controller?.stop();
    await cluster?.stop();
  });

  it("an HTTPRoute with retry attempts 2^32 (the CRD allows it) is rejected alone; the others keep being served", async () => {
    await apply(
      httpRouteYaml(
        "huge-retry",
        "retry.example.com",
        "    - retry: { attempts: 4294967296 }\n      backendRefs: [{ name: echo, port: 80 }]",
      ),
    );
    await eventually(async () => (await accepted("huge-retry"))?.status === "False", 30_000, "huge-retry rejected");
    const c = await accepted("huge-retry");
    assert.equal(c?.reason, "UnsupportedValue");
    assert.match(c?.message ?? "", /HTTPRoute default\/huge-retry: spec\.rules\[0\]\.retry\.attempts: .*4294967296/);
    // A route applied afterwards still translates: the pipeline goes on.
    await apply(httpRouteYaml("later", "later.example.com", "    - backendRefs: [{ name: echo, port: 80 }]"));
    await eventually(async () => (await accepted("later"))?.status === "True", 30_000, "route later Accepted");
    assert.equal((await accepted("web"))?.status, "True");
    assert.ok(served("www.example.com") && served("later.example.com"), "the valid routes are in the xDS cache");
    assert.ok(!served("retry.example.com"), "the rejected route is not");
    const r = await readyz();
    assert.deepEqual([r.status, r.body.trim()], [200, "ok"]);
  });

  it("a translation that throws turns /readyz 503 with the reason; the next snapshot is processed (injected fault)", async () => {
    fault = "injected translator bug";
    await apply(httpRouteYaml("during-fault", "fault.example.com", "    - backendRefs: [{ name: echo, port: 80 }]"));
    await eventually(async () => (await readyz()).status === 503, 30_000, "/readyz 503");
    assert.match((await readyz()).body, /the last translation pass failed: injected translator bug/);
    assert.ok(served("www.example.com"), "the last good configuration keeps serving");
    fault = undefined;
    await apply(httpRouteYaml("after-fault", "after.example.com", "    - backendRefs: [{ name: echo, port: 80 }]"));
    await eventually(async () => (await accepted("after-fault"))?.status === "True", 30_000, "after-fault Accepted");
    await eventually(async () => (await readyz()).status === 200, 30_000, "/readyz 200 again");
    assert.ok(served("fault.example.com") && served("after.example.com"), "both routes are served after the fault");
  });

  it("/metrics has Envoy Gateway's families for what happened: status writes, applies, passes, the caught exception", async () => {
    const m = await scrape(controller.metricsPort);
    const pass = { runner: "gateway-api", message: "provider-resources" };
    assert.ok(valueOf(m, "status_update_total", { kind: "HTTPRoute", status: "success" }) >= 4, "route statuses");
    assert.ok(
      valueOf(m, "status_update_duration_seconds", { kind: "HTTPRoute" }, "status_update_duration_seconds_count") >= 4,
    );
    const deployment = { kind: "Deployment", namespace: NS, status: "success" };
    assert.ok(valueOf(m, "resource_apply_total", deployment) >= 1, "the proxy Deployment applied");
    const applied = m.get("resource_apply_total")?.samples.find((s) => s.labels.kind === "Deployment");
    assert.match(applied?.labels.name ?? "", /\S/, "with its name");
    assert.ok(
      valueOf(m, "watchable_subscribe_total", { runner: "infrastructure", message: "infra-ir", status: "success" }) >=
        1,
    );
    assert.ok(
      valueOf(m, "watchable_subscribe_total", { ...pass, status: "failure", reason: "error" }) >= 1,
      "the failed pass",
    );
    assert.ok(
      valueOf(m, "watchable_panics_recovered_total", { ...pass, status: "failure" }) >= 1,
      "the caught exception",
    );
    assert.ok(valueOf(m, "watchable_subscribe_total", { ...pass, status: "success" }) >= 4);
    assert.ok(
      valueOf(m, "xds_snapshot_update_total", { nodeID: controller.cache.nodeIds()[0] ?? "none", status: "success" }) >=
        1,
    );
    assert.ok(valueOf(m, "process_resident_memory_bytes") > 0);
  });
});
