/**
 * `npm run conformance`: the official Gateway API conformance suite (v1.7.0) against our whole Kubernetes
 * stack. It starts the e2e harness's control plane and simulated kubelet, installs our Helm chart, runs the
 * suite binary that scripts/install-conformance.sh built (e2e/conformance/conformance_test.go), then writes
 * the official report to docs/conformance/ and the short table into README.md, and exits non-zero when a
 * core test of a profile fails or is skipped, or a test of a claimed (extended) feature fails.
 *
 *   node dist/e2e/conformance/run.js [--core-only] [--test ShortName] [--skip-tests A,B] [--no-docs]
 *                                    [--timeout-minutes N] [--debug] [--try-features A,B] [--route-layout L]
 *
 * --core-only  claims no extended feature (the five profiles' core tests only; what CI runs); implies --no-docs.
 * --test       runs one test (the suite's --run-test); implies --no-docs.
 * --no-docs    leaves docs/ and README.md alone; the report stays in the run's folder.
 * --try-features  also passes these unclaimed features to the suite, to find out whether we pass them (claim one
 *              by adding it to features.ts once it does); implies --no-docs.
 * --route-layout  runs the controller with EGTS_ROUTE_LAYOUT=L (the chart's extraEnv: scoped, inline or vhds; ADR
 *              0031) instead of the Kubernetes default; implies --no-docs.
 * The supported features are operator/src/translate/features.ts's SUPPORTED_FEATURES (the single source).
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { env } from "../../operator/src/config/env";
import { GATEWAY_API_VERSION, SUPPORTED_FEATURES } from "../../operator/src/translate/features";
import {
  requireEchoBasic,
  run,
  startKubeCluster,
  testKubelet,
  type KubeCluster,
  type SimulatedKubelet,
} from "../harness";
import {
  failureMessages,
  markdownTable,
  parseReport,
  parseResults,
  replaceTable,
  summarize,
  verdict,
  type RunSummary,
} from "./report";

/** The repository root (this file runs from dist/e2e/conformance). */
const REPO = resolve(__dirname, "../../..");
/** The control plane's namespace (the chart's). */
const NS = "envoy-gateway-system";
/** The GatewayClass the chart creates. */
const GATEWAY_CLASS = "envoy";
/** The profiles we claim. */
export const PROFILES = ["GATEWAY-HTTP", "GATEWAY-GRPC", "GATEWAY-TLS", "GATEWAY-TCP", "GATEWAY-UDP"] as const;
/** The command that builds the suite. */
const INSTALL = "bash scripts/install-conformance.sh";

/** Command-line options of the runner. */
export interface RunOptions {
  readonly coreOnly: boolean;
  readonly test?: string;
  readonly skipTests?: string;
  readonly docs: boolean;
  readonly timeoutMinutes: number;
  readonly debug: boolean;
  /** Features not claimed in features.ts passed to the suite too, to find out whether we pass them. */
  readonly tryFeatures: readonly string[];
  /** EGTS_ROUTE_LAYOUT for the controller (the chart's extraEnv); unset: the Kubernetes default. */
  readonly routeLayout?: string;
}

function parseOptions(argv: readonly string[]): RunOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "core-only": { type: "boolean", default: false },
      test: { type: "string" },
      "skip-tests": { type: "string" },
      "no-docs": { type: "boolean", default: false },
      "timeout-minutes": { type: "string", default: "85" },
      debug: { type: "boolean", default: false },
      "try-features": { type: "string", default: "" },
      "route-layout": { type: "string" },
    },
  });
  const coreOnly = values["core-only"];
  const tryFeatures = values["try-features"].split(",").filter((f) => f !== "");
  return {
    coreOnly,
    ...(values.test ? { test: values.test } : {}),
    ...(values["skip-tests"] ? { skipTests: values["skip-tests"] } : {}),
    // A report with features we do not claim is not ours to publish.
    docs: !values["no-docs"] && !coreOnly && !values.test && tryFeatures.length === 0 && !values["route-layout"],
    timeoutMinutes: Number(values["timeout-minutes"]),
    debug: values.debug,
    tryFeatures,
    ...(values["route-layout"] ? { routeLayout: values["route-layout"] } : {}),
  };
}

