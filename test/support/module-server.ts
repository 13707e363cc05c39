/**
 * A plain HTTP file server for module fetches (Wasm and dynamic modules): each path answers the body or status a
 * test sets, and every request is counted, so a test sees how often a cache fetched.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running module server. */
export interface ModuleServer {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Sets what `path` answers: a body (200) or a status without body. */
  set(path: string, answer: Buffer | number): void;
  /** Requests received for `path`. */
  hits(path: string): number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts a module server on a free port of 127.0.0.1; unknown paths answer 404. */
export async function startModuleServer(): Promise<ModuleServer> {
  const answers = new Map<string, Buffer | number>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    counts.set(path, (counts.get(path) ?? 0) + 1);
    req.resume();
    const answer = answers.get(path) ?? 404;
    if (typeof answer === "number") {
      res.writeHead(answer).end();
    } else res.writeHead(200, { "content-type": "application/octet-stream" }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    set: (path, answer) => void answers.set(path, answer),
    hits: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
