/**
 * The global rate limit dashboard: the rate limit service (envoyproxy/ratelimit), which the chart runs with
 * `USE_PROMETHEUS=true` on port 19001 (templates/ratelimit.yaml; its statsd stats mapped to Prometheus names by
 * the service's own mapping: `ratelimit_service_rate_limit_*{domain,key1,key2}`), and the proxies' side of the
 * calls (`envoy_cluster_ratelimit_*` per route cluster). It answers what Envoy Gateway's "Global Ratelimit"
 * dashboard answers (hits, near and over limit per descriptor, the service's memory and CPU) plus the service's
 * call rate and latency and what the proxies did with its answers.
 */
import { INTERNAL_CLUSTERS_MATCHER } from "./proxies";
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

const m = selectorWith(TARGET_MATCHERS);
const rule = selectorWith([...TARGET_MATCHERS, 'domain=~"$domain"']);
const proxies = selectorWith([INTERNAL_CLUSTERS_MATCHER]);
const BY_KEY = ["domain", "key1", "key2"];
const KEY = "{{domain}} {{key1}} {{key2}}";
/** Keeps the process series of the rate limit service's targets only (the controller has process_* too). */
const ofService = `and on (instance) ${m("ratelimit_service_config_load_success")}`;

const decisions: RowSpec = {
  title: "Decisions",
  panels: [
    stat("Hits per second", "reqps", "Descriptor hits counted by the service.", [
      { expr: `sum(rate(${rule("ratelimit_service_rate_limit_total_hits")}[$__rate_interval]))` },
    ]),
    stat("Over the limit", "percentunit", "Share of hits over their limit (answered 429 unless in shadow mode).", [
      {
        expr: `sum(rate(${rule("ratelimit_service_rate_limit_over_limit")}[$__rate_interval])) / sum(rate(${rule("ratelimit_service_rate_limit_total_hits")}[$__rate_interval]))`,
      },
    ]),
    stat("Near the limit", "percentunit", "Share of hits within their limit but above 80% of it.", [
      {
        expr: `sum(rate(${rule("ratelimit_service_rate_limit_near_limit")}[$__rate_interval])) / sum(rate(${rule("ratelimit_service_rate_limit_total_hits")}[$__rate_interval]))`,
      },
    ]),
    stat("Configuration loads", "short", "Rate limit configurations the service loaded from the controller (xDS).", [
      { expr: `sum(${m("ratelimit_service_config_load_success")})` },
    ]),
    timeseries(
      "Hits per second by descriptor",
      "reqps",
      "Hits per domain and descriptor (key1, key2: the rule's keys).",
      [{ expr: sumRate(rule("ratelimit_service_rate_limit_total_hits"), BY_KEY), legend: KEY }],
    ),
    timeseries("Over the limit per second by descriptor", "reqps", "Hits over their limit per domain and descriptor.", [
      { expr: sumRate(rule("ratelimit_service_rate_limit_over_limit"), BY_KEY), legend: KEY },
    ]),
    timeseries(
      "Within the limit per second by descriptor",
      "reqps",
      "Hits within their limit per domain and descriptor.",
      [{ expr: sumRate(rule("ratelimit_service_rate_limit_within_limit"), BY_KEY), legend: KEY }],
    ),
    timeseries(
      "Near the limit per second by descriptor",
      "reqps",
      "Hits above 80% of their limit per domain and descriptor.",
      [{ expr: sumRate(rule("ratelimit_service_rate_limit_near_limit"), BY_KEY), legend: KEY }],
    ),
  ],
};

const service: RowSpec = {
  title: "Rate limit service",
  panels: [
    timeseries("Calls per second", "reqps", "ShouldRateLimit calls from the proxies, per instance.", [
      {
        expr: sumRate(m("ratelimit_service_total_requests"), ["instance", "grpc_method"]),
        legend: "{{instance}} {{grpc_method}}",
      },
    ]),
    timeseries(
      "Call duration",
      "s",
      "Time the service takes to answer ShouldRateLimit (Redis round trips included).",
      quantiles(m("ratelimit_service_response_time_seconds_bucket"), []),
    ),
    timeseries("Redis connections", "short", "Connections open from each instance to Redis.", [
      { expr: `sum by (instance) (${m("ratelimit_redis_pool_cx_active")})`, legend: "{{instance}}" },
    ]),
    timeseries("Memory", "bytes", "Resident memory of each instance.", [
      { expr: `sum by (instance) (${m("process_resident_memory_bytes")} ${ofService})`, legend: "{{instance}}" },
    ]),
    timeseries("CPU", "short", "CPU seconds per second (cores) used by each instance.", [
      {
        expr: `sum by (instance) (rate(${m("process_cpu_seconds_total")}[$__rate_interval]) ${ofService})`,
        legend: "{{instance}}",
      },
    ]),
    timeseries("Goroutines", "short", "Goroutines of each instance.", [
      { expr: `sum by (instance) (${m("ratelimit_go_numGoroutine")})`, legend: "{{instance}}" },
    ]),
  ],
};

const proxySide: RowSpec = {
  title: "Proxies' answers",
  panels: [
    timeseries(
      "Allowed per second",
      "reqps",
      "Requests the proxies let through after asking the service, per route cluster.",
      [
        {
          expr: sumRate(proxies("envoy_cluster_ratelimit_ok"), ["envoy_cluster_name"]),
          legend: "{{envoy_cluster_name}}",
        },
      ],
    ),
    timeseries(
      "Limited per second",
      "reqps",
      "Requests the proxies answered 429 because the service said over limit.",
      [
        {
          expr: sumRate(proxies("envoy_cluster_ratelimit_over_limit"), ["envoy_cluster_name"]),
          legend: "{{envoy_cluster_name}}",
        },
      ],
    ),
  ],
};

/** The global rate limit dashboard. */
export const RATELIMIT: DashboardSpec = {
  uid: "egts-global-ratelimit",
  title: "egts / Global rate limit",
  description: "The global rate limit service (envoyproxy/ratelimit) and the proxies' rate limit decisions.",
  variables: [
    ...targetVariables("ratelimit_service_config_load_success"),
    {
      name: "domain",
      label: "Domain",
      selector: `ratelimit_service_rate_limit_total_hits{namespace=~"$namespace", instance=~"$instance"}`,
      labelName: "domain",
    },
  ],
  rows: [decisions, service, proxySide],
};
