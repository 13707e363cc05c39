/**
 * The bench's HTTP clients in a worker thread: the controller runs in the bench's main thread, and a pass
 * there holds its event loop for as long as it translates, so clients in that thread would pause with it
 * (neither polling Envoy nor sending load) and time the controller's passes instead of Envoy's answers.
 * Times are epoch milliseconds (performance.timeOrigin + performance.now()), comparable across threads.
 */
import { Agent } from "node:http";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { KubeClient, loadKubeConfig } from "../../operator/src/provider/kubernetes/client";
import { httpGet } from "../../test/support/http";
import { patchRoute } from "./route-patch";

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
/** Changes routes `routes` in turn (route-patch.ts), one every `everyMs`, for `seconds`. */
interface ChangeRequest {
  readonly op: "change";
  readonly id: number;
  readonly kubeconfig: string;
  readonly routes: readonly number[];
  readonly seconds: number;
  readonly everyMs: number;
}
type Request = First200Request | LoadRequest | ChangeRequest;

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    await sleep(1); // about every millisecond, not back to back: the poller must not starve the 2 cores
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

/** Route changes made, and the longest a change was late on its 200 ms slot. */
export interface ChangeReply {
  readonly changes: number;
  readonly maxLateMs: number;
}

async function change(r: ChangeRequest): Promise<ChangeReply> {
  const client = new KubeClient(loadKubeConfig(r.kubeconfig));
  const start = epochNow();
  let changes = 0;
  let maxLateMs = 0;
  while (epochNow() < start + r.seconds * 1000) {
    const slot = start + changes * r.everyMs;
    maxLateMs = Math.max(maxLateMs, epochNow() - slot);
    await patchRoute(client, r.routes[changes % r.routes.length]!, `change-${changes}`);
    changes++;
    await sleep(Math.max(0, start + changes * r.everyMs - epochNow()));
  }
  return { changes, maxLateMs };
}

function work(r: Request): Promise<unknown> {
  if (r.op === "first200") return first200(r);
  return r.op === "load" ? load(r) : change(r);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", (r: Request) => {
    work(r).then(
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

  constructor(
    private readonly target: { readonly address: string; readonly port: number; readonly kubeconfig: string },
  ) {
    this.worker.on("message", (m: { id: number; reply?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.fail(new Error(m.error));
      else w?.ok(m.reply);
    });
  }

  private call<T>(r: Omit<First200Request, "id"> | Omit<LoadRequest, "id"> | Omit<ChangeRequest, "id">): Promise<T> {
    const id = this.next++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      this.worker.postMessage({ ...r, id });
    });
  }

  /** Polls Envoy for `host` about every millisecond until a 200. */
  first200(host: string, timeoutMs = 60_000): Promise<First200Reply> {
    return this.call({ op: "first200", address: this.target.address, port: this.target.port, host, timeoutMs });
  }

  /** Sends GETs to `hosts` round robin from `concurrency` clients for `seconds`. */
  load(hosts: readonly string[], seconds: number, concurrency: number): Promise<LoadReply> {
    return this.call({ op: "load", address: this.target.address, port: this.target.port, hosts, seconds, concurrency });
  }

  /** Changes `routes` in turn through the API server, one every `everyMs`, for `seconds`. */
  change(routes: readonly number[], seconds: number, everyMs: number): Promise<ChangeReply> {
    return this.call({ op: "change", kubeconfig: this.target.kubeconfig, routes, seconds, everyMs });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
