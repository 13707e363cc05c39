/**
 * The shutdown manager, the proxy pod's second container (`egts envoy shutdown-manager`), as Envoy Gateway's:
 * an HTTP server on port 19002 with `GET /healthz` (its probes) and `GET /shutdown/ready`, which the Envoy
 * container's preStop hook calls and which answers only once the drain (`egts envoy shutdown`, this container's
 * own preStop hook) has written the ready file, or with a 500 after the ready timeout. So the kubelet sends
 * Envoy its SIGTERM only after the drain. It serves nothing of Envoy's admin interface.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";

/** Envoy Gateway's port of the shutdown manager. */
export const SHUTDOWN_MANAGER_PORT = 19002;
/** Its health path. */
export const SHUTDOWN_HEALTH_PATH = "/healthz";
/** The path the Envoy container's preStop hook calls. */
export const SHUTDOWN_READY_PATH = "/shutdown/ready";
/** The file `egts envoy shutdown` writes when the drain is over (in the shutdown manager's own /tmp). */
export const SHUTDOWN_READY_FILE = "/tmp/shutdown-ready";
/** Envoy Gateway's default ready timeout (ms): longer than any drain the default grace period allows. */
export const DEFAULT_READY_TIMEOUT_MS = 610_000;

/** Settings of a shutdown manager. */
export interface ShutdownManagerOptions {
  /** Port. @default {@link SHUTDOWN_MANAGER_PORT} */
  readonly port?: number;
  /** Address. @default every address (the kubelet calls the pod's IP) */
  readonly host?: string;
  /** The ready file. @default {@link SHUTDOWN_READY_FILE} */
  readonly readyFile?: string;
  /** How long `/shutdown/ready` waits for the file (ms). @default {@link DEFAULT_READY_TIMEOUT_MS} */
  readonly readyTimeoutMs?: number;
  /** How often the file is looked for (ms). @default 1000 */
  readonly pollMs?: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for `file` up to `timeoutMs`; true when it appeared. */
async function waitForFile(file: string, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** Starts a shutdown manager; resolves once it listens. Close the returned server to stop it. */
export async function startShutdownManager(o: ShutdownManagerOptions = {}): Promise<Server> {
  const log = o.log ?? ((): void => undefined);
  const readyFile = o.readyFile ?? SHUTDOWN_READY_FILE;
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === SHUTDOWN_HEALTH_PATH) return void res.end();
    if (req.method === "GET" && path === SHUTDOWN_READY_PATH) {
      log("received shutdown ready request");
      void waitForFile(readyFile, o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, o.pollMs ?? 1000).then((ready) => {
        log(ready ? "shutdown readiness detected" : "shutdown readiness timeout exceeded");
        res.statusCode = ready ? 200 : 500;
        res.end();
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  // The preStop call waits as long as the drain: no request timeout.
  server.requestTimeout = 0;
  await new Promise<void>((resolve_, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? SHUTDOWN_MANAGER_PORT, o.host, () => resolve_());
  });
  log(`starting shutdown manager on port ${o.port ?? SHUTDOWN_MANAGER_PORT}`);
  return server;
}
