/**
 * The proxies dashboard: every Envoy proxy's `/stats/prometheus` (port 19001), the whole fleet at a glance —
 * the questions of Envoy Gateway's "Envoy Global" dashboard: are the proxies up and connected, how much traffic
 * comes in and goes out, with which status codes and latency, are the backends' endpoints healthy, does Envoy
 * accept its configuration.
 */
import { ADMIN_CLUSTER, STATS_LISTENER, XDS_CLUSTER } from "../infra/bootstrap";
import { WASM_CLUSTER } from "../ir/wasm-ir";
import { RATE_LIMIT_CLUSTER } from "../translate/policies/backend-traffic";
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

/** Clusters of the proxy's own plumbing (not backends): left out of the upstream panels. */
export const INTERNAL_CLUSTERS_MATCHER = `envoy_cluster_name!~"${[XDS_CLUSTER, ADMIN_CLUSTER, RATE_LIMIT_CLUSTER, WASM_CLUSTER].join("|")}"`;

/** HTTP connection managers of the proxy's own listeners (admin, stats, readiness): left out of client traffic. */
export const INTERNAL_HCM_MATCHER = `envoy_http_conn_manager_prefix!~"admin|${STATS_LISTENER.replace(/-stats$/, "")}-.*"`;

const m = selectorWith(TARGET_MATCHERS);
const down = (metric: string): string => m(metric, INTERNAL_HCM_MATCHER);
const up = (metric: string): string => m(metric, INTERNAL_CLUSTERS_MATCHER);

const server: RowSpec = {
  title: "Proxies",
  panels: [
    stat("Live proxies", "short", "Proxies whose server is live (envoy_server_live).", [
      { expr: `sum(${m("envoy_server_live")})` },
    ]),
    stat("Connected to the control plane", "short", "Proxies whose xDS stream to the controller is up.", [
      { expr: `sum(${m("envoy_control_plane_connected_state")})` },
    ]),
    stat("Youngest uptime", "s", "Uptime of the most recently (re)started proxy.", [
      { expr: `min(${m("envoy_server_uptime")})` },
    ]),
    stat(
      "Days until the first certificate expires",
      "short",
      "Over all proxies, the fewest days before a certificate Envoy serves or uses expires.",
      [{ expr: `min(${m("envoy_server_days_until_first_cert_expiring")})` }],
    ),
    timeseries("Memory", "bytes", "Memory allocated by and heap size of each proxy.", [
      { expr: `sum by (instance) (${m("envoy_server_memory_allocated")})`, legend: "{{instance}} allocated" },
      { expr: `sum by (instance) (${m("envoy_server_memory_heap_size")})`, legend: "{{instance}} heap" },
    ]),
    timeseries("Connections", "short", "Client connections open on each proxy's listeners.", [
      { expr: `sum by (instance) (${down("envoy_http_downstream_cx_active")})`, legend: "{{instance}}" },
    ]),
  ],
};

const downstream: RowSpec = {
  title: "Client traffic (downstream)",
  panels: [
    timeseries("Requests per second", "reqps", "HTTP requests received, per proxy.", [
      { expr: sumRate(down("envoy_http_downstream_rq_total"), ["instance"]), legend: "{{instance}}" },
    ]),
    timeseries("Responses per second by class", "reqps", "HTTP responses sent to clients, by status class.", [
      {
        expr: sumRate(down("envoy_http_downstream_rq_xx"), ["envoy_response_code_class"]),
        legend: "{{envoy_response_code_class}}xx",
      },
    ]),
    timeseries(
      "Request duration",
      "ms",
      "From the first byte received from the client to the last byte sent to it.",
      quantiles(down("envoy_http_downstream_rq_time_bucket"), []),
    ),
    timeseries("New connections per second", "cps", "Client connections accepted, per proxy.", [
      { expr: sumRate(down("envoy_http_downstream_cx_total"), ["instance"]), legend: "{{instance}}" },
    ]),
    timeseries("Bytes per second", "Bps", "Bytes received from and sent to clients.", [
      { expr: `sum(rate(${down("envoy_http_downstream_cx_rx_bytes_total")}[$__rate_interval]))`, legend: "received" },
      { expr: `sum(rate(${down("envoy_http_downstream_cx_tx_bytes_total")}[$__rate_interval]))`, legend: "sent" },
    ]),
  ],
};

