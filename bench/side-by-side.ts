/**
 * egts next to Envoy Gateway itself: `egctl x translate` (built from Envoy Gateway's Go module by
 * `bash scripts/install-egctl.sh`) and `egts x translate` translate the same Gateway API file to xDS, each as a
 * whole process, at 100 / 1,000 / 5,000 HTTPRoutes (over Services with EndpointSlices, three filters per
 * route). Per size and tool: CPU (user + sys of the child, from GNU time's getrusage), wall time and peak RSS
 * (maxrss), medians of `--reps` runs alternating between the two tools, and the ratios egctl/egts. Before
 * timing, both outputs (as JSON) are checked to hold the same virtual hosts and Envoy routes (by name), so that
 * the comparison is of the same work (see verify() for what differs by design). Then the CLI's start time: `egts version` and `egts --help` as
 * whole processes, next to a bare `node -e 0`.
 *
 *   node dist/bench/side-by-side.js [--sizes 100,1000,5000] [--reps 3] [--output yaml|json] [--startup-reps 10]
 *
 * Targets (issue 18): egts ≥ 20× less CPU than egctl at 1,000 and 5,000 routes, ≤ ⅓ of its peak RSS;
 * `egts version` ≤ 0.3 s.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadEnv } from "../operator/src/config/env";
import { buildObjects, toYaml } from "./lib/fixtures";
import { envInfo, finish, median, round, table, type BenchReport, type Metric } from "./lib/report";
import { arg } from "./lib/cli";

/** Also pinned in scripts/install-egctl.sh: change both together. */
const EGCTL_VERSION = "v1.9.1";
/** GNU time, for the child's getrusage (CPU and maxrss). */
const TIME = "/usr/bin/time";
const REPO = resolve(__dirname, "..", "..");
const EGTS = join(REPO, "bin", "egts.js");
const TOOLS = ["egctl", "egts"] as const;
type Tool = (typeof TOOLS)[number];

/** The egctl binary: $EGCTL_BIN, else the one install-egctl.sh built; throws naming the install step. */
function egctlBinary(): string {
  const bin = process.env.EGCTL_BIN ?? join(loadEnv().cacheDir, `egctl-${EGCTL_VERSION}`, "bin", "egctl");
  if (!existsSync(bin)) throw new Error(`egctl is not installed at ${bin}: run \`bash scripts/install-egctl.sh\``);
  return bin;
}

/** One whole-process run. */
interface Run {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly rssMB: number;
  readonly outBytes: number;
}

/**
 * Runs `argv` under GNU time with stdout to `outFile` (stderr kept for the error message); CPU = user + sys and
 * peak RSS come from time's getrusage of the child, wall from around the spawn. Throws on a non-zero exit.
 */
