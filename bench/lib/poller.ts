/**
 * The propagation bench's HTTP poller, in a worker thread: the control plane runs in the bench's main thread, and a
 * poller sharing its event loop would see each response only once a pass (translate, build, GC) yields, charging
 * the pipeline's CPU to Envoy. The worker polls on its own loop and reports wall-clock times
 * (`performance.timeOrigin + performance.now()`, comparable across threads).
 */
import { connect, type Socket } from "node:net";
import { isMainThread, parentPort, Worker } from "node:worker_threads";

/** What to poll for: a 200 for `host` (`until: "ok"`), or a 200 whose body has `marker` (counting other statuses). */
export interface PollJob {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  /** Body substring that ends the poll (omitted: any 200). */
  readonly marker?: string;
  /** Give up after this many ms. */
  readonly timeoutMs: number;
}

/** A poll's outcome: when it ended (wall-clock ms, NaN on timeout) and the non-200 statuses seen on the way. */
export interface PollResult {
  readonly at: number;
  readonly failedStatuses: readonly number[];
  readonly lastStatus: number;
}

interface Request extends PollJob {
  readonly id: number;
}

interface Reply extends PollResult {
  readonly id: number;
}

/** Wall-clock now in ms with sub-ms resolution, comparable between threads. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The main thread's side: one worker, one poll at a time or several. */
export class Poller {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, (r: PollResult) => void>();

  constructor() {
    this.worker = new Worker(__filename);
    this.worker.on("message", (r: Reply) => {
      const done = this.pending.get(r.id);
      this.pending.delete(r.id);
      done?.(r);
    });
    this.worker.unref();
  }

  /** Starts polling now; resolves when the job's condition held or it timed out. */
  poll(job: PollJob): Promise<PollResult> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...job, id } satisfies Request);
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One keep-alive HTTP/1.1 connection speaking just enough of the protocol for a GET and its response (status line,
 * `content-length` or chunked body). Node's `http` client cost ~0.4 ms of CPU per request here, and the poller shares
 * the bench's two cores with the control plane and Envoy: its CPU was measurement overhead charged to both.
 */
class RawGetter {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((r: { status: number; body: string }) => void) | undefined;

  constructor(private readonly port: number) {}

  /** One GET; resolves with the status (0 on a socket error or no answer in 5 s) and the body. */
  get(host: string, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const socket = this.connected();
      const timer = setTimeout(() => this.fail(), 5000);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nuser-agent: egts-bench-poller\r\n\r\n`);
    });
  }

  private connected(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.buffer = Buffer.alloc(0);
    const socket = connect({ host: "127.0.0.1", port: this.port, noDelay: true });
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    // Only the current connection's end fails the request in flight (an old one closing later is no news).
    const ended = (): void => {
      if (this.socket === socket) this.fail();
    };
    socket.on("error", ended);
    socket.on("close", ended);
    this.socket = socket;
    return socket;
  }

  /** Ends the request in flight with status 0 and drops the connection (the next request opens another). */
  private fail(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.settle({ status: 0, body: "" });
  }

  private settle(r: { status: number; body: string }): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(r);
  }

  /** Completes the request in flight once its whole response is buffered. */
  private parse(): void {
    const headEnd = this.buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = this.buffer.subarray(0, headEnd).toString("latin1");
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const start = headEnd + 4;
    let body: Buffer | undefined;
    let end = start;
    if (length) {
      end = start + Number(length[1]);
      if (this.buffer.length < end) return;
      body = this.buffer.subarray(start, end);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = this.buffer.indexOf("\r\n", end);
        if (lineEnd < 0) return;
        const size = parseInt(this.buffer.subarray(end, lineEnd).toString("latin1"), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return;
        chunks.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        end = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(chunks);
    } else {
      body = Buffer.alloc(0);
    }
    this.buffer = this.buffer.subarray(end);
    if (/\r\nconnection:\s*close/i.test(head)) {
      const closing = this.socket;
      this.socket = undefined;
      closing?.destroy();
    }
    this.settle({ status, body: body.toString("utf8") });
  }
}

/** Polls every ~1 ms until the job's condition holds. */
async function run(getter: RawGetter, job: PollJob): Promise<PollResult> {
  const deadline = wallNow() + job.timeoutMs;
  const failedStatuses: number[] = [];
  for (;;) {
    const r = await getter.get(job.host, job.path);
    const now = wallNow();
    if (r.status === 200 && (job.marker === undefined || r.body.includes(job.marker))) {
      return { at: now, failedStatuses, lastStatus: r.status };
    }
    if (job.marker !== undefined && r.status !== 200) failedStatuses.push(r.status);
    if (now > deadline) return { at: NaN, failedStatuses, lastStatus: r.status };
    await sleep(1);
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  // Idle connections per port: a poll takes one (or opens one) and gives it back, so polls may overlap.
  const idle = new Map<number, RawGetter[]>();
  port.on("message", (req: Request) => {
    const getter = idle.get(req.port)?.pop() ?? new RawGetter(req.port);
    void run(getter, req)
      .finally(() => idle.set(req.port, [...(idle.get(req.port) ?? []), getter]))
      .then((r) => port.postMessage({ ...r, id: req.id } satisfies Reply));
  });
}
