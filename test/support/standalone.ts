/** Starts a real standalone gateway (our control plane + real Envoy) on a temporary config folder. */
import type { ExtensionApiGates } from "../../operator/src/translate/extension-gates";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../../operator/src/log";
import {
  StandaloneGateway,
  type StandaloneOptions,
  type StandaloneRateLimit,
} from "../../operator/src/pipeline/standalone";
import type { ExtensionManagerConfig } from "../../operator/src/config/envoy-gateway-extension";
import type { BackendSettings } from "../../operator/src/translate/backend-endpoints";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { requireEnvoy } from "./envoy";
import { eventually, freePort, httpGet } from "./http";
import { backendYaml, gatewayYaml, routeYaml } from "./manifests";

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

/**
 * The Backend settings of test gateways unless a test passes its own: Backend enabled and loopback allowed,
 * because test backends are echo servers on 127.0.0.1 (as `egts standalone --config-path
 * examples/envoy-gateway.yaml` for the examples). The proxy ports stay refused.
 */
export const TEST_BACKENDS: BackendSettings = { enabled: true, allow: ["Loopback"] };

/** The EnvoyGateway configuration the standalone examples run with (`npm start`, the examples' READMEs). */
export const EXAMPLES_CONFIG = "examples/envoy-gateway.yaml";

/** Starts a gateway with the given files; waits for the first translation. */
export async function startTestGateway(
  files: Record<string, string>,
  opts: {
    withEnvoy?: boolean;
    xdsCertDir?: string;
    backends?: BackendSettings;
    listenerRetryMs?: number;
    /** Collects each line Envoy writes to stdout (its access log) instead of dropping it. */
    envoyStdout?: string[];
    /** Runs the global rate limit service on this host (StandaloneOptions.rateLimit). */
    rateLimit?: StandaloneRateLimit;
    /** The EnvoyGateway configuration's `extensionApis` switches (e.g. enableLua). */
    extensionApis?: ExtensionApiGates;
    /** The EnvoyGateway configuration's extension servers, in order, and short hook deadlines and retries for tests. */
    extensionManagers?: readonly ExtensionManagerConfig[];
    extensionTimings?: StandaloneOptions["extensionTimings"];
    /** EnvoyExtensionPolicy wasm: the module server's port (tests: a free one) and cache folder. */
    wasm?: StandaloneOptions["wasm"];
    /** Serves `/metrics` (StandaloneOptions.metrics). */
    metrics?: StandaloneOptions["metrics"];
    /** The proxies' Prometheus stats port (StandaloneOptions.proxyStatsPort; tests: a free one). */
    proxyStatsPort?: number;
    /** TEST ONLY: called before each translation (StandaloneOptions.beforeTranslate; a throw: injected fault). */
    beforeTranslate?: StandaloneOptions["beforeTranslate"];
    /** How route configurations reach Envoy (StandaloneOptions.routeLayout). */
    routeLayout?: StandaloneOptions["routeLayout"];
  } = {},
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
    envoyOutput: opts.envoyStdout
      ? (line: string): void => void opts.envoyStdout?.push(line)
      : process.env.EGTS_TEST_LOG
        ? "inherit"
        : "ignore",
    ...(opts.xdsCertDir ? { xdsCertDir: opts.xdsCertDir } : {}),
    backends: opts.backends ?? TEST_BACKENDS,
    ...(opts.listenerRetryMs ? { listenerRetryMs: opts.listenerRetryMs } : {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
    ...(opts.extensionApis ? { extensionApis: opts.extensionApis } : {}),
    ...(opts.extensionManagers ? { extensionManagers: opts.extensionManagers } : {}),
    ...(opts.extensionTimings ? { extensionTimings: opts.extensionTimings } : {}),
    ...(opts.wasm ? { wasm: opts.wasm } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.proxyStatsPort !== undefined ? { proxyStatsPort: opts.proxyStatsPort } : {}),
    ...(opts.beforeTranslate ? { beforeTranslate: opts.beforeTranslate } : {}),
    ...(opts.routeLayout ? { routeLayout: opts.routeLayout } : {}),
  });
  await gw.start();
  return {
    gw,
    dir,
    logs,
    write: (name, yaml) => writeAtomically(dir, name, yaml),
    remove: (name) => rm(join(dir, name), { force: true }),
    async close() {
      await gw.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A gateway with one echo backend and one route to it, already serving. */
export interface BasicGateway {
  /** The gateway. */
  readonly t: TestGateway;
  /** Envoy's HTTP listener port. */
  readonly port: number;
  /** The echo backend. */
  readonly backend: EchoBackend;
  /** Stops the gateway and the backend. */
  close(): Promise<void>;
}

/**
 * Starts Gateway `default/eg` on a free port, Backend `<backend>` (an echo server of that name) and
 * HTTPRoute `<route>` for `host`, and waits until Envoy serves it.
 */
export async function startBasicGateway(o: {
  backend: string;
  route: string;
  host: string;
  routeLayout?: StandaloneOptions["routeLayout"];
}): Promise<BasicGateway> {
  const backend = await startEchoBackend({ name: o.backend });
  const port = await freePort();
  const t = await startTestGateway(
    {
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml(o.backend, backend.port)}---\n${routeYaml(o.route, o.host, o.backend)}`,
    },
    o.routeLayout ? { routeLayout: o.routeLayout } : {},
  );
  await eventually(async () => (await httpGet(port, o.host)).status === 200, 15_000, `the route for ${o.host}`);
  return {
    t,
    port,
    backend,
    async close() {
      await t.close();
      await backend.close();
    },
  };
}

/**
 * Replaces `dir/name` in one step (a dotfile the provider skips, then a rename), as editors and `kubectl`-style
 * tools do: a plain writeFile truncates first, and a reload that reads the file between the truncation and the
 * write sees it empty (measured: the churn test's route answered 404 for a moment on a loaded machine).
 */
async function writeAtomically(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, join(dir, name));
}
