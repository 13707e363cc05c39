/**
 * Prometheus and promtool for the alerting-rule tests, built from Prometheus's Go module by
 * `bash scripts/install-prometheus.sh` (a missing binary fails the test with that step); the chart's alerting
 * rules rendered by `helm template` (so the tests check what the chart ships); and a real Prometheus server on a
 * free loopback port that scrapes given targets and evaluates those rules, queried over its HTTP API.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { findKubeTools } from "../../e2e/harness";
import { loadEnv } from "../../operator/src/config/env";
import { repoRoot } from "./golden";
import { eventually, freePort } from "./http";

/** Also pinned in scripts/install-prometheus.sh: change both together. */
const PROMETHEUS_VERSION = "v0.316.0";

/** The `prometheus` or `promtool` binary; throws naming the install step when it is missing. */
export function prometheusBinary(name: "prometheus" | "promtool", cacheDir = loadEnv().cacheDir): string {
  const bin = join(cacheDir, `prometheus-${PROMETHEUS_VERSION}`, "bin", name);
  if (!existsSync(bin))
    throw new Error(`${name} is not installed at ${bin}: run \`bash scripts/install-prometheus.sh\``);
  return bin;
}

/**
 * `helm template` of the chart's PrometheusRule with `prometheusRule.enabled=true` and `set` (strings as `--set`,
 * numbers as `--set-json`: helm reads `--set k=0.9` as a string).
 */
export function renderPrometheusRule(set: Readonly<Record<string, string | number>> = {}): string {
  const pairs = Object.entries({ "prometheusRule.enabled": "true", ...set }).flatMap(([k, v]) =>
    typeof v === "number" ? ["--set-json", `${k}=${v}`] : ["--set", `${k}=${v}`],
  );
  return execFileSync(
    findKubeTools().helm,
    ["template", "egts", join(repoRoot(), "helm", "egts"), "-s", "templates/prometheus-rule.yaml", ...pairs],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** The rules file Prometheus loads (`groups:`), from the PrometheusRule's spec. */
export function rulesFileOf(prometheusRule: string): string {
  const rule = parse(prometheusRule) as { kind?: string; spec?: { groups?: unknown[] } };
  if (rule?.kind !== "PrometheusRule" || !rule.spec?.groups)
    throw new Error(`not a PrometheusRule:\n${prometheusRule}`);
  return stringify({ groups: rule.spec.groups }, { lineWidth: 0 });
}

/** One alert as Prometheus's `/api/v1/alerts` lists it. */
export interface ActiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: "pending" | "firing";
  readonly value: string;
}

/** A running Prometheus server. */
export interface TestPrometheus {
  /** Its HTTP port on 127.0.0.1. */
  readonly port: number;
  /** Active (pending or firing) alerts. */
  alerts(): Promise<ActiveAlert[]>;
  /** The value of an instant query's first sample (undefined: empty result). */
  query(expr: string): Promise<number | undefined>;
  /** Its log (stderr), for failure messages. */
  log(): string;
  /** Stops it and removes its storage. */
  stop(): Promise<void>;
}

/** GETs a Prometheus API path and returns its `data`. */
async function api<T>(port: number, path: string): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = (await r.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`GET ${path}: ${body.error ?? r.status}`);
  return body.data;
}

/**
 * Starts Prometheus scraping `targets` (one job each: `job` → `127.0.0.1:<port>`) and evaluating `rules` (a rules
 * file) every `intervalSeconds`; resolves once it is ready.
 */
export async function startPrometheus(o: {
  readonly targets: readonly { readonly job: string; readonly port: number }[];
  readonly rules: string;
  readonly intervalSeconds: number;
}): Promise<TestPrometheus> {
  const bin = prometheusBinary("prometheus");
  const dir = await mkdtemp(join(tmpdir(), "egts-prometheus-"));
  const port = await freePort();
  const interval = `${o.intervalSeconds}s`;
  await writeFile(join(dir, "rules.yaml"), o.rules);
  await writeFile(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: [join(dir, "rules.yaml")],
      scrape_configs: o.targets.map((t) => ({
        job_name: t.job,
        static_configs: [{ targets: [`127.0.0.1:${t.port}`] }],
      })),
    }),
  );
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200;
      },
      20_000,
      "prometheus ready",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    alerts: async () => (await api<{ alerts: ActiveAlert[] }>(port, "/api/v1/alerts")).alerts,
    async query(expr) {
      const data = await api<{ result: { value: [number, string] }[] }>(
        port,
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result.length > 0 ? Number(data.result[0].value[1]) : undefined;
    },
    log: () => log,
    stop,
  };
}
