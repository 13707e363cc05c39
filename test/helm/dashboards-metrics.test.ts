/**
 * Every metric name the shipped Grafana dashboards query is one a real scrape returns: a standalone egts with a
 * Gateway, HTTP routes to an echo backend on a listener of exact hosts (routing scopes) and one of a wildcard host
 * (a RouteConfiguration), a TCPRoute to a TCP echo server, a BackendTrafficPolicy with a
 * global rate limit and passive health checks, real Envoy, the real rate limit service (envoyproxy/ratelimit)
 * and a real Redis; real requests (passed and limited) and a TCP exchange; then the controller's `/metrics`, the
 * proxy's `/stats/prometheus` and the rate limit service's `/metrics` are scraped, and each name in each
 * panel's PromQL (test/support/promql.ts) must be in one of them.
 * A few families only count events this scenario does not cause (Kubernetes applies, Wasm fetches, NACKs, a
 * closed xDS stream, a translator panic): those must be declared (`# TYPE`), all others must have samples.
 *
 * Standalone mode runs the rate limit service without metrics; the chart runs it with `USE_PROMETHEUS=true` and
 * `PROMETHEUS_ADDR=:19001` (templates/ratelimit.yaml), so the test runs the same binary through a wrapper that
 * adds those two variables (and flushes its stats every second instead of every 10 s).
 * Needs Envoy, `bash scripts/install-ratelimit.sh` (ratelimit and redis-server).
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { dashboardQueries, loadDashboards, presence, sampleLabels, type Presence } from "../support/dashboards";
import { eventually, freePort, httpGet } from "../support/http";
import { startTcpEcho, tcpExchange, type TcpEcho } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml, routeYaml, tcpRouteYaml } from "../support/manifests";
import { parseExposition, type MetricFamily } from "../support/prometheus";
import { labelNames, metricNames } from "../support/promql";
import { ratelimitBinary, startRedis, type TestRedis } from "../support/ratelimit";
import { startTestGateway, type TestGateway } from "../support/standalone";

/**
 * Families that count only what this scenario does not cause; they must still be declared (a label-less one may
 * have a sample of 0, depending on the client library).
 */
const EVENT_ONLY = new Set([
  // Kubernetes infrastructure (standalone runs no applier).
  "resource_apply_total",
  "resource_apply_duration_seconds_bucket",
  "resource_delete_total",
  "resource_delete_duration_seconds_bucket",
  // No EnvoyExtensionPolicy wasm here.
  "wasm_cache_entries",
  "wasm_cache_lookup_total",
  "wasm_remote_fetch_total",
  // No update is NACKed, no xDS stream closes, no pass panics.
  "xds_nack_total",
  "xds_stream_duration_seconds_bucket",
  "watchable_panics_recovered_total",
]);

const POLICY = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: limit, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  healthCheck: { passive: { consecutive5XxErrors: 5, interval: 2s, baseEjectionTime: 30s } }
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{ headers: [{ name: x-user, type: Distinct }] }]
          limit: { requests: 3, unit: Hour }
