/**
 * The controller's HTTP endpoint on the metrics port (19001, as Envoy Gateway): `/healthz` (the process
 * answers), `/readyz` (200 once a translation pass completed after the initial sync; 503 with the reason
 * when the last pass failed or a snapshot waited too long for its pass, see health.ts) and `/metrics` (Prometheus
 * text rendered by prom-client: Envoy Gateway's control-plane families and the Node.js runtime from
 * metrics/control-plane.ts, then egts's own `egts_*` xDS counters per type, status writes, infra applies,
 * leadership, readiness from metrics/egts-source.ts; docs/metrics.md lists them).
 * With the EnvoyGateway configuration's `telemetry.metrics.prometheus.disable`, `/metrics` answers 404 and the
 * health endpoints stay. The same families go to `telemetry.metrics.sinks` (metrics/otel-sinks.ts) through
 * {@link metricsRegistry}. The controller also serves the health endpoints alone on Envoy Gateway's probe port
 * (health-server.ts).
 */
import { createServer, type Server } from "node:http";
import { Registry } from "prom-client";
import { egtsRegistry, type EgtsSource } from "../metrics/egts-source";
import { answerHealth, listenOn } from "./health-server";

/** What `/metrics` reports; read at each scrape. */
export interface MetricsSource extends EgtsSource {
  /** Envoy Gateway's families and the runtime's, rendered first. @default none */
  readonly registry?: Registry;
  /** `telemetry.metrics.prometheus.disable`: no `/metrics`. @default false */
  readonly prometheusDisabled?: boolean;
}

/** Every family of `m` on one registry: Envoy Gateway's and the runtime's first, then egts's own. */
export function metricsRegistry(m: MetricsSource): Registry {
  return Registry.merge([...(m.registry ? [m.registry] : []), egtsRegistry(m)]);
}

/** Starts the endpoint on `port` (0 = any); resolves the server and its bound port. */
export function startMetricsServer(
  port: number,
  m: MetricsSource,
  host = "0.0.0.0",
  registry = metricsRegistry(m),
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (answerHealth(req, res, () => m.ready())) return;
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics" && !m.prometheusDisabled) {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
      );
      return;
    }
    res.writeHead(404).end();
  });
  return listenOn(server, port, host).then((bound) => ({ server, port: bound }));
}
