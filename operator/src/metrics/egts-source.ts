/**
 * egts's own counters that other parts keep (the xDS server's per-type counts, the status writer's and the infra
 * applier's outcomes, leadership, readiness), as prom-client metrics read from their owners at each scrape.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { Readiness } from "../pipeline/health";
import type { XdsStats } from "../xds/server/types";

/** Where the `egts_*` values are read, at each scrape. */
export interface EgtsSource {
  /** xDS server counters. */
  readonly xds: () => XdsStats;
  /** Status writer counters, by outcome. */
  readonly status: () => Readonly<Record<string, number>>;
  /** Infra applier totals, by outcome. */
  readonly infra: () => Readonly<Record<string, number>>;
  /** Whether this replica leads. */
  readonly leader: () => boolean;
  /** What `/readyz` answers (the readiness probe): whether the pipeline is live. */
  readonly ready: () => Readiness;
}

/** A counter family on `r` whose series are the rows `read` returns at each scrape. */
function readCounter(r: Registry, name: string, help: string, label: string, read: () => [string, number][]): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [r],
    collect(): void {
      this.reset();
      for (const [value, n] of read()) this.inc({ [label]: value }, n);
    },
  });
}

/** A gauge family on `r` read at each scrape. */
function readGauge(r: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [r],
    collect(): void {
      this.set(read());
    },
  });
}

/** The `egts_*` families of `src` on a new registry (docs/metrics.md lists them). */
export function egtsRegistry(src: EgtsSource): Registry {
  const r = new Registry();
  const perType = (field: "responsesSent" | "resourcesSent" | "acks" | "nacks") => (): [string, number][] =>
    Object.entries(src.xds().types).map(([type, c]) => [type, c[field]]);
  readCounter(r, "egts_xds_responses_sent_total", "Delta xDS responses sent.", "type", perType("responsesSent"));
  readCounter(
    r,
    "egts_xds_resources_sent_total",
    "Resources sent in delta xDS responses.",
    "type",
    perType("resourcesSent"),
  );
  readCounter(r, "egts_xds_acks_total", "ACKs received from Envoy.", "type", perType("acks"));
  readCounter(r, "egts_xds_nacks_total", "NACKs received from Envoy.", "type", perType("nacks"));
  readCounter(r, "egts_status_updates_total", "Status writer outcomes.", "outcome", () => Object.entries(src.status()));
  readCounter(r, "egts_infra_objects_total", "Infra applier outcomes.", "outcome", () => Object.entries(src.infra()));
  readGauge(r, "egts_xds_streams", "Open delta xDS streams.", () => src.xds().streams);
  readGauge(r, "egts_leader", "1 while this replica leads.", () => (src.leader() ? 1 : 0));
  readGauge(r, "egts_ready", "1 while /readyz answers 200 (the pipeline is live), else 0.", () =>
    src.ready().ready ? 1 : 0,
  );
  return r;
}
