/**
 * The controller's health probe endpoint, where Envoy Gateway's controller serves its probes (port 8081 on every
 * address, which its chart's startup, liveness and readiness probes name): `/healthz` answers 200 while the process
 * runs, `/readyz` 200 once a translation pass completed after the initial sync and 503 with the reason otherwise
 * (health.ts). The metrics port (metrics-server.ts) answers the same two paths with the same handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Readiness } from "./health";

/** Envoy Gateway's health probe port. */
export const HEALTH_PROBE_PORT = 8081;

/**
 * Answers `/healthz` and `/readyz` (a trailing slash too, as controller-runtime's handler); false (nothing written)
 * for any other path.
 */
export function answerHealth(req: IncomingMessage, res: ServerResponse, ready: () => Readiness): boolean {
  const path = (req.url ?? "/").split("?")[0]?.replace(/\/$/, "");
  if (path === "/healthz") {
    res.writeHead(200).end("ok\n");
    return true;
  }
  if (path === "/readyz") {
    const r = ready();
    res.writeHead(r.ready ? 200 : 503).end(`${r.reason}\n`);
    return true;
  }
  return false;
}

/** Binds `server` on `host`:`port` (0 = any); resolves the bound port. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Starts the probe endpoint on `port` (0 = any); every other path answers 404. */
export async function startHealthProbeServer(
  port: number,
  ready: () => Readiness,
  host = "0.0.0.0",
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (!answerHealth(req, res, ready)) res.writeHead(404).end();
  });
  return { server, port: await listenOn(server, port, host) };
}
