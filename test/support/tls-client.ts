/** TLS clients for the traffic tests: HTTPS GET and a raw TLS exchange, each returning the peer certificate. */
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { connect, type PeerCertificate, type TLSSocket } from "node:tls";
import type { KeyPair } from "./pki";

/** An HTTPS answer and the certificate the server presented. */
export interface HttpsResult {
  readonly status: number;
  readonly body: string;
  /** The body's bytes. */
  readonly bytes: Buffer;
  readonly peer: PeerCertificate;
  /** Response headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
}

/**
 * GET `path` (default /) over HTTPS to `address` (default 127.0.0.1):`port` with SNI and Host `servername`,
 * trusting `ca`, presenting `client` if given, sending `headers` besides Host if given.
 */
export function httpsGet(
  port: number,
  servername: string,
  ca: string,
  opts: {
    readonly client?: KeyPair;
    readonly address?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly path?: string;
  } = {},
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const client = opts.client ? { cert: opts.client.cert, key: opts.client.key } : {};
    const options = { host: opts.address ?? "127.0.0.1", port, servername, path: opts.path ?? "/", ca, agent: false };
    const req = request({ ...options, headers: { host: servername, ...opts.headers }, ...client }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body: bytes.toString(), bytes, peer, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** Opens a TLS connection with SNI `servername`, sends `text`, and returns the first reply and the peer certificate. */
export function tlsExchange(
  port: number,
  servername: string,
  ca: string,
  text: string,
): Promise<{ reply: string; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, ca }, () => {
      const peer = socket.getPeerCertificate();
      socket.once("data", (d: Buffer) => {
        resolve({ reply: d.toString(), peer });
        socket.end();
      });
      socket.write(text);
    });
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
  });
}
