/**
 * EnvoyProxy `bootstrap` on real Envoy (standalone): a Merge that adds a static cluster and changes the stats flush
 * interval, a JSONPatch that sets a stats setting, and a Replace with the proxy's own bootstrap (read back from
 * its admin interface, edited, as Envoy Gateway's docs have users do with `egctl`) are each seen in Envoy's
 * /config_dump; a bootstrap with an unknown field, and one that moves the xDS cluster, are refused with the reason
 * on the Gateway (Accepted=False InvalidParameters) and never reach Envoy: the proxy keeps serving with its last
 * good bootstrap (egts's own when it never had one), and a bad one applied over a good one neither restarts it
 * nor changes its bootstrap.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithProxyYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** {@link gatewayWithProxyYaml} with a route `to-<name>` for `<name>.example.com` to Backend `app`. */
function gatewayWithProxy(name: string, port: number, specYaml: string): string {
  return `${gatewayWithProxyYaml(name, port, specYaml)}---
${httpRouteYaml(`to-${name}`, `${name}.example.com`, "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]", name)}`;
}

const CLASS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
`;

const MERGE = `  bootstrap:
    type: Merge
    value: |
      stats_flush_interval: 7s
      static_resources:
        clusters:
        - name: merged_static_cluster
          connect_timeout: 0.25s
          type: STATIC
          lb_policy: ROUND_ROBIN
          load_assignment:
            cluster_name: merged_static_cluster
            endpoints:
            - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: 127.0.0.1, port_value: 9 }
`;

const JSON_PATCH = `  bootstrap:
    type: JSONPatch
    jsonPatches:
    - op: add
      path: /stats_config/use_all_default_tags
      value: false
    - op: add
      path: /stats_flush_interval
      value: 11s
`;

const UNKNOWN_FIELD = `  bootstrap:
    type: Merge
    value: |
      stats_flush_intervl: 7s
`;

const MOVES_XDS = `  bootstrap:
    type: JSONPatch
    jsonPatches:
    - op: replace
      path: /static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/port_value
      value: 1
