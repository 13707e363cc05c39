/**
 * `egts config envoy-proxy all|bootstrap|cluster|endpoint|listener|route|secret`: a proxy's live configuration
 * from its admin `/config_dump` (with EDS for `all` and `endpoint`, as egctl asks), converted to protojson JSON
 * field names and keyed by namespace and name, as egctl prints it (`-o json`, the default, or `-o yaml`).
 */
import type { Invocation, Runner } from "./cli/command";
import { str } from "./cli/flags";
import { envoyDumpToJson, selectConfig, sortKeys } from "./config-dump";
import { configType } from "./config-types";
import { formatOutput, outputFormat } from "./output";
import { adminGet, openProxyTargets } from "./proxy-targets";

/** The runner of `config envoy-proxy <type>`. */
export function configEnvoyProxy(type: string): Runner {
  const t = configType(type);
  return async (inv: Invocation): Promise<number> => {
    const format = outputFormat(str(inv.values, "output"));
    const withEds = t === "all" || t === "endpoint";
    const out: Record<string, Record<string, unknown>> = {};
    const open = await openProxyTargets(inv);
    try {
      for (const target of open.targets) {
        const dump = envoyDumpToJson(
          JSON.parse(await adminGet(target, `/config_dump${withEds ? "?include_eds" : ""}`)),
        );
        (out[target.namespace] ??= {})[target.name] = selectConfig(dump as { configs?: unknown[] }, t);
      }
    } finally {
      await open.close();
    }
    process.stdout.write(await formatOutput(sortKeys(out), format));
    return 0;
  };
}
