/**
 * An HTTP backend that answers every request with its own body (200, text/plain), and the request's
 * content-length and transfer-encoding in `x-request-content-length` / `x-request-transfer-encoding`: a test sees
 * the body Envoy forwarded, and how it was framed.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A running body echo backend. */
export interface BodyEcho {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Stops it (open connections are closed). */
  close(): Promise<void>;
}

/** Starts a body echo backend on a free port of 127.0.0.1. */
export async function startBodyEcho(): Promise<BodyEcho> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, {
        "content-type": "text/plain",
        "content-length": body.length,
        "x-request-content-length": String(req.headers["content-length"] ?? ""),
        "x-request-transfer-encoding": String(req.headers["transfer-encoding"] ?? ""),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
