/**
 * The bench's HTTP clients in a worker thread: the controller runs in the bench's main thread, and a pass
 * there holds its event loop for as long as it translates, so clients in that thread would pause with it
 * (neither polling Envoy nor sending load) and time the controller's passes instead of Envoy's answers.
 * Times are epoch milliseconds (performance.timeOrigin + performance.now()), comparable across threads.
 */
import { Agent } from "node:http";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { httpGet } from "../../test/support/http";

/** Polls `host` until 200 (see {@link ClientWorker.first200}). */
interface First200Request {
  readonly op: "first200";
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly timeoutMs: number;
}
/** GETs `hosts` round robin from `concurrency` clients for `seconds`. */
interface LoadRequest {
  readonly op: "load";
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly hosts: readonly string[];
  readonly seconds: number;
  readonly concurrency: number;
}
type Request = First200Request | LoadRequest;

/** The first 200's epoch time, and the answers before it. */
export interface First200Reply {
  readonly at: number;
  readonly polls: number;
  /** Answers other than 404 before the 200 (socket errors: status 0). */
  readonly unexpected: number;
}
/** What a load run got. */
export interface LoadReply {
  readonly requests: number;
  /** Count per status of the non-2xx answers. */
  readonly byStatus: Record<string, number>;
}

/** Now, in epoch milliseconds with sub-millisecond precision. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const get = async (r: { address: string; port: number }, host: string): Promise<number> =>
  (await httpGet(r.port, host, "/", { address: r.address, agent })).status;

async function first200(r: First200Request): Promise<First200Reply> {
  const deadline = epochNow() + r.timeoutMs;
  let polls = 0;
  let unexpected = 0;
  for (;;) {
    const status = await get(r, r.host);
    if (status === 200) return { at: epochNow(), polls, unexpected };
    polls++;
    if (status !== 404) unexpected++;
    if (epochNow() > deadline) throw new Error(`${r.host}: no 200 within ${r.timeoutMs} ms (last ${status})`);
  }
}

async function load(r: LoadRequest): Promise<LoadReply> {
  const end = epochNow() + r.seconds * 1000;
  let requests = 0;
  let next = 0;
  const byStatus: Record<string, number> = {};
  const client = async (): Promise<void> => {
    while (epochNow() < end) {
      const status = await get(r, r.hosts[next++ % r.hosts.length]!);
      requests++;
      if (status < 200 || status > 299) byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: r.concurrency }, client));
  return { requests, byStatus };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", (r: Request) => {
    const work: Promise<unknown> = r.op === "first200" ? first200(r) : load(r);
    work.then(
      (reply) => port.postMessage({ id: r.id, reply }),
      (err: unknown) => port.postMessage({ id: r.id, error: String(err) }),
    );
  });
}

/** The main thread's handle on the worker. */
export class ClientWorker {
  private readonly worker = new Worker(__filename);
  private next = 0;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();

  constructor(private readonly target: { readonly address: string; readonly port: number }) {
    this.worker.on("message", (m: { id: number; reply?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.fail(new Error(m.error));
      else w?.ok(m.reply);
    });
  }

  private call<T>(r: Omit<First200Request, "id"> | Omit<LoadRequest, "id">): Promise<T> {
    const id = this.next++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      this.worker.postMessage({ ...r, id });
    });
  }

  /** Polls Envoy for `host` back to back until a 200. */
  first200(host: string, timeoutMs = 60_000): Promise<First200Reply> {
    return this.call({ op: "first200", ...this.target, host, timeoutMs });
  }

  /** Sends GETs to `hosts` round robin from `concurrency` clients for `seconds`. */
  load(hosts: readonly string[], seconds: number, concurrency: number): Promise<LoadReply> {
    return this.call({ op: "load", ...this.target, hosts, seconds, concurrency });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
