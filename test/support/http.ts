/** A small HTTP client for traffic tests: one keep-alive agent, Host header control, JSON bodies. */
import { Agent, request } from "node:http";
import { createServer } from "node:net";

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

/** Sends one request (to `opts.address`, default 127.0.0.1); never throws (socket errors come back as status 0). */
export function httpGet(
  port: number,
  host: string,
  path = "/",
  opts: { method?: string; headers?: Record<string, string>; agent?: Agent; address?: string } = {},
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
    req.end();
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

/**
 * Below Linux's ephemeral range (`net.ipv4.ip_local_port_range`, 32768–60999 by default): the kernel never hands
 * these out for `bind(0)`, so a port chosen here cannot be taken by an Envoy admin listener, an echo backend or
 * any other `port: 0` socket in the gap between this probe and the test's own bind. A CI run once lost that race:
 * a Gateway's listener port chosen by `listen(0)` was then given to Envoy's admin (port 0) before the listener
 * arrived over xDS, and requests got the admin page.
 */
const PORT_LOW = 20_000;
const PORT_HIGH = 32_767;
/** Ports handed out by this process, so two calls never return the same port before either is bound. */
const handedOut = new Set<number>();

/** Whether `port` can be bound on 127.0.0.1 and 0.0.0.0 right now. */
function canBind(port: number): Promise<boolean> {
  const probe = (host: string) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
  return probe("127.0.0.1").then((ok) => (ok ? probe("0.0.0.0") : false));
}

/** A TCP port outside the kernel's ephemeral range that was free a moment ago and that no earlier call returned. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port in ${PORT_LOW}-${PORT_HIGH} after 500 attempts`);
}