/**
 * Features a core test checks the absence of: without them claimed, the suite expects us to refuse what we
 * serve (TLSRouteListenerTerminateNotSupported wants a Terminate listener Accepted=False).
 */
const CORE_NEGATIVE_CHECKS = ["TLSRouteModeTerminate", "TLSRouteModeMixed"];

/**
 * The features we claim, as passed to the suite: all of features.ts, or (core only) `Gateway` plus those of
 * {@link CORE_NEGATIVE_CHECKS} we claim.
 */
export function claimedFeatures(coreOnly: boolean): readonly string[] {
  // The suite adds every profile's core features itself; one core feature keeps it from inferring the
  // list from the GatewayClass's status.
  if (coreOnly) return ["Gateway", ...CORE_NEGATIVE_CHECKS.filter((f) => SUPPORTED_FEATURES.includes(f))];
  return [...new Set(SUPPORTED_FEATURES)].sort();
}

/** The version in package.json (the implementation's version in the report). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
}

/** The suite binary's arguments. */
export function suiteArgs(o: RunOptions, out: { report: string; results: string }, version: string): string[] {
  return [
    "-test.v",
    "-test.run",
    "^TestConformance$",
    "-test.timeout",
    `${o.timeoutMinutes}m`,
    `--gateway-class=${GATEWAY_CLASS}`,
    `--conformance-profiles=${PROFILES.join(",")}`,
    `--supported-features=${[...new Set([...claimedFeatures(o.coreOnly), ...o.tryFeatures])].join(",")}`,
    "--organization=egts",
    "--project=egts",
    "--url=https://github.com/egts/egts",
    `--version=v${version}`,
    "--contact=@egts/maintainers",
    "--mode=default",
    // The cluster is thrown away after the run.
    "--cleanup-base-resources=false",
    `--report-output=${out.report}`,
    `--egts-results-output=${out.results}`,
    ...(o.test ? [`--run-test=${o.test}`] : []),
    ...(o.skipTests ? [`--skip-tests=${o.skipTests}`] : []),
    ...(o.debug ? ["--debug"] : []),
  ];
}

/** Runs the suite binary; its output goes to `logFile`, test starts and results to stderr. Resolves to its exit code. */
function runSuite(binary: string, args: readonly string[], kubeconfig: string, logFile: string): Promise<number> {
  return new Promise((resolve_, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(binary, [...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    const progress = (chunk: Buffer): void => {
      log.write(chunk);
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        if (/^\s*(=== RUN|--- (PASS|FAIL|SKIP)|FAIL|PASS|ok)\b/.test(l) && !/^\s*--- SKIP/.test(l)) {
          process.stderr.write(`${l}\n`);
        }
      }
    };
    child.stdout.on("data", progress);
    child.stderr.on("data", progress);
    child.on("error", reject);
    child.on("close", (code) => log.end(() => resolve_(code ?? 1)));
  });
}

/**
 * Installs the chart with its default values (the proxies dial the xDS Service; with `routeLayout`, the controller's
 * EGTS_ROUTE_LAYOUT through `extraEnv`) and waits for GatewayClass envoy to be Accepted.
 */
async function installChart(cluster: KubeCluster, routeLayout?: string): Promise<void> {
  const env = routeLayout
    ? [
        ...["--set", "deployment.envoyGateway.extraEnv[0].name=EGTS_ROUTE_LAYOUT"],
        ...["--set", `deployment.envoyGateway.extraEnv[0].value=${routeLayout}`],
      ]
    : [];
  await run(
    cluster.tools.helm,
    [
      ...["install", "egts", join(REPO, "helm", "egts"), "-n", NS, "--create-namespace", "--wait", "--timeout", "5m"],
      ...env,
    ],
    { env: cluster.toolEnv(), timeoutMs: 330_000 },
  );
  await cluster.waitFor(
    `GatewayClass ${GATEWAY_CLASS} Accepted`,
    async () => {
      const gc = await cluster.kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
        "get",
        "gatewayclass",
        GATEWAY_CLASS,
      ]);
      return gc.status?.conditions?.some((c) => c.type === "Accepted" && c.status === "True") ?? false;
    },
    120_000,
  );
}

