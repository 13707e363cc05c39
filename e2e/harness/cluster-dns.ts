/**
 * The cluster DNS of the pod network: a tiny DNS server (UDP, port 53 of the bridge address) that
 * answers A queries for `<svc>.<ns>.svc.cluster.local` with the Service's ClusterIP (the simulated
 * kube-proxy's table, current to its last sync), NODATA for other query types of a known name, NXDOMAIN for
 * any other name (there is no upstream: pods reach nothing outside the pod network). Each pod's
 * /etc/resolv.conf (bind-mounted by the kubelet) names it, with the search path `<ns>.svc.cluster.local
 * svc.cluster.local cluster.local`. One question per message; no TCP, no recursion, no caching (TTL 5 s).
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

const TYPE_A = 1;
const CLASS_IN = 1;
const TTL_S = 5;

/** A parsed question: the name (lower case, no trailing dot), its type, and where the question ends. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  let i = 12;
  const labels: string[] = [];
  while (i < msg.length) {
    const len = msg[i] ?? 0;
    if (len === 0) break;
    if (len > 63) return undefined; // compression pointers do not occur in a question
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  if (i + 5 > msg.length) return undefined;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(i + 1), end: i + 5 };
}

/**
 * The answer to one DNS query message (`lookup` maps a name to an IPv4 address), or undefined for a message
 * that is not a query with one question. Pure.
 */
export function dnsAnswer(query: Buffer, lookup: (name: string) => string | undefined): Buffer | undefined {
  if (query.length < 12 || (query[2] ?? 0) & 0x80 || query.readUInt16BE(4) !== 1) return undefined;
  const q = readQuestion(query);
  if (!q) return undefined;
  const ip = lookup(q.name);
  const answer = ip !== undefined && q.type === TYPE_A;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  // QR, opcode 0, AA, RD copied; RA; rcode NXDOMAIN (3) for an unknown name.
  header[2] = 0x84 | ((query[2] ?? 0) & 0x01);
  header[3] = 0x80 | (ip === undefined ? 3 : 0);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer ? 1 : 0, 6);
  const question = query.subarray(12, q.end);
  if (!answer) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  rr.writeUInt16BE(TYPE_A, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(TTL_S, 6);
  rr.writeUInt16BE(4, 10);
  ip.split(".").forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
  return Buffer.concat([header, question, rr]);
}

/** The resolv.conf of a pod in namespace `ns`. */
export function podResolvConf(nameserver: string, ns: string): string {
  return `nameserver ${nameserver}\nsearch ${ns}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
}

/** The DNS server; see the module comment. */
export class ClusterDns {
  private socket?: Socket;
  /** Queries answered so far, by name (for tests: proof that a resolver asked here). */
  readonly queries = new Map<string, number>();

  constructor(private readonly lookup: (name: string) => string | undefined) {}

  /** Binds `address`:53. */
  start(address: string, port = 53): Promise<void> {
    const socket = createSocket("udp4");
    this.socket = socket;
    socket.on("message", (msg: Buffer, from: RemoteInfo) => {
      const q = msg.length > 12 ? readQuestion(msg) : undefined;
      if (q) this.queries.set(q.name, (this.queries.get(q.name) ?? 0) + 1);
      const reply = dnsAnswer(msg, this.lookup);
      if (reply) socket.send(reply, from.port, from.address);
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => {
        socket.off("error", reject);
        socket.on("error", () => undefined);
        resolve();
      });
    });
  }

  /** The bound UDP port (53 unless started on another). */
  port(): number {
    return this.socket?.address().port ?? 0;
  }

  stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
