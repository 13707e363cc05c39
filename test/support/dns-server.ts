/**
 * A tiny authoritative DNS server for tests (node:dgram, UDP on 127.0.0.1): answers A queries for the names it is
 * given, an empty NOERROR answer for other record types of those names, and NXDOMAIN for every other name. Enough
 * for Envoy's c-ares resolver (the dynamic forward proxy of DynamicResolver Backends) to resolve test hostnames
 * without touching the machine's resolver.
 */
import { createSocket, type Socket } from "node:dgram";
import { freePort } from "./http";

/** A running test DNS server. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `extensionApis.backend.dnsResolvers`. */
  readonly address: string;
  /** Names asked so far (lower case, in order). */
  readonly queries: readonly string[];
  /** Stops the server. */
  close(): Promise<void>;
}

const TYPE_A = 1;

/** The question's name (lower case), type and the offset after the question, or undefined for a malformed query. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  let at = 12;
  const labels: string[] = [];
  while (at < msg.length && msg[at] !== 0) {
    const len = msg[at];
    if (len > 63 || at + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString("latin1"));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return undefined;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

/** The answer to one query: the header, the question echoed, and an A record when there is one. */
function answer(msg: Buffer, records: ReadonlyMap<string, string>): Buffer | undefined {
  const q = readQuestion(msg);
  if (!q) return undefined;
  const ip = records.get(q.name);
  const withA = ip !== undefined && q.type === TYPE_A;
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(ip === undefined ? 0x8583 : 0x8580, 2); // response, authoritative, RD, RA; NXDOMAIN or OK
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(withA ? 1 : 0, 6);
  const question = msg.subarray(12, q.end);
  if (!withA) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the question's name
  rr.writeUInt16BE(TYPE_A, 2);
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(30, 6); // TTL
  rr.writeUInt16BE(4, 10);
  ip.split(".").forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
  return Buffer.concat([header, question, rr]);
}

/** Starts a DNS server answering `records` (name → IPv4 address) on a free port of 127.0.0.1. */
export async function startDnsServer(records: Record<string, string>): Promise<TestDnsServer> {
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const queries: string[] = [];
  const port = await freePort();
  const socket: Socket = createSocket("udp4");
  socket.on("message", (msg, peer) => {
    const q = readQuestion(msg);
    if (q) queries.push(q.name);
    const reply = answer(msg, table);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