function measure(argv: readonly string[], outFile: string, dir: string): Run {
  const timeFile = join(dir, "time.txt");
  const out = openSync(outFile, "w");
  const t0 = performance.now();
  let r;
  try {
    r = spawnSync(TIME, ["-f", "%U %S %M", "-o", timeFile, ...argv], {
      stdio: ["ignore", out, "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    closeSync(out);
  }
  const wallMs = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
  const [user, sys, maxKb] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return { cpuMs: (user! + sys!) * 1000, wallMs, rssMB: maxKb! / 1024, outBytes: statSync(outFile).size };
}

/** The command line of each tool translating `file`. */
function translateArgv(tool: Tool, egctl: string, file: string, output: string): string[] {
  const common = ["x", "translate", "--from", "gateway-api", "--to", "xds", "-o", output, "-f", file];
  return tool === "egctl" ? [egctl, ...common] : [process.execPath, EGTS, ...common];
}

/** What a translation produced, summed over its nodes (config dumps). */
interface Shape {
  readonly nodes: number;
  readonly listeners: number;
  readonly routeConfigs: number;
  readonly virtualHosts: number;
  readonly routes: number;
  readonly clusters: string[];
  readonly endpoints: number;
  /** Every Envoy route's name, sorted. */
  readonly routeNames: string[];
}

type Json = Record<string, unknown>;
const items = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);

/** Counts the resources of `--to xds -o json` output (`{xds: {<node>: {configs: [...]}}}`). */
function shapeOf(jsonText: string): Shape {
  const doc = JSON.parse(jsonText) as { xds?: Record<string, { configs?: Json[] }> };
  const nodes = Object.values(doc.xds ?? {});
  const s = { nodes: nodes.length, listeners: 0, routeConfigs: 0, virtualHosts: 0, routes: 0, endpoints: 0 };
  const clusters: string[] = [];
  const routeNames: string[] = [];
  for (const node of nodes) {
    for (const c of node.configs ?? []) {
      const type = String(c["@type"]).split(".").pop();
      if (type === "ListenersConfigDump") s.listeners += items(c.dynamicListeners).length;
      if (type === "ClustersConfigDump")
        clusters.push(...items(c.dynamicActiveClusters).map((d) => String((d.cluster as Json).name)));
      if (type === "EndpointsConfigDump")
        for (const d of items(c.dynamicEndpointConfigs))
          for (const e of items((d.endpointConfig as Json).endpoints)) s.endpoints += items(e.lbEndpoints).length;
      if (type === "RoutesConfigDump")
        for (const d of items(c.dynamicRouteConfigs)) {
          s.routeConfigs++;
          const vhosts = items((d.routeConfig as Json).virtualHosts);
          s.virtualHosts += vhosts.length;
          for (const v of vhosts) {
            s.routes += items(v.routes).length;
            routeNames.push(...items(v.routes).map((r) => String(r.name)));
          }
        }
    }
  }
  return { ...s, clusters: clusters.sort(), routeNames: routeNames.sort() };
}

/**
 * Runs both tools once with `-o json` and checks that they produced the same route configurations, virtual hosts
 * and Envoy routes (by name: one per HTTPRoute match, named alike by both). Clusters, endpoints and listeners
 * differ by design and are only reported: Envoy Gateway makes one cluster per route rule (its weighted backends
 * become weighted endpoints) where egts makes one per Service port (and weighted clusters on the route); egctl
 * routes to the Services' cluster IPs, egts to their EndpointSlices; egctl also lists its proxy-ready listener
 * among the dynamic ones, egts does not. Returns each tool's shape.
 */
function verify(egctl: string, file: string, dir: string, tools: readonly Tool[]): Partial<Record<Tool, Shape>> {
  const shapes: Partial<Record<Tool, Shape>> = {};
  for (const tool of tools) {
    const out = join(dir, `${tool}.json`);
    measure(translateArgv(tool, egctl, file, "json"), out, dir);
    shapes[tool] = shapeOf(readFileSync(out, "utf8"));
    rmSync(out);
  }
  const [a, b] = [shapes.egctl, shapes.egts];
  if (a && b) {
    const diffs: string[] = (["nodes", "routeConfigs", "virtualHosts", "routes"] as const).filter((k) => a[k] !== b[k]);
    if (a.routeNames.join("\n") !== b.routeNames.join("\n")) diffs.push("route names");
    const brief = (x: Shape): string => JSON.stringify({ ...x, clusters: x.clusters.length, routeNames: undefined });
    if (diffs.length > 0)
      throw new Error(`the outputs differ in ${diffs.join(", ")}: egctl ${brief(a)}, egts ${brief(b)}`);
  }
  return shapes;
}

interface SizeResult {
  readonly n: number;
  readonly inputKB: number;
  readonly runs: Partial<Record<Tool, Run[]>>;
  readonly shapes: Partial<Record<Tool, Shape>>;
}

function runSize(n: number, reps: number, output: string, egctl: string, tools: readonly Tool[]): SizeResult {
  const dir = mkdtempSync(join(tmpdir(), `egts-side-by-side-${n}-`));
  try {
    const file = join(dir, "input.yaml");
    writeFileSync(file, toYaml(buildObjects(n, { backendKind: "Service", moreFilters: true })));
    const shapes = verify(egctl, file, dir, tools);
    const runs: Partial<Record<Tool, Run[]>> = {};
    // Alternating the tools rep by rep, so that a load change on the shared machine hits both alike.
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of tools) {
        const run = measure(translateArgv(tool, egctl, file, output), join(dir, `${tool}.out`), dir);
        (runs[tool] ??= []).push(run);
      }
    }
    return { n, inputKB: statSync(file).size / 1024, runs, shapes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start time of the CLI as whole processes: egts version / --help, and node itself. */
function startup(reps: number): Record<string, Run[]> {
  const dir = mkdtempSync(join(tmpdir(), "egts-side-by-side-startup-"));
  const cases: Record<string, string[]> = {
    "node -e 0": [process.execPath, "-e", "0"],
    "egts version": [process.execPath, EGTS, "version"],
    "egts --help": [process.execPath, EGTS, "--help"],
  };
  const out: Record<string, Run[]> = {};
  try {
    for (let rep = 0; rep < reps; rep++)
      for (const [name, argv] of Object.entries(cases)) (out[name] ??= []).push(measure(argv, join(dir, "out"), dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const med = (runs: readonly Run[] | undefined, k: keyof Run): number => (runs ? median(runs.map((r) => r[k])) : NaN);

/** The flat metrics and raw samples of a run. */
function metricsOf(
  results: readonly SizeResult[],
  start: Record<string, Run[]>,
  tools: readonly Tool[],
): { metrics: Record<string, Metric>; samples: Record<string, number[]> } {
  const metrics: Record<string, Metric> = {};
  const samples: Record<string, number[]> = {};
  const put = (key: string, runs: readonly Run[], k: keyof Run, unit: Metric["unit"], name: string): void => {
    metrics[`${key}_${name}.median`] = { value: round(med(runs, k), 1), unit };
    samples[`${key}_${name}`] = runs.map((x) => round(x[k], 1));
  };
  for (const r of results) {
    for (const tool of tools) {
      const runs = r.runs[tool]!;
      put(`n=${r.n}/${tool}`, runs, "cpuMs", "ms", "cpu_ms");
      put(`n=${r.n}/${tool}`, runs, "wallMs", "ms", "wall_ms");
      put(`n=${r.n}/${tool}`, runs, "rssMB", "MB", "rss_MB");
    }
    if (r.runs.egctl && r.runs.egts) {
      for (const [k, name] of [
        ["cpuMs", "cpu"],
        ["rssMB", "rss"],
      ] as const)
        metrics[`n=${r.n}/egts_over_egctl_${name}`] = {
          value: round(med(r.runs.egts, k) / med(r.runs.egctl, k)),
          unit: "ratio",
        };
    }
  }
  for (const [name, runs] of Object.entries(start)) {
    const key = `startup/${name.replace(/[^a-z0-9]+/gi, "_").replace(/^_|_$/g, "")}`;
    put(key, runs, "wallMs", "ms", "wall_ms");
    put(key, runs, "cpuMs", "ms", "cpu_ms");
    put(key, runs, "rssMB", "MB", "rss_MB");
  }
  return { metrics, samples };
}

const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : "-");

/** The comparison table: medians per size and tool, and the ratios egctl/egts. */
function comparisonTable(results: readonly SizeResult[]): string {
  return table(
    [
      "routes",
      "egctl CPU ms",
      "egts CPU ms",
      "CPU egctl/egts",
      "egctl wall ms",
      "egts wall ms",
      "wall egctl/egts",
      "egctl RSS MB",
      "egts RSS MB",
      "RSS egctl/egts",
    ],
    results.map((r) => {
      const [ec, tc] = [med(r.runs.egctl, "cpuMs"), med(r.runs.egts, "cpuMs")];
      const [ew, tw] = [med(r.runs.egctl, "wallMs"), med(r.runs.egts, "wallMs")];
      const [er, tr] = [med(r.runs.egctl, "rssMB"), med(r.runs.egts, "rssMB")];
      return [r.n, ec, tc, ratio(ec, tc), ew, tw, ratio(ew, tw), er, tr, ratio(er, tr)];
    }),
  );
}

/** What each tool produced (from the -o json check) and the size of its timed output. */
function shapeTable(results: readonly SizeResult[], tools: readonly Tool[]): string {
  return table(
    ["routes", "tool", "input KB", "listeners", "virtual hosts", "routes", "clusters", "endpoints", "output KB"],
    results.flatMap((r) =>
      tools.map((t) => {
        const s = r.shapes[t];
        return [
          r.n,
          t,
          r.inputKB,
          s?.listeners ?? 0,
          s?.virtualHosts ?? 0,
          s?.routes ?? 0,
          s?.clusters.length ?? 0,
          s?.endpoints ?? 0,
          outKB(r, t),
        ];
      }),
    ),
  );
}

function main(): void {
  const sizes = (arg("sizes") ?? process.env.BENCH_SIZES ?? "100,1000,5000").split(",").map(Number);
  const reps = Number(arg("reps") ?? process.env.BENCH_REPS ?? 3);
  const startupReps = Number(arg("startup-reps") ?? 10);
  const output = arg("output") ?? "yaml";
  const tools = (arg("tools") ?? TOOLS.join(",")).split(",") as Tool[];
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is missing: apt-get install time`);
  const egctl = tools.includes("egctl") ? egctlBinary() : "";
  const loadBefore = loadavg();

  const results: SizeResult[] = [];
  for (const n of sizes) {
    process.stderr.write(`side-by-side: ${n} routes × ${reps} reps (${tools.join(", ")})…\n`);
    results.push(runSize(n, reps, output, egctl, tools));
  }
  process.stderr.write(`side-by-side: start time × ${startupReps}…\n`);
  const start = startup(startupReps);
  const loadAfter = loadavg();
  const load = (l: number[]): number[] => l.map((x) => round(x, 2));

  const report: BenchReport = {
    name: "side-by-side",
    finishedAt: new Date().toISOString(),
    env: envInfo(),
    params: {
      sizes,
      reps,
      startupReps,
      output,
      tools,
      egctl: tools.includes("egctl") ? `${egctl} (${EGCTL_VERSION})` : undefined,
      command: `x translate --from gateway-api --to xds -o ${output} -f <input.yaml>`,
      loadavg: { before: load(loadBefore), after: load(loadAfter) },
      fixture:
        "1 Gateway / 1 HTTP listener, 100 Services each with a 2-endpoint EndpointSlice; per route: own hostname, " +
        "2 rules, 4 matches, 3 header filters, weighted Service backends",
      details: Object.fromEntries(
        results.map((r) => [
          `n=${r.n}`,
          {
            inputKB: round(r.inputKB, 1),
            ...Object.fromEntries(
              tools.map((t) => [
                t,
                { ...r.shapes[t], clusters: r.shapes[t]?.clusters.length, routeNames: undefined, outKB: outKB(r, t) },
              ]),
            ),
          },
        ]),
      ),
    },
    ...metricsOf(results, start, tools),
  };
  const startTable = table(
    ["command", "wall ms", "CPU ms", "RSS MB"],
    Object.entries(start).map(([name, runs]) => [name, med(runs, "wallMs"), med(runs, "cpuMs"), med(runs, "rssMB")]),
  );
  finish(report, [
    `x translate --to xds -o ${output}, medians of ${reps} whole-process runs per tool ` +
      `(load average before ${load(loadBefore).join(" ")}, after ${load(loadAfter).join(" ")}):\n` +
      comparisonTable(results),
    "output (from -o json; virtual hosts and route names checked equal; clusters, endpoints and listeners differ " +
      "by design, see verify()):\n" +
      shapeTable(results, tools),
    `start time, medians of ${startupReps}:\n` + startTable,
  ]);
}

function outKB(r: SizeResult, t: Tool): number {
  return round(med(r.runs[t], "outBytes") / 1024, 1);
}

main();
