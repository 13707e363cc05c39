/**
 * A FAKE Datadog agent, written in the test: no real agent (nor the collector's Datadog receiver) can be built on
 * this machine, so the Datadog tracer's peer is this HTTP server on 127.0.0.1 that takes the trace API Envoy's
 * Datadog tracer (dd-trace-cpp) speaks, `PUT`/`POST /v0.4/traces` with a MessagePack body (an array of traces, each
 * an array of span maps), decodes the spans with the small MessagePack reader below, and answers every other path
 * (the tracer's `/info` and remote configuration polls) with an empty JSON object.
 */
import { createServer, type Server } from "node:http";
import { freePort } from "./http";

/** One span as the tracer sent it. */
export interface DatadogSpan {
  /** `service`. */
  readonly service: string;
  /** `name` (the operation). */
  readonly name: string;
  /** `resource`. */
  readonly resource: string;
  /** `trace_id`. */
  readonly traceId: bigint | number;
  /** `meta`: the string tags. */
  readonly meta: Readonly<Record<string, string>>;
}

/** A running fake agent. */
export interface FakeDatadogAgent {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Spans received so far. */
  readonly spans: DatadogSpan[];
  /** Paths requested so far (with the method). */
  readonly requests: string[];
  /** Stops it. */
  close(): Promise<void>;
}

/** A MessagePack reader over a buffer: just the types a trace payload uses. */
class MsgpackReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  read(): unknown {
    const b = this.buf[this.pos++];
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f);
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f);
    if ((b & 0xe0) === 0xa0) return this.str(b & 0x1f);
    return this.readTagged(b);
  }

  private readTagged(b: number): unknown {
    const fixed: Record<number, () => unknown> = {
      0xc0: () => null,
      0xc2: () => false,
      0xc3: () => true,
      0xc4: () => this.bytes(this.uint(1)),
      0xc5: () => this.bytes(this.uint(2)),
      0xc6: () => this.bytes(this.uint(4)),
      0xca: () => this.take(4, (o) => this.buf.readFloatBE(o)),
      0xcb: () => this.take(8, (o) => this.buf.readDoubleBE(o)),
      0xcc: () => this.uint(1),
      0xcd: () => this.uint(2),
      0xce: () => this.uint(4),
      0xcf: () => this.take(8, (o) => this.buf.readBigUInt64BE(o)),
      0xd0: () => this.take(1, (o) => this.buf.readInt8(o)),
      0xd1: () => this.take(2, (o) => this.buf.readInt16BE(o)),
      0xd2: () => this.take(4, (o) => this.buf.readInt32BE(o)),
      0xd3: () => this.take(8, (o) => this.buf.readBigInt64BE(o)),
      0xd9: () => this.str(this.uint(1)),
      0xda: () => this.str(this.uint(2)),
      0xdb: () => this.str(this.uint(4)),
      0xdc: () => this.array(this.uint(2)),
      0xdd: () => this.array(this.uint(4)),
      0xde: () => this.map(this.uint(2)),
      0xdf: () => this.map(this.uint(4)),
    };
    const f = fixed[b];
    if (!f) throw new Error(`unsupported MessagePack type 0x${b.toString(16)} at ${this.pos - 1}`);
    return f();
  }

  private take<T>(n: number, f: (offset: number) => T): T {
    const v = f(this.pos);
    this.pos += n;
    return v;
  }

  private uint(n: number): number {
    return this.take(n, (o) => this.buf.readUIntBE(o, n));
  }

  private bytes(n: number): Buffer {
    return this.take(n, (o) => this.buf.subarray(o, o + n));
  }

  private str(n: number): string {
    return this.bytes(n).toString("utf8");
  }

  private array(n: number): unknown[] {
    return Array.from({ length: n }, () => this.read());
  }

  private map(n: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) out[String(this.read())] = this.read();
    return out;
  }
}

/** The spans of a `/v0.4/traces` payload. */
function spansOf(body: Buffer): DatadogSpan[] {
  const traces = new MsgpackReader(body).read() as Record<string, unknown>[][];
  return traces.flat().map((s) => ({
    service: String(s.service ?? ""),
    name: String(s.name ?? ""),
    resource: String(s.resource ?? ""),
    traceId: s.trace_id as bigint | number,
    meta: (s.meta ?? {}) as Record<string, string>,
  }));
}

/** Starts the fake agent on a free port of 127.0.0.1. */
export async function startFakeDatadogAgent(): Promise<FakeDatadogAgent> {
  const spans: DatadogSpan[] = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === "/v0.4/traces") spans.push(...spansOf(Buffer.concat(chunks)));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { port, spans, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
