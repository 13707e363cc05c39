/**
 * The kubelet's HTTPS endpoint, for `kubectl logs`: kube-apiserver reads a container's log from
 * `https://<node InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>/containerLogs/{ns}/{pod}/{container}`
 * with its --kubelet-client-certificate, verifying this server against --kubelet-certificate-authority.
 * The simulated kubelet keeps each container's output as timestamped lines ({@link ContainerLog}, as the
 * container runtime's log files do) and this server answers with them, honouring the PodLogOptions the API
 * server forwards: sinceTime, sinceSeconds, tailLines, limitBytes, timestamps, previous, and follow (new
 * lines are streamed until the container exits or the client goes). Client certificates are not checked.
 * Port-forward upgrades (`/portForward/{ns}/{pod}`, for `pods/portforward`, SPDY/3.1 or WebSocket) go to
 * kubelet-port-forward.ts.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { handlePortForward, type PodEnter } from "./kubelet-port-forward";

/** One line of a container's output. */
interface LogLine {
  /** RFC 3339 time with nanoseconds (`2026-12-03T23:00:00.123000000Z`), when the line was read. */
  readonly time: string;
  readonly ms: number;
  readonly text: string;
}

/** A container's output, kept as timestamped lines (at most `max`, the oldest dropped first). */
export class ContainerLog {
  private readonly lines: LogLine[] = [];
  private partial = "";
  private dropped = 0;
  /** Set when the container exited: a follow ends. */
  closed = false;

  constructor(private readonly max = 50_000) {}

  /** Appends a chunk of output (stdout or stderr). */
  append(chunk: Buffer): void {
    const now = new Date();
    const time = now.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
    const parts = (this.partial + chunk.toString("utf8")).split("\n");
    this.partial = parts.pop() ?? "";
    for (const text of parts) this.lines.push({ time, ms: now.getTime(), text });
    if (this.lines.length > this.max) {
      this.dropped += this.lines.length - this.max;
      this.lines.splice(0, this.lines.length - this.max);
    }
  }

  /** Lines from index `from` (counting every line ever appended) on, and the index after the last one. */
  since(from: number): { readonly lines: readonly LogLine[]; readonly next: number } {
    const start = Math.max(0, from - this.dropped);
    return { lines: this.lines.slice(start), next: this.dropped + this.lines.length };
  }
}

/** Resolves a container's log: `previous` asks for the last terminated instance. */
export type LogSource = (ns: string, pod: string, container: string, previous: boolean) => ContainerLog | undefined;

/** The PodLogOptions of a request, as query parameters. */
export interface LogQuery {
  readonly follow: boolean;
  readonly timestamps: boolean;
  readonly sinceMs: number | undefined;
  readonly tail: number | undefined;
  readonly limitBytes: number | undefined;
}

function parseQuery(q: URLSearchParams): LogQuery {
  const num = (k: string): number | undefined => (q.has(k) ? Number(q.get(k)) : undefined);
  const sinceTime = q.get("sinceTime");
  const sinceSeconds = num("sinceSeconds");
  return {
    follow: q.get("follow") === "true",
    timestamps: q.get("timestamps") === "true",
    sinceMs: sinceTime
      ? Date.parse(sinceTime)
      : sinceSeconds !== undefined
        ? Date.now() - sinceSeconds * 1000
        : undefined,
    tail: num("tailLines"),
    limitBytes: num("limitBytes"),
  };
}

/** The selected lines as the response body. Pure. */
export function renderLog(lines: readonly LogLine[], q: LogQuery): string {
  let sel = q.sinceMs === undefined ? lines : lines.filter((l) => l.ms >= Math.floor((q.sinceMs ?? 0) / 1000) * 1000);
  if (q.tail !== undefined && q.tail >= 0) sel = sel.slice(Math.max(0, sel.length - q.tail));
  const body = sel.map((l) => (q.timestamps ? `${l.time} ${l.text}\n` : `${l.text}\n`)).join("");
  return q.limitBytes !== undefined ? body.slice(0, q.limitBytes) : body;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The kubelet's HTTPS server; see the module comment. */
export class KubeletServer {
  private server?: Server;

  constructor(
    private readonly tls: { readonly cert: string; readonly key: string },
    private readonly logs: LogSource,
    private readonly enter: PodEnter = () => undefined,
  ) {}

  /** Listens on `host` (any free port); resolves the port. */
  start(host: string): Promise<number> {
    const server = createServer({ ...this.tls, requestCert: false }, (req, res) => {
      const url = new URL(req.url ?? "/", "https://kubelet");
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (req.method !== "GET" || !m) {
        res.writeHead(404).end("not found\n");
        return;
      }
      const [ns, pod, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ""));
      const log = this.logs(ns ?? "", pod ?? "", container ?? "", url.searchParams.get("previous") === "true");
      if (!log) {
        res.writeHead(404).end(`container ${container} of pod ${ns}/${pod} is not running here\n`);
        return;
      }
      const q = parseQuery(url.searchParams);
      res.writeHead(200, { "content-type": "text/plain" });
      const first = log.since(0);
      res.write(renderLog(first.lines, q));
      if (!q.follow) {
        res.end();
        return;
      }
      void this.follow(log, first.next, q, res);
    });
    server.on(
      "upgrade",
      (req: import("node:http").IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
        if (!handlePortForward(req, socket, head, this.enter)) socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      },
    );
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  private async follow(
    log: ContainerLog,
    from: number,
    q: LogQuery,
    res: import("node:http").ServerResponse,
  ): Promise<void> {
    let next = from;
    while (!res.destroyed && !log.closed) {
      await sleep(200);
      const more = log.since(next);
      next = more.next;
      if (more.lines.length > 0) res.write(renderLog(more.lines, { ...q, tail: undefined, sinceMs: undefined }));
    }
    res.end();
  }

  stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