/** Writes the report and the README table (full runs only). */
function writeDocs(reportFile: string, summary: RunSummary): string {
  const dir = join(REPO, "docs", "conformance");
  mkdirSync(dir, { recursive: true });
  // The official reports' file name: <channel>-<version>-<mode>-report.yaml.
  const target = join(dir, `${summary.channel}-${summary.version}-default-report.yaml`);
  copyFileSync(reportFile, target);
  const readme = join(REPO, "README.md");
  writeFileSync(readme, replaceTable(readFileSync(readme, "utf8"), markdownTable(summary)));
  return target;
}

/** Prints each failed test's assertion messages from the suite's log. */
function printFailures(logFile: string): void {
  if (!existsSync(logFile)) return;
  for (const [test, lines] of failureMessages(readFileSync(logFile, "utf8"))) {
    process.stdout.write(`FAIL ${test}\n${lines.map((l) => `    ${l}`).join("\n")}\n`);
  }
}

/** Reads the report and results, prints the table and the verdict; returns the exit code. */
function conclude(o: RunOptions, out: { report: string; results: string; log: string }, suiteCode: number): number {
  if (!existsSync(out.report)) {
    process.stderr.write(`conformance: the suite wrote no report (exit code ${suiteCode}); its log: ${out.log}\n`);
    return 1;
  }
  const report = parseReport(readFileSync(out.report, "utf8"));
  const results = existsSync(out.results) ? parseResults(readFileSync(out.results, "utf8")) : [];
  const summary = summarize(report, results, o.coreOnly ? [] : claimedFeatures(false));
  process.stdout.write(`\n${markdownTable(summary)}\n\n`);
  printFailures(out.log);
  if (o.docs) process.stdout.write(`report: ${writeDocs(out.report, summary)} (and the README table)\n`);
  process.stdout.write(`report: ${out.report}\nsuite log: ${out.log}\n`);
  const problems = o.test ? (suiteCode === 0 ? [] : [`${o.test} failed`]) : verdict(summary);
  for (const p of problems) process.stderr.write(`conformance: ${p}\n`);
  if (problems.length === 0 && suiteCode !== 0 && !o.test) {
    process.stderr.write(`conformance: the suite exited with code ${suiteCode}; see ${out.log}\n`);
    return 1;
  }
  return problems.length === 0 ? 0 : 1;
}

/** The whole run; resolves to the process's exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const o = parseOptions(argv);
  const binary = join(env().cacheDir, `conformance-${GATEWAY_API_VERSION}`, "bin", "conformance.test");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`${INSTALL}\` first (npm run conformance does)`);
  requireEchoBasic();
  const work = mkdtempSync(join(tmpdir(), "egts-conformance-"));
  const out = { report: join(work, "report.yaml"), results: join(work, "results.jsonl"), log: join(work, "suite.log") };
  const started = Date.now();
  let cluster: KubeCluster | undefined;
  let kubelet: SimulatedKubelet | undefined;
  let code: number;
  try {
    // Every pod in its own network namespace (Envoy proxies of several Gateways bind the same ports),
    // Services through the simulated kube-proxy, LoadBalancer addresses the suite reaches from this host.
    cluster = await startKubeCluster();
    kubelet = testKubelet(cluster, "all");
    kubelet.start();
    await installChart(cluster, o.routeLayout);
    process.stderr.write(
      `conformance: stack ready in ${Math.round((Date.now() - started) / 1000)} s; running the suite\n`,
    );
    code = await runSuite(binary, suiteArgs(o, out, packageVersion()), cluster.kubeconfig, out.log);
  } finally {
    await kubelet?.stop();
    await cluster?.stop();
  }
  process.stderr.write(`conformance: run took ${Math.round((Date.now() - started) / 1000)} s\n`);
  return conclude(o, out, code);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
