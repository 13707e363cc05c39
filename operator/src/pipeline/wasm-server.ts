/**
 * egts's Wasm module server: Envoy fetches the modules EnvoyExtensionPolicies name from here (cluster
 * `wasm_cluster`), never from the users' URLs, as with Envoy Gateway's port 18002. Only modules the cache has
 * fetched and checked are served, each at an unguessable path; anything else is a 404.
 */
import { createReadStream } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Envoy Gateway's Wasm serving port. */
export const DEFAULT_WASM_SERVER_PORT = 18002;

/** An HTTP server of module files by path. */
export class WasmServer {
  private readonly files = new Map<string, string>();
  private server?: Server;
  private listening?: Promise<string>;

  /** `host`/`port`: where to listen (port 0: any free port). */
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Starts listening once; resolves to the base URL (`http://host:port`), rejects when it cannot listen. */
  start(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      const server = createServer((req, res) => {
        const file = req.method === "GET" ? this.files.get((req.url ?? "").replace(/^\/+/, "")) : undefined;
        if (!file) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/wasm" });
        createReadStream(file)
          .on("error", () => res.destroy())
          .pipe(res);
      });
      server.once("error", (err) => {
        this.listening = undefined; // the next start() tries again
        reject(err);
      });
      server.listen(this.port, this.host, () => {
        server.removeAllListeners("error");
        this.server = server;
        const port = (server.address() as AddressInfo).port;
        resolve(`http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${port}`);
      });
    });
    return this.listening;
  }

  /** Serves `file` at `path` (no leading slash). */
  serve(path: string, file: string): void {
    this.files.set(path, file);
  }

  /** Stops serving `path`. */
  forget(path: string): void {
    this.files.delete(path);
  }

  /** Closes the server (open connections included). */
  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