`;

/** Labels Prometheus adds to every series of a target (service discovery), not in any scrape. */
const TARGET_LABELS = new Set(["namespace", "instance"]);

/** GETs `url` and parses the exposition. */
async function scrapeUrl(url: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return parseExposition(await res.text());
}

describe("Grafana dashboards against real scrapes (standalone egts, Envoy, ratelimit, Redis)", function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let backend: EchoBackend | undefined;
  let tcpBackend: TcpEcho | undefined;
  let t: TestGateway | undefined;
  let wrapperDir: string | undefined;
  const scrapes: Record<string, Map<string, MetricFamily>> = {};

  before(async () => {
    const binary = ratelimitBinary();
    redis = await startRedis();
    backend = await startEchoBackend({ name: "web" });
    tcpBackend = await startTcpEcho("tcp");
    const [port, tcpPort, metricsPort, statsPort, ratelimitMetricsPort, grpcPort, wildPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    wrapperDir = mkdtempSync(join(tmpdir(), "egts-dashboards-"));
    const wrapper = join(wrapperDir, "ratelimit");
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexport USE_PROMETHEUS=true PROMETHEUS_ADDR=127.0.0.1:${ratelimitMetricsPort} STATS_FLUSH_INTERVAL=1s\nexec '${binary}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    t = await startTestGateway(
      {
        // `http` has exact hosts only, so its routes are routing scopes (SRDS); `wild` has a wildcard host and stays
        // on its RouteConfiguration (RDS): the proxy has both layouts' stats (ADR 0031).
        "gateway.yaml": gatewayWithListenersYaml(
          [
            `    - { name: http, protocol: HTTP, port: ${port}, hostname: www.example.com }`,
            `    - { name: wild, protocol: HTTP, port: ${wildPort}, hostname: "*.wild.example.com" }`,
            `    - { name: tcp, protocol: TCP, port: ${tcpPort} }`,
          ].join("\n"),
        ),
        "routes.yaml": [
          backendYaml("web", backend.port),
          routeYaml("web", "www.example.com", "web"),
          routeYaml("wild", '"*.wild.example.com"', "web"),
          backendYaml("tcp", tcpBackend.port),
          tcpRouteYaml("tcp", "tcp", "tcp"),
        ].join("---\n"),
        "policy.yaml": POLICY,
      },
      {
        metrics: { port: metricsPort },
        proxyStatsPort: statsPort,
        rateLimit: { binary: wrapper, redisUrl: redis.url, grpcPort, timeoutMs: 1000, failClosed: false },
      },
    );
    const get = (user: string): Promise<number> =>
      httpGet(port, "www.example.com", "/", { headers: { "x-user": user } }).then((r) => r.status);
    await eventually(async () => (await get("warmup")) === 200, 20_000, "the route through the rate limit filter");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await get(`user-${i % 2}`));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429], "3 per user, then 429");
    assert.equal((await httpGet(port, "nowhere.example.com")).status, 404);
    assert.equal((await httpGet(wildPort, "a.wild.example.com")).status, 200, "the wildcard listener's route");
    await eventually(
      async () => (await tcpExchange(tcpPort, "hi").catch(() => "")) === "tcp:hi",
      10_000,
      "the TCPRoute",
    );

    const [proxy] = t.gw.runner?.list() ?? [];
    assert.ok(proxy, "the gateway runs a proxy");
    const statsUrl = await t.gw.runner?.statsUrl(proxy.name);
    assert.ok(statsUrl, `proxy ${proxy.name} serves stats`);
    const rlUrl = `http://127.0.0.1:${ratelimitMetricsPort}/metrics`;
    // Envoy merges histograms into its stats every 5 s; the service flushes its counters every second.
    await eventually(
      async () => {
        scrapes.proxy = await scrapeUrl(statsUrl);
        scrapes.ratelimit = await scrapeUrl(rlUrl);
        return (
          presence(scrapes.proxy, "envoy_cluster_upstream_rq_time_bucket") === "samples" &&
          presence(scrapes.ratelimit, "ratelimit_service_rate_limit_over_limit") === "samples"
        );
      },
      15_000,
      "Envoy's request time histogram and the service's over-limit counter in the scrapes",
      500,
    );
    scrapes.controller = await scrapeUrl(`http://127.0.0.1:${metricsPort}/metrics`);
  });

  after(async () => {
    await t?.close();
    await backend?.close();
    tcpBackend?.server.close();
    await redis?.stop();
    if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
  });

  /** Where each metric name is, over the three scrapes. */
  function find(name: string): { presence: Presence; in: string[] } {
    const found = Object.entries(scrapes).map(([source, s]) => [source, presence(s, name)] as const);
    const withSamples = found.filter(([, p]) => p === "samples").map(([s]) => s);
    if (withSamples.length > 0) return { presence: "samples", in: withSamples };
    const declared = found.filter(([, p]) => p === "declared").map(([s]) => s);
    return { presence: declared.length > 0 ? "declared" : "absent", in: declared };
  }

  it("every metric a panel or variable queries is in a real scrape (with samples unless it only counts events not caused here)", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const q of loadDashboards().flatMap(dashboardQueries))
      for (const name of metricNames(q.expr)) {
        checked++;
        const f = find(name);
        if (f.presence === "absent") problems.push(`${q.where}: ${name} is in no scrape`);
        else if (f.presence === "declared" && !EVENT_ONLY.has(name))
          problems.push(`${q.where}: ${name} is declared in ${f.in.join(", ")} but has no samples after traffic`);
      }
    assert.deepEqual(problems, []);
    assert.ok(checked > 100, `${checked} metric references checked`);
  });

  it("each event-only family is queried by a dashboard and declared before its first event", () => {
    const queried = new Set(
      loadDashboards()
        .flatMap(dashboardQueries)
        .flatMap((q) => metricNames(q.expr)),
    );
    for (const name of EVENT_ONLY) {
      assert.ok(queried.has(name), `${name} is listed here but no dashboard queries it`);
      assert.notEqual(find(name).presence, "absent", `${name} is declared by the controller`);
    }
  });

  it("every label a query matches, groups by or shows in its legend is on the real series of its metrics", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const q of loadDashboards().flatMap(dashboardQueries)) {
      const real = new Set<string>();
      for (const name of metricNames(q.expr))
        for (const s of Object.values(scrapes)) for (const l of sampleLabels(s, name)) real.add(l);
      // Families without samples here (EVENT_ONLY) have no labels to compare with.
      if (real.size === 0) continue;
      for (const label of new Set([...labelNames(q.expr), ...q.legendLabels])) {
        if (TARGET_LABELS.has(label)) continue;
        checked++;
        if (!real.has(label))
          problems.push(`${q.where}: label ${label} is on no series of ${metricNames(q.expr).join(", ")}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 50, `${checked} label references checked`);
  });

  it("the panels' label filters match real series: backend clusters, the rate limit domain and descriptor keys", () => {
    const clusters = scrapes.proxy
      ?.get("envoy_cluster_upstream_rq_total")
      ?.samples.map((s) => s.labels.envoy_cluster_name);
    assert.ok(
      clusters?.some((c) => c?.startsWith("backend/default/web/")),
      `a backend cluster in ${clusters?.join(", ")}`,
    );
    const hits = scrapes.ratelimit?.get("ratelimit_service_rate_limit_total_hits")?.samples ?? [];
    assert.ok(
      hits.some((s) => s.labels.domain && s.labels.key1 && s.labels.key2 && s.value >= 8),
      `total_hits with domain, key1, key2 counting the 8 requests: ${JSON.stringify(hits)}`,
    );
    const limited = scrapes.proxy?.get("envoy_cluster_ratelimit_over_limit")?.samples ?? [];
    assert.ok(
      limited.some((s) => s.value >= 2),
      "the proxy counted the two 429s",
    );
  });
});
