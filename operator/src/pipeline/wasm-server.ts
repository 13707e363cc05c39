/**
 * egts's Wasm module server: Envoy fetches the modules EnvoyExtensionPolicies name from here (cluster
 * `wasm_cluster`), never from the users' URLs, as with Envoy Gateway's port 18002. Only modules the cache has
 * fetched and checked are served (files named by their sha256), each at an unguessable path; anything else is a
 * 404. With a certificate folder (Kubernetes) it serves HTTPS and requires a client certificate signed by the
 * folder's CA (the proxies' xDS client certificates), as Envoy Gateway's does; TLS 1.2 or later (Envoy Gateway
 * accepts 1.3 only and raises its cluster's maximum to 1.3; egts's cluster keeps Envoy's client default, 1.2).
 * The files are read again every few seconds, so a certgen re-run takes effect for new connections without a
 * restart.
 */
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { readServerTls } from "../certgen/certgen";

/** Envoy Gateway's Wasm serving port. */
export const DEFAULT_WASM_SERVER_PORT = 18002;

/** HTTPS with client certificates: the control plane's certificate folder (ca.crt and the server's pair). */
export interface WasmServerTls {
  /** The folder (`egts certgen --local` output, or the mounted `envoy-gateway` Secret). */
  readonly certDir: string;
  /** How often the files are read again. @default 5000 */
  readonly refreshMs?: number;
}

/** An HTTP(S) server of module files by path. */
export class WasmServer {
  private readonly files = new Map<string, string>();
  private server?: Server | HttpsServer;
  private listening?: Promise<string>;
  private reload?: NodeJS.Timeout;

  /** `host`/`port`: where to listen (port 0: any free port); `tls`: serve HTTPS with client certificates. */
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly tls?: WasmServerTls,
  ) {}

  /** Starts listening once; resolves to the base URL (`http(s)://host:port`), rejects when it cannot listen. */
  start(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      let server: Server | HttpsServer;
      try {
        server = this.create();
      } catch (err) {
        this.listening = undefined;
        reject(err as Error);
        return;
      }
      server.once("error", (err) => {
        this.listening = undefined; // the next start() tries again
        clearInterval(this.reload);
        reject(err);
      });
      server.listen(this.port, this.host, () => {
        server.removeAllListeners("error");
        this.server = server;
        const port = (server.address() as AddressInfo).port;
        const host = this.host.includes(":") ? `[${this.host}]` : this.host;
        resolve(`${this.tls ? "https" : "http"}://${host}:${port}`);
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
    clearInterval(this.reload);
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private create(): Server | HttpsServer {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    if (!this.tls) return createServer(handler);
    const { certDir, refreshMs = 5_000 } = this.tls;
    let current = readServerTls(certDir); // throws naming a missing file
    const server = createHttpsServer(
      { ...current, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
      handler,
    );
    this.reload = setInterval(() => {
      try {
        const next = readServerTls(certDir);
        if (next.ca.equals(current.ca) && next.cert.equals(current.cert) && next.key.equals(current.key)) return;
        server.setSecureContext({ ...next, minVersion: "TLSv1.2" });
        current = next;
      } catch {
        // a folder being rewritten: keep the last good files, try again next time
      }
    }, refreshMs);
    this.reload.unref();
    return server;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const file = req.method === "GET" ? this.files.get((req.url ?? "").replace(/^\/+/, "")) : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/wasm" });
    createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  }
}
