/**
 * The control-plane dashboard: the controller's `/metrics` (docs/metrics.md): Envoy Gateway's families
 * (`watchable_*`, `status_update_*`, `xds_*`, `resource_*`, `wasm_*`), egts's own (`egts_*`) and the Node.js
 * process. It answers what Envoy Gateway's "Envoy Gateway Global" dashboard answers (is translation keeping up,
 * are statuses written, are snapshots built and accepted, are proxy objects applied) plus how long a change
 * takes to reach the proxies.
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

const m = selectorWith(TARGET_MATCHERS);

const overview: RowSpec = {
  title: "Overview",
  panels: [
    stat("Uptime", "s", "Time since each controller process started.", [
      { expr: `time() - max by (instance) (${m("process_start_time_seconds")})`, legend: "{{instance}}" },
    ]),
    stat("Leader", "short", "1 on the replica that holds the leader lease (writes statuses and infrastructure).", [
      { expr: `max by (instance) (${m("egts_leader")})`, legend: "{{instance}}" },
    ]),
    stat("Open xDS streams", "short", "Delta xDS streams open from proxies to the controllers.", [
      { expr: `sum(${m("egts_xds_streams")})` },
    ]),
    stat("Queued jobs", "short", "Snapshots and re-translations waiting for the translation pass.", [
      { expr: `sum(${m("watchable_depth")})` },
    ]),
  ],
};

const translation: RowSpec = {
  title: "Translation (runners)",
  panels: [
    timeseries("Handled per second", "ops", "Passes and infrastructure reconciles per runner, by outcome.", [
      {
        expr: sumRate(m("watchable_subscribe_total"), ["runner", "message", "status"]),
        legend: "{{runner}} {{message}} {{status}}",
      },
    ]),
    timeseries(
      "Handling duration",
      "s",
      "Time of one pass or reconcile per runner.",
      quantiles(m("watchable_subscribe_duration_seconds_bucket"), ["runner"], "{{runner}} "),
    ),
    timeseries(
      "Translate duration",
      "s",
      "Time one pass spends translating Gateway API resources and building xDS (egts).",
      quantiles(m("egts_translate_duration_seconds_bucket"), []),
    ),
    timeseries("Published per second", "ops", "Snapshots and IR published per runner and message.", [
      { expr: sumRate(m("watchable_publish_total"), ["runner", "message"]), legend: "{{runner}} {{message}}" },
    ]),
    timeseries("Queue depth", "short", "Jobs waiting per runner.", [
      { expr: `sum by (runner, message) (${m("watchable_depth")})`, legend: "{{runner}} {{message}}" },
    ]),
    timeseries(
      "Recovered panics",
      "short",
      "Passes that threw (a translator bug; the last good configuration keeps serving).",
      [
        {
          expr: `sum by (runner) (increase(${m("watchable_panics_recovered_total")}[$__rate_interval]))`,
          legend: "{{runner}}",
        },
      ],
    ),
  ],
};

const statusUpdates: RowSpec = {
  title: "Status updates",
  panels: [
    timeseries(
      "Status updates per second",
      "ops",
      "Status writes per kind, by outcome (success, no_action, failure).",
      [{ expr: sumRate(m("status_update_total"), ["kind", "status"]), legend: "{{kind}} {{status}}" }],
    ),
    timeseries(
      "Status update duration (p99)",
      "s",
      "Time of one status write per kind.",
      quantiles(m("status_update_duration_seconds_bucket"), ["kind"], "{{kind}} ", [0.99]),
    ),
  ],
};

const xds: RowSpec = {
  title: "xDS",
  panels: [
    timeseries(
      "Snapshots built per second",
      "ops",
      "Per pass, the proxies whose xDS resources were built, by outcome.",
      [{ expr: sumRate(m("xds_snapshot_create_total"), ["status"]), legend: "{{status}}" }],
    ),
    timeseries(
      "Snapshot updates per second",
      "ops",
      "Effective changes of a proxy's xDS resources, per proxy (node).",
      [{ expr: sumRate(m("xds_snapshot_update_total"), ["nodeID", "status"]), legend: "{{nodeID}} {{status}}" }],
    ),
    timeseries(
      "Propagation to the proxies",
      "s",
      "From a change reaching the controller to every proxy's ACK of it (egts).",
      quantiles(m("egts_propagation_duration_seconds_bucket"), []),
    ),
    timeseries("NACKs", "short", "Updates a proxy rejected, per proxy and resource type.", [
      {
        expr: `sum by (nodeID, typeURL) (increase(${m("xds_nack_total")}[$__rate_interval]))`,
        legend: "{{nodeID}} {{typeURL}}",
      },
    ]),
    timeseries("Responses and ACKs per second", "ops", "Delta xDS responses sent and ACKs received, per type (egts).", [
      { expr: sumRate(m("egts_xds_responses_sent_total"), ["type"]), legend: "sent {{type}}" },
      { expr: sumRate(m("egts_xds_acks_total"), ["type"]), legend: "ACK {{type}}" },
    ]),
    timeseries(
      "Stream lifetime",
      "s",
      "How long closed xDS streams lasted (short lifetimes: proxies reconnecting).",
      quantiles(m("xds_stream_duration_seconds_bucket"), [], "", [0.5, 0.99]),
    ),
  ],
};

const infrastructure: RowSpec = {
  title: "Infrastructure (Kubernetes)",
  panels: [
    timeseries("Applies per second", "ops", "Server-side applies of proxy objects, per kind and outcome.", [
      { expr: sumRate(m("resource_apply_total"), ["kind", "status"]), legend: "{{kind}} {{status}}" },
    ]),
    timeseries(
      "Apply duration (p99)",
      "s",
      "Time of one apply per kind.",
      quantiles(m("resource_apply_duration_seconds_bucket"), ["kind"], "{{kind}} ", [0.99]),
    ),
    timeseries("Deletes per second", "ops", "Proxy objects pruned, per kind and outcome.", [
      { expr: sumRate(m("resource_delete_total"), ["kind", "status"]), legend: "{{kind}} {{status}}" },
    ]),
    timeseries(
      "Delete duration (p99)",
      "s",
      "Time of one delete per kind.",
      quantiles(m("resource_delete_duration_seconds_bucket"), ["kind"], "{{kind}} ", [0.99]),
    ),
  ],
};

const wasm: RowSpec = {
  title: "Wasm modules",
  panels: [
    stat("Cached modules", "short", "Wasm modules held by the module cache.", [
      { expr: `sum(${m("wasm_cache_entries")})` },
    ]),
    timeseries(
      "Cache lookups per second",
      "ops",
      "Disk cache lookups, hits and misses.",
      [{ expr: sumRate(m("wasm_cache_lookup_total"), ["hit"]), legend: "hit={{hit}}" }],
      9,
    ),
    timeseries(
      "Remote fetches per second",
      "ops",
      "Fetches of Wasm modules (HTTP or OCI image), by outcome.",
      [{ expr: sumRate(m("wasm_remote_fetch_total"), ["status", "reason"]), legend: "{{status}} {{reason}}" }],
      9,
    ),
  ],
};

const processRow: RowSpec = {
  title: "Process",
  panels: [
    timeseries("CPU", "short", "CPU seconds per second (cores) used by each controller.", [
      { expr: sumRate(m("process_cpu_seconds_total"), ["instance"]), legend: "{{instance}}" },
    ]),
    timeseries("Memory", "bytes", "Resident memory and V8 heap in use of each controller.", [
      { expr: `sum by (instance) (${m("process_resident_memory_bytes")})`, legend: "{{instance}} resident" },
      { expr: `sum by (instance) (${m("nodejs_heap_size_used_bytes")})`, legend: "{{instance}} heap used" },
    ]),
    timeseries(
      "Event loop lag (p99)",
      "s",
      "How late the Node.js event loop runs timers: high values delay every stage.",
      [{ expr: `max by (instance) (${m("nodejs_eventloop_lag_p99_seconds")})`, legend: "{{instance}}" }],
    ),
    timeseries("Garbage collection", "percentunit", "Share of time spent in garbage collection, per kind.", [
      { expr: sumRate(m("nodejs_gc_duration_seconds_sum"), ["instance", "kind"]), legend: "{{instance}} {{kind}}" },
    ]),
  ],
};

/** The control-plane dashboard. */
export const CONTROL_PLANE: DashboardSpec = {
  uid: "egts-control-plane",
  title: "egts / Control plane",
  description: "The egts controller: translation, status updates, xDS, infrastructure, Wasm cache, process.",
  variables: targetVariables("watchable_depth"),
  rows: [overview, translation, statusUpdates, xds, infrastructure, wasm, processRow],
};
