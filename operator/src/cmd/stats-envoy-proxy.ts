/**
 * `egts x stats envoy-proxy`: a proxy's metrics from its admin interface, as egctl's: server stats
 * (`/stats/prometheus`, or `/stats?format=json` for `-o json|yaml`) or cluster stats (`/clusters`), per proxy.
 * `-o prom` prints `namespace/name:` then the text; json and yaml print a map of those texts.
 */
import type { Invocation } from "./cli/command";
import { str, UsageError } from "./cli/flags";
import { formatOutput, outputFormat } from "./output";
import { adminGet, openProxyTargets } from "./proxy-targets";

/** The admin path of a stats type and output format. */
export function statsPath(type: string, format: string): string {
  const json = format === "json" || format === "yaml";
  if (type === "" || type === "server") return json ? "/stats?format=json" : "/stats/prometheus";
  if (type === "cluster" || type === "clusters") return json ? "/clusters?format=json" : "/clusters";
  throw new UsageError(`unknown stats type ${type}`);
}

/** Runs `egts x stats envoy-proxy`. */
export async function statsEnvoyProxy(inv: Invocation): Promise<number> {
  const format = outputFormat(str(inv.values, "output"), ["prom", "json", "yaml"]);
  const path = statsPath(str(inv.values, "type"), format);
  const stats: Record<string, string> = {};
  const open = await openProxyTargets(inv, { requireNameOrLabels: true });
  try {
    for (const t of open.targets) stats[t.namespace ? `${t.namespace}/${t.name}` : t.name] = await adminGet(t, path);
  } finally {
    await open.close();
  }
  if (format === "prom") {
    for (const [key, text] of Object.entries(stats)) process.stdout.write(`${key}:\n${text}`);
  } else {
    process.stdout.write(format === "json" ? JSON.stringify(stats) : await formatOutput(stats, "yaml"));
  }
  return 0;
}