const tcp: RowSpec = {
  title: "TCP traffic (TCPRoute, TLS passthrough)",
  panels: [
    timeseries("TCP connections per second", "cps", "Connections accepted by TCP proxies, per proxy.", [
      { expr: sumRate(m("envoy_tcp_downstream_cx_total"), ["instance"]), legend: "{{instance}}" },
    ]),
    timeseries("TCP bytes per second", "Bps", "Bytes received from and sent to TCP clients.", [
      { expr: `sum(rate(${m("envoy_tcp_downstream_cx_rx_bytes_total")}[$__rate_interval]))`, legend: "received" },
      { expr: `sum(rate(${m("envoy_tcp_downstream_cx_tx_bytes_total")}[$__rate_interval]))`, legend: "sent" },
    ]),
  ],
};

const upstream: RowSpec = {
  title: "Backend traffic (upstream)",
  panels: [
    timeseries("Requests per second", "reqps", "Requests sent to backends, per proxy.", [
      { expr: sumRate(up("envoy_cluster_upstream_rq_total"), ["instance"]), legend: "{{instance}}" },
    ]),
    timeseries("Responses per second by class", "reqps", "Backend responses, by status class.", [
      {
        expr: sumRate(up("envoy_cluster_upstream_rq_xx"), ["envoy_response_code_class"]),
        legend: "{{envoy_response_code_class}}xx",
      },
    ]),
    timeseries(
      "Backend response time",
      "ms",
      "From the request sent to a backend to its whole response received.",
      quantiles(up("envoy_cluster_upstream_rq_time_bucket"), []),
    ),
    timeseries("Connections", "short", "Connections open to backends, per proxy.", [
      { expr: `sum by (instance) (${up("envoy_cluster_upstream_cx_active")})`, legend: "{{instance}}" },
    ]),
    timeseries("Bytes per second", "Bps", "Bytes received from and sent to backends.", [
      { expr: `sum(rate(${up("envoy_cluster_upstream_cx_rx_bytes_total")}[$__rate_interval]))`, legend: "received" },
      { expr: `sum(rate(${up("envoy_cluster_upstream_cx_tx_bytes_total")}[$__rate_interval]))`, legend: "sent" },
    ]),
    timeseries("Healthy endpoints", "percentunit", "Share of backend endpoints that are healthy, per proxy.", [
      {
        expr: `sum by (instance) (${up("envoy_cluster_membership_healthy")}) / sum by (instance) (${up("envoy_cluster_membership_total")})`,
        legend: "{{instance}}",
      },
    ]),
  ],
};

const configuration: RowSpec = {
  title: "Configuration (xDS)",
  panels: [
    timeseries(
      "Rejected updates",
      "short",
      "Listener, route (RDS and scoped RDS) and cluster updates Envoy rejected (the controller's NACKs).",
      [
        {
          expr: `sum(increase(${m("envoy_listener_manager_lds_update_rejected")}[$__rate_interval]))`,
          legend: "listeners",
        },
        { expr: `sum(increase(${m("envoy_http_rds_update_rejected")}[$__rate_interval]))`, legend: "routes" },
        {
          // The scoped route layout (ADR 0031): routing scopes over SRDS.
          expr: `sum(increase(${m("envoy_http_scoped_rds_update_rejected")}[$__rate_interval]))`,
          legend: "route scopes",
        },
        {
          expr: `sum(increase(${m("envoy_cluster_manager_cds_update_rejected")}[$__rate_interval]))`,
          legend: "clusters",
        },
      ],
    ),
    timeseries("Listeners and clusters", "short", "Active and warming listeners and clusters, per proxy.", [
      {
        expr: `sum by (instance) (${m("envoy_listener_manager_total_listeners_active")})`,
        legend: "{{instance}} listeners",
      },
      {
        expr: `sum by (instance) (${m("envoy_listener_manager_total_listeners_warming")})`,
        legend: "{{instance}} warming listeners",
      },
      { expr: `sum by (instance) (${m("envoy_cluster_manager_active_clusters")})`, legend: "{{instance}} clusters" },
      {
        expr: `sum by (instance) (${m("envoy_cluster_manager_warming_clusters")})`,
        legend: "{{instance}} warming clusters",
      },
    ]),
  ],
};

/** The proxies dashboard. */
export const PROXIES: DashboardSpec = {
  uid: "egts-envoy-proxies",
  title: "egts / Envoy proxies",
  description: "All Envoy proxies: liveness, client and backend traffic, endpoint health, configuration updates.",
  variables: targetVariables("envoy_server_live"),
  rows: [server, downstream, tcp, upstream, configuration],
};