`;

describe("EnvoyProxy bootstrap (real Envoy: Merge, JSONPatch, Replace; bad ones refused)", function () {
  let t: TestGateway;
  let backend: EchoBackend;
  const ports: Record<string, number> = {};

  before(async function () {
    backend = await startEchoBackend({ port: await freePort() });
    for (const g of ["merged", "patched", "replaced", "unknown", "moved"]) ports[g] = await freePort();
    t = await startTestGateway({
      "class.yaml": CLASS,
      "backend.yaml": backendYaml("app", backend.port),
      "merged.yaml": gatewayWithProxy("merged", ports.merged, MERGE),
      "patched.yaml": gatewayWithProxy("patched", ports.patched, JSON_PATCH),
      "replaced.yaml": gatewayWithProxy("replaced", ports.replaced, "  concurrency: 1"),
      "unknown.yaml": gatewayWithProxy("unknown", ports.unknown, UNKNOWN_FIELD),
      "moved.yaml": gatewayWithProxy("moved", ports.moved, MOVES_XDS),
    });
    for (const g of ["merged", "patched", "replaced"]) await serving(g);
  });
  after(async () => {
    await t?.close();
    await backend?.close();
  });

  async function serving(gateway: string): Promise<void> {
    await eventually(
      async () => (await httpGet(ports[gateway], `${gateway}.example.com`).catch(() => ({ status: 0 }))).status === 200,
      20_000,
      `Gateway ${gateway} to route`,
    );
  }

  /** The bootstrap Envoy runs with, from its admin /config_dump. */
  async function runningBootstrap(gateway: string): Promise<Record<string, unknown>> {
    const runner = t.gw.runner;
    assert.ok(runner, "the standalone gateway runs proxies");
    const admin = await runner.adminUrl(`default/${gateway}`);
    const dump = (await (await fetch(`${admin}/config_dump`)).json()) as {
      configs: { "@type": string; bootstrap?: Record<string, unknown> }[];
    };
    const b = dump.configs.find((c) => c["@type"].endsWith("BootstrapConfigDump"))?.bootstrap;
    assert.ok(b, "config_dump has the bootstrap");
    return b;
  }

  function accepted(gateway: string): Condition | undefined {
    const s = t.gw.statuses.get("Gateway", "default", gateway)?.status as { conditions?: Condition[] } | undefined;
    return s?.conditions?.find((c) => c.type === "Accepted");
  }

  it("Merge: the static cluster is added next to the xDS cluster and the flush interval changes", async () => {
    const b = await runningBootstrap("merged");
    const clusters = (b.static_resources as { clusters: { name: string }[] }).clusters.map((c) => c.name);
    assert.ok(clusters.includes("merged_static_cluster"), `static clusters: ${clusters.join(", ")}`);
    assert.ok(clusters.includes("xds_cluster"), "the list was appended to, not replaced");
    assert.equal(b.stats_flush_interval, "7s");
    assert.equal((b.node as { id: string }).id, "default/merged", "the node identity stays egts's");
  });

  it("JSONPatch: the stats settings are patched", async () => {
    const b = await runningBootstrap("patched");
    assert.equal(b.stats_flush_interval, "11s");
    assert.equal((b.stats_config as { use_all_default_tags?: boolean }).use_all_default_tags, false);
  });

  it("Replace: the proxy's own bootstrap, edited, replaces egts's", async () => {
    const own = await runningBootstrap("replaced");
    assert.notEqual(own.stats_flush_interval, "13s");
    const edited: Record<string, unknown> = { ...own, stats_flush_interval: "13s" };
    delete edited.node; // egts's node identity wins anyway
    const value = JSON.stringify(edited, null, 2)
      .split("\n")
      .map((l) => `      ${l}`)
      .join("\n");
    await t.write(
      "replaced.yaml",
      gatewayWithProxy("replaced", ports.replaced, `  bootstrap:\n    type: Replace\n    value: |\n${value}\n`),
    );
    await eventually(
      async () =>
        (await runningBootstrap("replaced").catch(() => ({}) as Record<string, unknown>)).stats_flush_interval ===
        "13s",
      20_000,
      "the replaced bootstrap in Envoy's config_dump",
    );
    await serving("replaced");
  });

  it("an unknown field is refused with the schema's message; the proxy serves with egts's bootstrap", async () => {
    const c = accepted("unknown");
    assert.equal(c?.status, "False");
    assert.equal(c?.reason, "InvalidParameters");
    assert.match(
      c?.message ?? "",
      /EnvoyProxy default\/unknown is invalid: spec\.bootstrap: failed to parse override bootstrap config: .*"stats_flush_intervl" is unknown.*keep their last good bootstrap/,
    );
    await serving("unknown");
    const b = await runningBootstrap("unknown");
    assert.equal(b.stats_flush_interval, undefined, "egts's own bootstrap (it never had a good one)");
  });

  it("a bad bootstrap over a good one: refused, and the proxy keeps serving with the good one, not restarted", async () => {
    const pid = (): number | undefined => t.gw.runner?.list().find((p) => p.name === "default/merged")?.pid;
    const before = pid();
    assert.ok(before, "the merged proxy runs");
    await t.write("merged.yaml", gatewayWithProxy("merged", ports.merged, UNKNOWN_FIELD));
    await eventually(
      async () => /stats_flush_intervl/.test(accepted("merged")?.message ?? ""),
      20_000,
      "the refusal on Gateway merged",
    );
    const c = accepted("merged");
    assert.equal(c?.status, "False");
    assert.equal(c?.reason, "InvalidParameters");
    assert.match(c?.message ?? "", /spec\.bootstrap: .*keep their last good bootstrap/);
    // A route change still reaches the proxy: it is served, only its bootstrap is held.
    const route = httpRouteYaml(
      "to-merged-2",
      "merged2.example.com",
      "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]",
      "merged",
    );
    await t.write("merged-route.yaml", route);
    await eventually(
      async () => (await httpGet(ports.merged, "merged2.example.com").catch(() => ({ status: 0 }))).status === 200,
      20_000,
      "a new route on the proxy with the refused bootstrap",
    );
    await serving("merged");
    assert.equal(pid(), before, "the proxy was not restarted");
    const b = await runningBootstrap("merged");
    assert.equal(b.stats_flush_interval, "7s", "the last good (Merge) bootstrap is kept");
  });

  it("a bootstrap that moves the xDS cluster is refused with Envoy Gateway's rule", () => {
    const c = accepted("moved");
    assert.equal(c?.status, "False");
    assert.match(c?.message ?? "", /spec\.bootstrap: xds_cluster's loadAssigntment cannot be modified/);
  });
});
