/**
 * EnvoyProxy `telemetry.metrics.clusterStatName` and `provider.host.envoyVersion` on the wire (real Envoy,
 * standalone, echo backends). Gateway `default/cs` runs the Host provider; HTTPRoute `web` sends `/a` to Backend a
 * (rule 0) and `/b` to Backend b (rule 1), and HTTPRoute `more` sends `/more` to Backend b too.
 * - An envoyVersion other than the one egts runs refuses the Gateway (Accepted=False InvalidParameters, naming the
 *   field and the version egts runs); the version egts runs serves traffic.
 * - Backend a's cluster serves one rule: Envoy's config dump shows its `alt_stat_name`
 *   (`httproute/default/web/rule/0`) and its requests count under `cluster.httproute/default/web/rule/0.*`.
 * - Backend b's cluster serves two rules: it keeps its own stat name, and the Gateway's Warning says so.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { ENVOY_VERSION } from "../../operator/src/infra/host/envoy-binary";
import { clusterName } from "../../operator/src/translate/backends";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, GATEWAY_CLASS_YAML, gatewayWithProxyYaml, httpRouteYaml } from "../support/manifests";
import { conditionOf } from "../support/objects";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "stats.example.com";
const PATTERN = "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/rule/%ROUTE_RULE_NUMBER%";
const STAT_NAME = "httproute/default/web/rule/0";

/** Gateway and EnvoyProxy `default/cs`: the Host provider asking for Envoy `version`, and the stat name pattern. */
const gatewayYaml = (port: number, version: string): string =>
  gatewayWithProxyYaml(
    "cs",
    port,
    `  provider: { type: Host, host: { envoyVersion: "${version}" } }
  telemetry: { metrics: { clusterStatName: "${PATTERN}" } }`,
  );

const rule = (path: string, backend: string): string => `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`;

const routesYaml = (a: number, b: number): string =>
  [
    backendYaml("a", a),
    backendYaml("b", b),
    httpRouteYaml("web", HOST, `${rule("/a", "a")}\n${rule("/b", "b")}`, "cs"),
    httpRouteYaml("more", HOST, rule("/more", "b"), "cs"),
  ].join("---\n");

describe("standalone: EnvoyProxy clusterStatName and provider.host.envoyVersion (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  const backends: EchoBackend[] = [];
  let port = 0;
  let admin = "";

  const gatewayStatus = (): unknown => t?.gw.statuses.get("Gateway", "default", "cs")?.status;

  /** The value of one counter in Envoy's /stats (undefined when Envoy has no such stat). */
  async function counter(name: string): Promise<number | undefined> {
    const filter = `^${name.replace(/[/.]/g, "\\$&")}$`;
    const text = await (await fetch(`${admin}/stats?filter=${encodeURIComponent(filter)}`)).text();
    const m = new RegExp(`^${filter.slice(1, -1)}: (\\d+)$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  }

  before(async () => {
    backends.push(await startEchoBackend({ name: "a" }), await startEchoBackend({ name: "b" }));
    port = await freePort();
    t = await startTestGateway({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": gatewayYaml(port, "1.0.0"),
      "routes.yaml": routesYaml(backends[0].port, backends[1].port),
    });
  });

  after(async () => {
    await t?.close();
    for (const b of backends) await b.close();
  });

  it("refuses an envoyVersion other than the one egts runs, naming the field and that version", async () => {
    await eventually(
      async () => conditionOf(gatewayStatus(), "Accepted")?.status === "False",
      20_000,
      "the refusal",
    ).catch(() => assert.fail(`Gateway status: ${JSON.stringify(gatewayStatus())}`));
    const c = conditionOf(gatewayStatus(), "Accepted");
    assert.equal(c?.reason, "InvalidParameters");
    assert.ok(
      c?.message.includes(
        `spec.provider.host.envoyVersion ("1.0.0") is not the Envoy version egts runs (${ENVOY_VERSION})`,
      ),
      c?.message,
    );
    assert.equal((await httpGet(port, HOST, "/a")).status, 0, "nothing listens for a refused Gateway");
  });

  it("serves with the version egts runs; a one-rule cluster's stats go by the pattern, a shared one's by its name", async () => {
    await t!.write("gateway.yaml", gatewayYaml(port, `v${ENVOY_VERSION}`));
    await eventually(async () => (await httpGet(port, HOST, "/a")).status === 200, 30_000, "the route to a").catch(() =>
      assert.fail(`Gateway status: ${JSON.stringify(gatewayStatus())}; logs: ${t?.logs.slice(-10).join("\n")}`),
    );
    admin = (await t!.gw.runner?.adminUrl("default/cs")) ?? assert.fail("no admin address for default/cs");
    const aBefore = (await counter(`cluster.${STAT_NAME}.upstream_rq_total`)) ?? 0;
    const bCluster = clusterName("backend", "default", { name: "b" }, "http");
    const bBefore = (await counter(`cluster.${bCluster}.upstream_rq_total`)) ?? 0;
    for (let i = 0; i < 3; i++) assert.equal((await httpGet(port, HOST, "/a")).status, 200);
    for (const path of ["/b", "/more"]) assert.equal((await httpGet(port, HOST, path)).status, 200);

    let a: number | undefined;
    let b: number | undefined;
    await eventually(
      async () => {
        a = await counter(`cluster.${STAT_NAME}.upstream_rq_total`);
        b = await counter(`cluster.${bCluster}.upstream_rq_total`);
        return a === aBefore + 3 && b === bBefore + 2;
      },
      10_000,
      "the cluster counters",
    ).catch(() => assert.fail(`a: ${aBefore} → ${a}, b: ${bBefore} → ${b}`));

    const dump = (await (await fetch(`${admin}/config_dump?resource=dynamic_active_clusters`)).json()) as {
      configs: { cluster: { name: string; alt_stat_name?: string } }[];
    };
    const alt = new Map(dump.configs.map((c) => [c.cluster.name, c.cluster.alt_stat_name]));
    assert.equal(alt.get(clusterName("backend", "default", { name: "a" }, "http")), STAT_NAME);
    assert.ok(alt.has(bCluster), [...alt.keys()].join(", "));
    assert.equal(alt.get(bCluster), undefined, "the shared cluster keeps its own stat name");

    const w = conditionOf(gatewayStatus(), "Warning");
    assert.equal(w?.status, "True");
    assert.match(w?.message ?? "", /spec\.telemetry\.metrics\.clusterStatName names the route/);
    assert.ok(w?.message.includes(bCluster), w?.message);
    assert.equal(conditionOf(gatewayStatus(), "Accepted")?.status, "True");
    console.log(
      `      measured: cluster.${STAT_NAME}.upstream_rq_total ${aBefore} → ${a}; cluster.${bCluster}.upstream_rq_total ${bBefore} → ${b}`,
    );
  });
});
