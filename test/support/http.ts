/** A small HTTP client for traffic tests: one keep-alive agent, Host header control, JSON bodies. */
import { Agent, request } from "node:http";

/** A response as tests see it. */
export interface HttpResult {
  /** Status code (0 when the request failed at the socket). */
  readonly status: number;
  /** Headers. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** Body text. */
  readonly body: string;
  /** Socket error message, when status is 0. */
  readonly error?: string;
}

/** A shared keep-alive agent, like a real client. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

/** Sends one request (to `opts.address`, default 127.0.0.1; with `opts.body` if given); never throws (socket errors come back as status 0). */
export function httpGet(
  port: number,
  host: string,
  path = "/",
  opts: { method?: string; headers?: Record<string, string>; agent?: Agent; address?: string; body?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: opts.address ?? "127.0.0.1",
        port,
        path,
        method: opts.method ?? "GET",
        headers: { host, ...opts.headers },
        agent: opts.agent ?? keepAlive,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on("error", (err) => resolve({ status: 0, headers: {}, body: "", error: err.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve({ status: 0, headers: {}, body: "", error: err.message }));
    req.end(opts.body);
  });
}

/** Polls until `check` passes or the time is up; returns the elapsed milliseconds. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Ports for test listeners: see operator/src/infra/host/free-port.ts (below the kernel's ephemeral range). */
export { freePort } from "../../operator/src/infra/host/free-port";
