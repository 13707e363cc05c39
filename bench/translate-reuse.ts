/**
 * CPU time of one `translate()` pass after a small change, the memo warm with the previous input (ADR 0013): what
 * a pass costs in steady state. Per size, the input is Services + EndpointSlices (the fixture's `Service` kind)
 * and N HTTPRoutes; each scenario translates the base input (warming the memo), then the changed input, timed:
 *   unchanged       the same objects again (new snapshot lists, same objects)
 *   route added     one HTTPRoute more
 *   route changed   one HTTPRoute replaced by a changed copy (one path value)
 *   Service changed one Service replaced by a changed copy (its cluster IP)
 *   slice changed   one EndpointSlice replaced by a copy with another address
 *   Gateway status  the Gateway replaced by a copy with a `status` (what a status write's watch event brings)
 * Scenarios alternate, `--iterations` times each; the table shows the median CPU ms (user + system).
 *
 *   node --expose-gc dist/bench/translate-reuse.js [--sizes 1000,3000] [--iterations 7]
 *
 * `--json` prints only the JSON (for a driver comparing two builds, alternating processes).
 */
import type { KubeObject } from "../operator/src/resources/meta";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { buildObjects, routeObject } from "./lib/fixtures";
import { fullGc, loadAverage, median, round, table } from "./lib/report";
import { arg, cpuTimed } from "./lib/cli";

const OPTS = { listenAddress: "127.0.0.1" } as const;

/** `objects` with the first object matching `pick` replaced by `change(copy)`. */
function replaced(objects: readonly KubeObject[], pick: (o: KubeObject) => boolean, change: (o: KubeObject) => void) {
  const i = objects.findIndex(pick);
  const copy = structuredClone(objects[i]);
  change(copy);
  return objects.map((o, j) => (j === i ? copy : o));
}

/** The scenarios' changed inputs of a base input of `n` routes. */
function scenarios(base: readonly KubeObject[], n: number): Record<string, readonly KubeObject[]> {
  return {
    unchanged: base,
    "route added": [...base, routeObject(n, { backendKind: "Service" })],
    "route changed": replaced(
      base,
      (o) => o.kind === "HTTPRoute" && o.metadata.name === routeObject(7).metadata.name,
      (o) => Object.assign(o, routeObject(7, { backendKind: "Service", variant: 1 })),
    ),
    "Service changed": replaced(
      base,
      (o) => o.kind === "Service" && o.metadata.name === "svc-7",
      (o) => ((o.spec as { clusterIP: string }).clusterIP = "10.97.0.7"),
    ),
    "slice changed": replaced(
      base,
      (o) => o.kind === "EndpointSlice" && o.metadata.name === "svc-7-slice",
      (o) => ((o as unknown as { endpoints: { addresses: string[] }[] }).endpoints[0].addresses = ["10.250.0.7"]),
    ),
    "Gateway status": replaced(
      base,
      (o) => o.kind === "Gateway",
      (o) => {
        (o as KubeObject & { status?: unknown }).status = { conditions: [{ type: "Accepted", status: "True" }] };
        (o.metadata as { resourceVersion?: string }).resourceVersion = "999";
      },
    ),
  };
}

function main(): void {
  const sizes = (arg("sizes") ?? "1000,3000").split(",").map(Number);
  const iterations = Number(arg("iterations") ?? 7);
  const results: Record<string, Record<string, number[]>> = {};
  const load = [loadAverage()];
  for (const n of sizes) {
    const base = buildObjects(n, { backendKind: "Service" });
    const changed = scenarios(base, n);
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(changed).map((k) => [k, []]));
    translate(snapshotFromObjects(base), OPTS); // warm-up (JIT, memo)
    for (let it = 0; it < iterations; it++) {
      for (const [name, objects] of Object.entries(changed)) {
        translate(snapshotFromObjects(base), OPTS);
        fullGc();
        samples[name].push(cpuTimed(() => translate(snapshotFromObjects(objects), OPTS))[1]);
      }
    }
    results[String(n)] = samples;
  }
  load.push(loadAverage());
  const report = { bench: "translate-reuse", load, iterations, results };
  if (process.argv.includes("--json")) {
    process.stdout.write(JSON.stringify(report) + "\n");
    return;
  }
  const names = Object.keys(Object.values(results)[0] ?? {});
  const rows = Object.entries(results).map(([n, s]) => [n, ...names.map((k) => round(median(s[k]), 1))]);
  process.stdout.write(JSON.stringify(report) + "\n\n");
  process.stdout.write(table(["routes", ...names.map((k) => `${k} CPU ms`)], rows) + `\nload: ${load.join(" → ")}\n`);
}

main();
