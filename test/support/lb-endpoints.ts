/**
 * Backends of the load balancing traffic tests: endpoints on 127.0.0.1 that answer their own name (after an
 * optional delay, with optional response headers), and the count of which endpoint answered each of n requests.
 */
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { httpGet } from "./http";

/** An endpoint that answers its name. */
export interface NamedEndpoint {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
}

/** What an endpoint does besides answering its name. */
export interface EndpointBehaviour {
  /** Milliseconds to wait before answering. @default 0 */
  readonly delay?: () => number;
  /** Response headers to add (read at each request). @default none */
  readonly headers?: () => Record<string, string>;
}

/** Starts an endpoint on 127.0.0.1 (a port the kernel picks) that answers `name`. */
export function startNamedEndpoint(name: string, behaviour: EndpointBehaviour = {}): Promise<NamedEndpoint> {
  const server = createServer((_req, res) => {
    for (const [k, v] of Object.entries(behaviour.headers?.() ?? {})) res.setHeader(k, v);
    setTimeout(() => res.end(name), behaviour.delay?.() ?? 0);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ name, server, port: (server.address() as { port: number }).port })),
  );
}

/** How many of `n` sequential requests to `host` through the proxy on `port` each endpoint answered (all 200). */
export async function spread(
  port: number,
  host: string,
  n: number,
  opts: { path?: string; headers?: Record<string, string> } = {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await httpGet(port, host, opts.path ?? "/", { headers: opts.headers });
    assert.equal(r.status, 200, r.body);
    counts[r.body] = (counts[r.body] ?? 0) + 1;
  }
  return counts;
}
