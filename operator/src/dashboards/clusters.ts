/**
 * The clusters dashboard: the proxies' stats per Envoy cluster, one cluster per backend (`service/<ns>/<name>/
 * <port>/<protocol>`, `backend/...`), the questions of Envoy Gateway's "Envoy Clusters" dashboard: which backends
 * have unhealthy or ejected endpoints, how much traffic each gets, with which status codes and latency, and where
 * connections fail, requests retry or time out, circuit breakers open.
 */
import {
  quantiles,
  selectorWith,
  stat,
  sumRate,
  TARGET_MATCHERS,
  targetVariables,
  timeseries,
  type DashboardSpec,
  type RowSpec,
} from "./model";
import { INTERNAL_CLUSTERS_MATCHER } from "./proxies";

const m = selectorWith([...TARGET_MATCHERS, 'envoy_cluster_name=~"$cluster"', INTERNAL_CLUSTERS_MATCHER]);
const BY_CLUSTER = ["envoy_cluster_name"];
const CLUSTER = "{{envoy_cluster_name}}";

const health: RowSpec = {
  title: "Endpoint health",
  panels: [
    stat("Endpoints", "short", "Endpoints of the selected clusters, over all proxies.", [
      { expr: `sum(${m("envoy_cluster_membership_total")})` },
    ]),
    stat("Healthy endpoints", "short", "Endpoints that are healthy (active and passive health checks).", [
      { expr: `sum(${m("envoy_cluster_membership_healthy")})` },
    ]),
    stat("Clusters with unhealthy endpoints", "short", "Clusters where some endpoint is not healthy.", [
      {
        expr: `count((sum by (envoy_cluster_name) (${m("envoy_cluster_membership_total")}) - sum by (envoy_cluster_name) (${m("envoy_cluster_membership_healthy")})) > 0) or vector(0)`,
      },
    ]),
    stat(
      "Ejected endpoints",
      "short",
      "Endpoints ejected by outlier detection (BackendTrafficPolicy healthCheck.passive).",
      [{ expr: `sum(${m("envoy_cluster_outlier_detection_ejections_active")}) or vector(0)` }],
    ),
    timeseries("Unhealthy endpoints", "short", "Endpoints not healthy, per cluster.", [
      {
        expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_membership_total")}) - sum by (envoy_cluster_name) (${m("envoy_cluster_membership_healthy")})`,
        legend: CLUSTER,
      },
    ]),
    timeseries(
      "Degraded and excluded endpoints",
      "short",
      "Endpoints degraded or excluded from load balancing, per cluster.",
      [
        {
          expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_membership_degraded")})`,
          legend: `${CLUSTER} degraded`,
        },
        {
          expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_membership_excluded")})`,
          legend: `${CLUSTER} excluded`,
        },
      ],
    ),
  ],
};

