/**
 * The propagation bench's HTTP poller, in a worker thread: the control plane runs in the bench's main thread, and a
 * poller sharing its event loop would see each response only once a pass (translate, build, GC) yields, charging
 * the pipeline's CPU to Envoy. The worker polls on its own loop and reports wall-clock times
 * (`performance.timeOrigin + performance.now()`, comparable across threads).
 */
import { Agent, request } from "node:http";
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

/** One GET through Envoy; resolves with the status (0 on a socket error or no answer in 5 s) and the body. */
function getBody(agent: Agent, job: PollJob): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port: job.port, path: job.path, headers: { host: job.host }, agent, timeout: 5000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", () => resolve({ status: 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}

/** Polls every ~1 ms until the job's condition holds. */
async function run(agent: Agent, job: PollJob): Promise<PollResult> {
  const deadline = wallNow() + job.timeoutMs;
  const failedStatuses: number[] = [];
  for (;;) {
    const r = await getBody(agent, job);
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
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  port.on("message", (req: Request) => {
    void run(agent, req).then((r) => port.postMessage({ ...r, id: req.id } satisfies Reply));
  });
}
