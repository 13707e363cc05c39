/** TCP and UDP echo backends and one-shot clients for the L4 traffic tests (all on 127.0.0.1). */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as tcpConnect, createServer, type Server } from "node:net";
import { freePort } from "./http";

/** A running TCP echo server and the port it listens on. */
export interface TcpEcho {
  readonly server: Server;
  readonly port: number;
}

/** A bound UDP echo socket and its port. */
export interface UdpEcho {
  readonly sock: UdpSocket;
  readonly port: number;
}

/** A TCP server on a free port that answers every chunk with `<name>:<chunk>`. */
export async function startTcpEcho(name: string): Promise<TcpEcho> {
  const server = createServer((s) => s.on("data", (d: Buffer) => s.write(`${name}:${d.toString()}`)));
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { server, port };
}

/**
 * A UDP socket on a free port that answers every datagram with `reply(datagram)`.
 * @default reply `<name>:<datagram>`
 */
export async function startUdpEcho(
  name: string,
  reply: (datagram: string) => string = (m) => `${name}:${m}`,
): Promise<UdpEcho> {
  const sock = createSocket("udp4");
  sock.on("message", (m, rinfo) => sock.send(reply(m.toString()), rinfo.port, rinfo.address));
  const port = await freePort();
  await new Promise<void>((r) => sock.bind(port, "127.0.0.1", r));
  return { sock, port };
}

/**
 * Sends `text` over a new TCP connection to 127.0.0.1:`port` and returns the first reply (3 s timeout).
 * @default localAddress the kernel's choice (127.0.0.1)
 */
export function tcpExchange(port: number, text: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ port, host: "127.0.0.1", ...(localAddress ? { localAddress } : {}) }, () => s.write(text));
    s.once("data", (d: Buffer) => {
      resolve(d.toString());
      s.end();
    });
    s.on("error", reject);
    s.on("close", () => reject(new Error("closed without a reply")));
    s.setTimeout(3000, () => s.destroy(new Error("timeout")));
  });
}

/** Sends one datagram from `sock` to 127.0.0.1:`port` and waits up to `waitMs` for a reply (undefined if none). */
export function udpExchange(sock: UdpSocket, port: number, text: string, waitMs = 500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onMessage = (m: Buffer): void => {
      clearTimeout(timer);
      sock.off("message", onMessage);
      resolve(m.toString());
    };
    const timer = setTimeout(() => {
      sock.off("message", onMessage);
      resolve(undefined);
    }, waitMs);
    sock.on("message", onMessage);
    sock.send(text, port, "127.0.0.1");
  });
}
