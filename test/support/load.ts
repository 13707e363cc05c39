/**
 * Steady HTTP load for availability tests: requests at a fixed rate, half on keep-alive connections (reused as a
 * browser or a service mesh client does) and half each on a new connection, counted as they end. A request
 * fails when it gets no answer (refused, reset, timeout) or an answer other than 200.
 */
import { Agent } from "node:http";
import { httpGet } from "./http";

/** Where the load goes and how much. */
export interface LoadOptions {
  /** The address and port requests go to. */
  readonly address: string;
  readonly port: number;
  /** Host header. */
  readonly host: string;
  /** Request path. @default / */
  readonly path?: string;
  /** Requests per second, all kinds together. @default 80 */
  readonly rps?: number;
}

/** What a load saw. */
export interface LoadResult {
  readonly total: number;
  readonly failures: number;
  /** Failures by what went wrong (status code or socket error), for messages. */
  readonly errors: Readonly<Record<string, number>>;
}

/** A running load. */
export interface Load {
  /** Stops sending, waits for the requests in flight, and returns the counts. */
  stop(): Promise<LoadResult>;
}

/** Starts a load; see the module comment. */
export function startLoad(o: LoadOptions): Load {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
  const fresh = new Agent({ keepAlive: false });
  const inFlight = new Set<Promise<void>>();
  const errors: Record<string, number> = {};
  let total = 0;
  let failures = 0;
  let n = 0;
  const send = (): void => {
    const agent = n++ % 2 === 0 ? keepAlive : fresh;
    const p = httpGet(o.port, o.host, o.path ?? "/", { address: o.address, agent }).then((res) => {
      total++;
      if (res.status === 200) return;
      failures++;
      const why = res.status === 0 ? (res.error ?? "no answer") : `HTTP ${res.status}`;
      errors[why] = (errors[why] ?? 0) + 1;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const timer = setInterval(send, 1000 / (o.rps ?? 80));
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      keepAlive.destroy();
      fresh.destroy();
      return { total, failures, errors };
    },
  };
}
