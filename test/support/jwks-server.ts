/**
 * A JWKS server for tests: HTTPS on 127.0.0.1 with a certificate for `localhost` issued by a test CA
 * (test/support/pki.ts), serving the current key set at `/jwks` and counting the fetches. The key set can be
 * replaced while it runs (key rotation).
 */
import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { freePort } from "./http";
import { makeCa, type TestCa } from "./pki";

/** A running JWKS server. */
export interface JwksServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The CA that issued its certificate (PEM in `ca.cert`), for a BackendTLSPolicy. */
  readonly ca: TestCa;
  /** The host name its certificate is for. */
  readonly hostname: string;
  /** Requests for `/jwks` answered so far. */
  readonly fetches: number;
  /** Replaces the key set served. */
  setJwks(json: string): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** The path the key set is served at. */
export const JWKS_PATH = "/jwks";

/** Starts a JWKS server serving `json`, with a certificate for `opts.hostname` (localhost) from `opts.ca` (a new CA). */
export async function startJwksServer(
  json: string,
  opts: { readonly ca?: TestCa; readonly hostname?: string } = {},
): Promise<JwksServer> {
  const hostname = opts.hostname ?? "localhost";
  const ca = opts.ca ?? makeCa("egts test JWKS CA");
  const leaf = ca.issue(hostname);
  let jwks = json;
  let fetches = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
    if ((req.url ?? "").split("?")[0] !== JWKS_PATH) {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    ca,
    hostname,
    get fetches() {
      return fetches;
    },
    setJwks(next) {
      jwks = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
