/**
 * A tiny HTTP backend for the quickstart (`--demo-backend`) and for tests: every request
 * gets a 200 JSON description of itself, so a test can see what Envoy forwarded.
 *
 * Special paths:
 *   /status/<code>  answers with that status (200-599), same JSON body
 *   /delay/<ms>     waits <ms> milliseconds (at most 60000) then answers 200
 *   /bytes/<n>      answers 200 with <n> bytes (at most 16 MiB) of `x`, application/octet-stream (throughput tests)
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface EchoBackendOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default 0: pick a free one). */
  port?: number;
  /** Reported as `backend` in every answer (default "echo"). */
  name?: string;
}

export interface EchoBackend {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:34567 */
  readonly url: string;
  /** Number of requests answered so far. */
  readonly requests: number;
  /** Stops listening and closes open (also keep-alive) connections. */
  close(): Promise<void>;
}

/** The JSON body the backend answers with. */
export interface EchoResponse {
  backend: string;
  method: string;
  /** Path including the query string, as received. */
  path: string;
  host: string;
  headers: IncomingHttpHeaders;
}

const MAX_DELAY_MS = 60_000;
const MAX_BYTES = 16 * 1024 * 1024;

type Plan = { status: number; delayMs: number } | { bytes: number } | { error: string };

function plan(path: string): Plan {
  const pathname = path.split("?", 1)[0] ?? "";
  const status = /^\/status\/([^/]+)\/?$/.exec(pathname);
  if (status) {
    const code = Number(status[1]);
    if (!Number.isInteger(code) || code < 200 || code > 599) return { error: `bad status code ${status[1]}` };
    return { status: code, delayMs: 0 };
  }
  const bytes = /^\/bytes\/([^/]+)\/?$/.exec(pathname);
  if (bytes) {
    const n = Number(bytes[1]);
    if (!Number.isInteger(n) || n < 0 || n > MAX_BYTES) return { error: `bad byte count ${bytes[1]}` };
    return { bytes: n };
  }
  const delay = /^\/delay\/([^/]+)\/?$/.exec(pathname);
  if (delay) {
    const ms = Number(delay[1]);
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) return { error: `bad delay ${delay[1]}` };
    return { status: 200, delayMs: ms };
  }
  return { status: 200, delayMs: 0 };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const noBody = req.method === "HEAD" || status === 204 || status === 304;
  const text = JSON.stringify(body) + "\n";
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  if (noBody) {
    res.end();
    return;
  }
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}

/** Starts the echo backend; resolves once it is listening. */
export function startEchoBackend(opts: EchoBackendOptions = {}): Promise<EchoBackend> {
  const name = opts.name ?? "echo";
  const host = opts.host ?? "127.0.0.1";
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    // Drain the body (so the connection can be reused) before answering.
    req.resume();
    req.on("end", () => {
      requests++;
      const path = req.url ?? "/";
      const p = plan(path);
      if ("error" in p) {
        send(req, res, 400, { backend: name, error: p.error });
        return;
      }
      if ("bytes" in p) {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": p.bytes });
        res.end(Buffer.alloc(p.bytes, "x"));
        return;
      }
      const body: EchoResponse = {
        backend: name,
        method: req.method ?? "",
        path,
        host: req.headers.host ?? "",
        headers: req.headers,
      };
      if (p.delayMs === 0) {
        send(req, res, p.status, body);
        return;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        send(req, res, p.status, body);
      }, p.delayMs);
      timers.add(t);
    });
  });
  // Never close idle keep-alive connections ourselves: Envoy's upstream pool keeps them for
  // an hour by default, and a backend-side close racing a reused connection shows up as a
  // spurious 503 in tests. close() ends them explicitly.
  server.keepAliveTimeout = 0;

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        port,
        url: `http://${urlHost}:${port}`,
        get requests() {
          return requests;
        },
        close: () =>
          new Promise<void>((done, fail) => {
            for (const t of timers) clearTimeout(t);
            timers.clear();
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