const traffic: RowSpec = {
  title: "Requests",
  panels: [
    timeseries("Requests per second", "reqps", "Requests sent to each cluster.", [
      { expr: sumRate(m("envoy_cluster_upstream_rq_total"), BY_CLUSTER), legend: CLUSTER },
    ]),
    timeseries("Responses per second by class", "reqps", "Responses of each cluster, by status class.", [
      {
        expr: sumRate(m("envoy_cluster_upstream_rq_xx"), ["envoy_cluster_name", "envoy_response_code_class"]),
        legend: `${CLUSTER} {{envoy_response_code_class}}xx`,
      },
    ]),
    timeseries(
      "Response time",
      "ms",
      "p50 and p99 of each cluster's response time.",
      quantiles(m("envoy_cluster_upstream_rq_time_bucket"), BY_CLUSTER, `${CLUSTER} `, [0.5, 0.99]),
    ),
    timeseries("Requests in flight", "short", "Active and pending (waiting for a connection) requests per cluster.", [
      { expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_upstream_rq_active")})`, legend: `${CLUSTER} active` },
      {
        expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_upstream_rq_pending_active")})`,
        legend: `${CLUSTER} pending`,
      },
    ]),
    timeseries("Bytes per second", "Bps", "Bytes received from and sent to each cluster.", [
      { expr: sumRate(m("envoy_cluster_upstream_cx_rx_bytes_total"), BY_CLUSTER), legend: `${CLUSTER} received` },
      { expr: sumRate(m("envoy_cluster_upstream_cx_tx_bytes_total"), BY_CLUSTER), legend: `${CLUSTER} sent` },
    ]),
    timeseries(
      "Retries and timeouts per second",
      "reqps",
      "Retried requests and requests that timed out, per cluster.",
      [
        { expr: sumRate(m("envoy_cluster_upstream_rq_retry"), BY_CLUSTER), legend: `${CLUSTER} retries` },
        { expr: sumRate(m("envoy_cluster_upstream_rq_timeout"), BY_CLUSTER), legend: `${CLUSTER} timeouts` },
        { expr: sumRate(m("envoy_cluster_upstream_rq_rx_reset"), BY_CLUSTER), legend: `${CLUSTER} reset by backend` },
      ],
    ),
  ],
};

const connections: RowSpec = {
  title: "Connections",
  panels: [
    timeseries("Open connections", "short", "Connections open to each cluster.", [
      { expr: `sum by (envoy_cluster_name) (${m("envoy_cluster_upstream_cx_active")})`, legend: CLUSTER },
    ]),
    timeseries("New connections per second", "cps", "Connections opened to each cluster.", [
      { expr: sumRate(m("envoy_cluster_upstream_cx_total"), BY_CLUSTER), legend: CLUSTER },
    ]),
    timeseries(
      "Connect time",
      "ms",
      "p50 and p99 of the time to connect to each cluster.",
      quantiles(m("envoy_cluster_upstream_cx_connect_ms_bucket"), BY_CLUSTER, `${CLUSTER} `, [0.5, 0.99]),
    ),
    timeseries("Connection failures per second", "cps", "Connect failures and connect timeouts per cluster.", [
      { expr: sumRate(m("envoy_cluster_upstream_cx_connect_fail"), BY_CLUSTER), legend: `${CLUSTER} failed` },
      { expr: sumRate(m("envoy_cluster_upstream_cx_connect_timeout"), BY_CLUSTER), legend: `${CLUSTER} timed out` },
    ]),
    timeseries(
      "Circuit breakers open",
      "short",
      "1 while a circuit breaker (BackendTrafficPolicy circuitBreaker) is open.",
      [
        {
          expr: `max by (envoy_cluster_name) (${m("envoy_cluster_circuit_breakers_default_cx_open")})`,
          legend: `${CLUSTER} connections`,
        },
        {
          expr: `max by (envoy_cluster_name) (${m("envoy_cluster_circuit_breakers_default_rq_open")})`,
          legend: `${CLUSTER} requests`,
        },
        {
          expr: `max by (envoy_cluster_name) (${m("envoy_cluster_circuit_breakers_default_rq_pending_open")})`,
          legend: `${CLUSTER} pending`,
        },
      ],
    ),
    timeseries("Overflows per second", "reqps", "Requests refused by a circuit breaker's limits, per cluster.", [
      { expr: sumRate(m("envoy_cluster_upstream_rq_pending_overflow"), BY_CLUSTER), legend: `${CLUSTER} pending` },
      { expr: sumRate(m("envoy_cluster_upstream_cx_overflow"), BY_CLUSTER), legend: `${CLUSTER} connections` },
    ]),
  ],
};

/** The clusters dashboard. */
export const CLUSTERS: DashboardSpec = {
  uid: "egts-envoy-clusters",
  title: "egts / Envoy clusters",
  description: "Per backend cluster over the selected proxies: endpoint health, requests, connections, resilience.",
  variables: [
    ...targetVariables("envoy_cluster_membership_total"),
    {
      name: "cluster",
      label: "Cluster",
      selector: `envoy_cluster_membership_total{namespace=~"$namespace", instance=~"$instance", ${INTERNAL_CLUSTERS_MATCHER}}`,
      labelName: "envoy_cluster_name",
    },
  ],
  rows: [health, traffic, connections],
};
