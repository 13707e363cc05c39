/**
 * The controller's HTTP endpoint on the metrics port (19001, as Envoy Gateway): `/healthz` (the process
 * answers), `/readyz` (200 once a translation pass completed after the initial sync; 503 with the reason
 * when the last pass failed or a snapshot waited too long for its pass, see health.ts) and `/metrics` (Prometheus
 * text: Envoy Gateway's control-plane families and the Node.js runtime from metrics/control-plane.ts, then egts's
 * own `egts_*` xDS counters per type, status writes, infra applies, leadership; docs/metrics.md lists them).
 * With the EnvoyGateway configuration's `telemetry.metrics.prometheus.disable`, `/metrics` answers 404 and the
 * health endpoints stay.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "../metrics/registry";
import type { XdsStats } from "../xds/server/types";
import type { Readiness } from "./health";

/** What `/metrics` reports; read at each scrape. */
export interface MetricsSource {
  /** xDS server counters. */
  readonly xds: () => XdsStats;
  /** Status writer counters. */
  readonly status: () => Readonly<Record<string, number>>;
  /** Infra applier totals. */
  readonly infra: () => Readonly<Record<string, number>>;
  /** Whether this replica leads. */
  readonly leader: () => boolean;
  /** Whether the pipeline is live (a pass completed, the last one succeeded), and why not. */
  readonly ready: () => Readiness;
  /** Envoy Gateway's families and the runtime's, rendered first. @default none */
  readonly registry?: Registry;
  /** `telemetry.metrics.prometheus.disable`: no `/metrics`. @default false */
  readonly prometheusDisabled?: boolean;
}

/** Prometheus text for the source. */
export function renderMetrics(m: MetricsSource): string {
  const lines: string[] = [];
  const counter = (name: string, help: string, rows: [Record<string, string>, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",");
      lines.push(`${name}${l ? `{${l}}` : ""} ${value}`);
    }
  };
  const xds = m.xds();
  const types = Object.entries(xds.types);
  counter(
    "egts_xds_responses_sent_total",
    "Delta xDS responses sent.",
    types.map(([t, c]) => [{ type: t }, c.responsesSent]),
  );
  counter(
    "egts_xds_resources_sent_total",
    "Resources sent in delta xDS responses.",
    types.map(([t, c]) => [{ type: t }, c.resourcesSent]),
  );
  counter(
    "egts_xds_acks_total",
    "ACKs received from Envoy.",
    types.map(([t, c]) => [{ type: t }, c.acks]),
  );
  counter(
    "egts_xds_nacks_total",
    "NACKs received from Envoy.",
    types.map(([t, c]) => [{ type: t }, c.nacks]),
  );
  counter(
    "egts_status_updates_total",
    "Status writer outcomes.",
    Object.entries(m.status()).map(([k, v]) => [{ outcome: k }, v]),
  );
  counter(
    "egts_infra_objects_total",
    "Infra applier outcomes.",
    Object.entries(m.infra()).map(([k, v]) => [{ outcome: k }, v]),
  );
  lines.push(
    "# HELP egts_xds_streams Open delta xDS streams.",
    "# TYPE egts_xds_streams gauge",
    `egts_xds_streams ${xds.streams}`,
  );
  lines.push(
    "# HELP egts_leader 1 while this replica leads.",
    "# TYPE egts_leader gauge",
    `egts_leader ${m.leader() ? 1 : 0}`,
  );
  return `${m.registry?.render() ?? ""}${lines.join("\n")}\n`;
}

/** Starts the endpoint on `port` (0 = any); resolves the server and its bound port. */
export function startMetricsServer(
  port: number,
  m: MetricsSource,
  host = "0.0.0.0",
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") return res.writeHead(200).end("ok\n");
    if (path === "/readyz") {
      const r = m.ready();
      return res.writeHead(r.ready ? 200 : 503).end(`${r.reason}\n`);
    }
    if (path === "/metrics" && !m.prometheusDisabled)
      return res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(renderMetrics(m));
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : port });
    });
  });
}
