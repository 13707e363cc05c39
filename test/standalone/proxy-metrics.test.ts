/**
 * Proxy metrics in standalone mode, on the wire: each Envoy serves Prometheus stats on the stats port
 * (`GET /stats/prometheus` only; the rest of the admin API stays unreachable there), the first proxy on the
 * configured port and the others, one host having one such port, on a free one, each logged with its admin
 * address. EnvoyProxy `telemetry.metrics`: per-virtual-host and per-endpoint stats when enabled, the stats
 * inclusion list (`matches`), and no stats listener with `prometheus.disable`.
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { assertNoAdminOutput, rawRequest } from "../support/admin-probe";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** GatewayClass `<name>` whose EnvoyProxy `default/<name>` has `specYaml` (a flow mapping). */
function classYaml(name: string, specYaml: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ${name} }
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ${name}, namespace: default }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: ${name}, namespace: default }
spec: ${specYaml}
`;
}

/** Gateway `default/<name>` of `className` with one HTTP listener, optionally with an EnvoyProxy of its own. */
function gatewayYaml(name: string, className: string, port: number, ownProxy?: string): string {
  const infra = ownProxy
    ? `\n  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ${ownProxy} } }`
    : "";
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: ${className}${infra}
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`;
}

function routeTo(name: string, host: string, gateway: string): string {
  return httpRouteYaml(
    name,
    host,
    `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]`,
    gateway,
  );
}

/** Sum of the values of the samples of `metric` whose labels match `labels`. */
function sampleSum(text: string, metric: string, labels: RegExp = /.*/): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (m && m[1] === metric && labels.test(m[2] ?? "")) sum += Number(m[3]);
  }
  return sum;
}

