/** Starts a real standalone gateway (our control plane + real Envoy) on a temporary config folder. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../../operator/src/log";
import { StandaloneGateway } from "../../operator/src/pipeline/standalone";
import { requireEnvoy } from "./envoy";

/** A running gateway in a test. */
export interface TestGateway {
  /** The pipeline. */
  readonly gw: StandaloneGateway;
  /** The watched config folder. */
  readonly dir: string;
  /** Log lines captured. */
  readonly logs: string[];
  /** Writes (or replaces) a YAML file in the config folder. */
  write(name: string, yaml: string): Promise<void>;
  /** Removes a file from the config folder. */
  remove(name: string): Promise<void>;
  /** Stops everything and removes the folders. */
  close(): Promise<void>;
}

/** Starts a gateway with the given files; waits for the first translation. */
export async function startTestGateway(
  files: Record<string, string>,
  opts: { withEnvoy?: boolean } = {},
): Promise<TestGateway> {
  const envoyBin = opts.withEnvoy === false ? undefined : requireEnvoy();
  const dir = await mkdtemp(join(tmpdir(), "egts-test-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "egts-test-state-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const logs: string[] = [];
  const log: Logger = createLogger(process.env.EGTS_TEST_LOG ? "debug" : "info", (line) => {
    logs.push(line);
    if (process.env.EGTS_TEST_LOG) process.stderr.write(line + "\n");
  });
  const gw = new StandaloneGateway({
    configDir: dir,
    envoyBin,
    xdsPort: 0,
    listenAddress: "127.0.0.1",
    stateDir,
    logger: log,
    envoyOutput: process.env.EGTS_TEST_LOG ? "inherit" : "ignore",
  });
  await gw.start();
  return {
    gw,
    dir,
    logs,
    write: (name, yaml) => writeFile(join(dir, name), yaml),
    remove: (name) => rm(join(dir, name), { force: true }),
    async close() {
      await gw.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
