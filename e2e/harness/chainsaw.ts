/**
 * Runs the chainsaw suites of e2e/chainsaw (the ones users run against their own cluster, see e2e/README.md)
 * against a test cluster, with a values file for it.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { run, RunError, type KubeCluster } from "./cluster";

/** The folder of the chainsaw suites, one sub-folder per suite. */
export const CHAINSAW_SUITES = resolve(__dirname, "../../../e2e/chainsaw");

/** The values every suite reads (e2e/chainsaw/values.yaml documents them). */
export interface ChainsawValues {
  /** The GatewayClass of the suites' Gateways. */
  readonly gatewayClassName: string;
  /** The controller's namespace, where the proxies' objects are. */
  readonly controllerNamespace: string;
  /** The suites' HTTP listener port. */
  readonly httpPort: number;
  /** The suites' HTTPS and TLS listener port. */
  readonly httpsPort: number;
}

/** What to run. */
export interface ChainsawRun {
  /** Suite folder names under {@link CHAINSAW_SUITES}. @default every suite */
  readonly suites?: readonly string[];
  /** The most suites run at once. @default chainsaw's */
  readonly parallel?: number;
}

/**
 * Runs chainsaw (quiet: failures and the summary) on the suites with `values`, and returns its output; a
 * failing suite throws an Error with chainsaw's report (which test, step and assertion, with the diff).
 */
export async function runChainsaw(
  cluster: KubeCluster,
  values: ChainsawValues,
  opts: ChainsawRun = {},
): Promise<string> {
  const file = join(cluster.dir, "chainsaw-values.yaml");
  writeFileSync(
    file,
    `${Object.entries(values)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join("\n")}\n`,
  );
  const dirs = opts.suites?.map((s) => join(CHAINSAW_SUITES, s)) ?? [CHAINSAW_SUITES];
  const parallel = opts.parallel === undefined ? [] : ["--parallel", String(opts.parallel)];
  try {
    const res = await run(
      cluster.tools.chainsaw,
      ["test", "--no-color", "--quiet", "--values", file, ...parallel, ...dirs],
      {
        env: cluster.toolEnv(),
        timeoutMs: 300_000,
      },
    );
    return res.stdout;
  } catch (err) {
    if (err instanceof RunError) throw new Error(`chainsaw failed:\n${err.stdout.slice(-30_000)}`, { cause: err });
    throw err;
  }
}