describe("proxy metrics in standalone mode (real Envoy, EnvoyProxy telemetry.metrics)", function () {
  let t: TestGateway;
  let backend: EchoBackend;
  let statsPort: number;
  const ports: Record<string, number> = {};

  before(async function () {
    backend = await startEchoBackend({ port: await freePort() });
    statsPort = await freePort();
    for (const g of ["stats", "matched", "quiet"]) ports[g] = await freePort();
    const files = {
      "classes.yaml": [
        classYaml(
          "eg",
          "{ telemetry: { metrics: { enableVirtualHostStats: true, enablePerEndpointStats: true, enableRequestResponseSizesStats: true } } }",
        ),
        classYaml("quiet", "{ telemetry: { metrics: { prometheus: { disable: true } } } }"),
        // A Gateway's own EnvoyProxy: only the stats whose names start with http. are created.
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: only-http, namespace: default }
spec: { telemetry: { metrics: { matches: [{ type: Prefix, value: http. }] } } }
`,
      ].join("---\n"),
      "gateways.yaml": [
        gatewayYaml("stats", "eg", ports.stats),
        gatewayYaml("matched", "eg", ports.matched, "only-http"),
        gatewayYaml("quiet", "quiet", ports.quiet),
      ].join("---\n"),
      "routes.yaml": [
        backendYaml("app", backend.port),
        routeTo("to-stats", "www.example.com", "stats"),
        routeTo("to-matched", "matched.example.com", "matched"),
        routeTo("to-quiet", "quiet.example.com", "quiet"),
      ].join("---\n"),
    };
    t = await startTestGateway(files, { proxyStatsPort: statsPort });
    for (const [g, host] of [
      ["stats", "www.example.com"],
      ["matched", "matched.example.com"],
      ["quiet", "quiet.example.com"],
    ] as const) {
      await eventually(
        async () => (await httpGet(ports[g], host)).status === 200,
        20_000,
        `Gateway ${g} to route ${host}`,
      );
    }
  });
  after(async () => {
    await t?.close();
    await backend?.close();
  });

  /** The stats URL of a Gateway's proxy, as the runner reports it. */
  async function statsUrl(gateway: string): Promise<string | undefined> {
    const runner = t.gw.runner;
    assert.ok(runner, "the standalone gateway runs proxies");
    return runner.statsUrl(`default/${gateway}`);
  }

  async function scrape(url: string): Promise<string> {
    const res = await fetch(url);
    assert.equal(res.status, 200, `GET ${url}`);
    return res.text();
  }

  it("serves each proxy's Prometheus stats: the first on the configured port, the next on another, both logged", async () => {
    const urls = [await statsUrl("stats"), await statsUrl("matched")];
    const bound = urls.map((u) => Number(new URL(u ?? "http://x:0").port));
    assert.ok(bound.includes(statsPort), `one proxy has the configured port ${statsPort}: ${urls.join(", ")}`);
    assert.notEqual(bound[0], bound[1], "two proxies on one host cannot share the port");
    for (const u of urls) assert.match(await scrape(u ?? ""), /^# TYPE envoy_/m);
    await eventually(
      async () =>
        ["default/stats", "default/matched"].every((g) =>
          t.logs.some(
            (l) =>
              l.includes("envoy serving") &&
              l.includes(g) &&
              /admin=http:\/\/127\.0\.0\.1:\d+/.test(l) &&
              l.includes("/stats/prometheus"),
          ),
        ),
      10_000,
      "an 'envoy serving' log line with the admin and stats addresses of each proxy",
    );
  });

  it("counts requests per virtual host and per endpoint, and sizes, after real traffic (enableVirtualHostStats, enablePerEndpointStats, enableRequestResponseSizesStats)", async () => {
    const url = (await statsUrl("stats")) ?? "";
    const before = sampleSum(await scrape(url), "envoy_vhost_vcluster_upstream_rq", /www_example_com/);
    for (let i = 0; i < 5; i++) assert.equal((await httpGet(ports.stats, "www.example.com")).status, 200);
    await eventually(
      async () => sampleSum(await scrape(url), "envoy_vhost_vcluster_upstream_rq", /www_example_com/) >= before + 5,
      10_000,
      "envoy_vhost_vcluster_upstream_rq{virtual_cluster_name=www_example_com} to count the 5 requests",
    );
    // Per-endpoint stats name the backend's address.
    const text = await scrape(url);
    assert.ok(
      sampleSum(text, "envoy_cluster_endpoint_rq_total", new RegExp(`"127\\.0\\.0\\.1:${backend.port}"`)) >= 5,
      `per-endpoint request counts for the backend in:\n${text
        .split("\n")
        .filter((l) => l.includes("endpoint"))
        .slice(0, 20)
        .join("\n")}`,
    );
    // Request and response size histograms per cluster (enableRequestResponseSizesStats); Envoy merges
    // histograms into the stats on its flush (every 5 s).
    await eventually(
      async () =>
        sampleSum(await scrape(url), "envoy_cluster_upstream_rs_body_size_count", /backend\/default\/app/) >= 5,
      12_000,
      "envoy_cluster_upstream_rs_body_size_count of the backend's cluster to count the requests",
      500,
    );
  });

  it("creates only the stats its EnvoyProxy's matches include", async () => {
    const url = (await statsUrl("matched")) ?? "";
    for (let i = 0; i < 3; i++) assert.equal((await httpGet(ports.matched, "matched.example.com")).status, 200);
    const text = await scrape(url);
    assert.ok(sampleSum(text, "envoy_http_downstream_rq_total") >= 3, "http.* stats are kept");
    assert.doesNotMatch(text, /^envoy_cluster_upstream_rq_total/m, "cluster.* stats are not created");
    assert.doesNotMatch(text, /^envoy_server_live/m, "server.* stats are not created");
  });

  it("binds no stats listener with prometheus.disable", async () => {
    assert.equal(await statsUrl("quiet"), undefined);
    const admin = await t.gw.runner?.adminUrl("default/quiet");
    const listeners = (await (await fetch(`${admin}/listeners?format=json`)).json()) as {
      listener_statuses: { name: string }[];
    };
    assert.deepEqual(
      listeners.listener_statuses.map((l) => l.name).filter((n) => n.includes("stats")),
      [],
      "no stats listener",
    );
  });

  it("keeps the rest of the admin API unreachable on the stats port", async () => {
    const port = Number(new URL((await statsUrl("stats")) ?? "").port);
    assert.equal((await rawRequest(port, "GET", "/config_dump")).status, 404);
    assert.equal((await rawRequest(port, "GET", "/stats/prometheus/../config_dump")).status, 404);
    await assertNoAdminOutput("the stats listener", port);
  });
});
