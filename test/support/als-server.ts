/**
 * A real gRPC Access Log Service for the EnvoyProxy ALS sink tests: `envoy.service.accesslog.v3.AccessLogService/
 * StreamAccessLogs` (a client stream per logger and thread) on @grpc/grpc-js at 127.0.0.1. The entries are the
 * generated ts-proto HTTPAccessLogEntry and TCPAccessLogEntry messages; their envelope, StreamAccessLogsMessage
 * (identifier { node 1, log_name 2 }, http_logs 2, tcp_logs 3, each { log_entry 1 repeated }), is decoded by hand:
 * the service proto is not in our generated API.
 */
import * as grpc from "@grpc/grpc-js";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { HTTPAccessLogEntry, TCPAccessLogEntry } from "../../proto/gen/envoy/data/accesslog/v3/accesslog";
import { freePort } from "./http";

/** One stream message: the logger's name and its entries. */
export interface AlsMessage {
  /** `identifier.log_name` ("" on a stream's later messages, which Envoy sends without identifier). */
  readonly logName: string;
  /** HTTP entries. */
  readonly http: readonly HTTPAccessLogEntry[];
  /** TCP entries. */
  readonly tcp: readonly TCPAccessLogEntry[];
}

/** A running service. */
export interface AlsServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every message received, in order. */
  readonly messages: AlsMessage[];
  /** Every HTTP entry received with the log name of its stream. */
  httpEntries(): { logName: string; entry: HTTPAccessLogEntry }[];
  /** Every TCP entry received with the log name of its stream. */
  tcpEntries(): { logName: string; entry: TCPAccessLogEntry }[];
  /** Stops it. */
  close(): Promise<void>;
}

/** The length-delimited fields of a message, by number (others skipped). */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const r = new BinaryReader(bytes);
  const out = new Map<number, Uint8Array[]>();
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (type !== WireType.LengthDelimited) r.skip(type, no);
    else out.set(no, [...(out.get(no) ?? []), r.bytes()]);
  }
  return out;
}

/** Decodes a StreamAccessLogsMessage. */
function decodeMessage(b: Buffer): AlsMessage {
  const f = fields(b);
  const id = f.get(1)?.[0];
  const logName = id ? new TextDecoder().decode(fields(id).get(2)?.[0] ?? new Uint8Array()) : "";
  const entries = (no: number): Uint8Array[] => (f.get(no) ?? []).flatMap((list) => fields(list).get(1) ?? []);
  return {
    logName,
    http: entries(2).map((e) => HTTPAccessLogEntry.decode(e)),
    tcp: entries(3).map((e) => TCPAccessLogEntry.decode(e)),
  };
}

const AccessLogServiceDefinition = {
  streamAccessLogs: {
    path: "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs",
    requestStream: true,
    responseStream: false,
    requestSerialize: (): Buffer => Buffer.alloc(0),
    requestDeserialize: decodeMessage,
    responseSerialize: (): Buffer => Buffer.alloc(0),
    responseDeserialize: (): Record<string, never> => ({}),
    originalName: "StreamAccessLogs",
  },
} satisfies grpc.ServiceDefinition;

/** Starts the service on a free port of 127.0.0.1. */
export async function startAlsServer(): Promise<AlsServer> {
  const messages: AlsMessage[] = [];
  /** Per stream, the entries tagged with the log name of the stream's first message. */
  const http: { logName: string; entry: HTTPAccessLogEntry }[] = [];
  const tcp: { logName: string; entry: TCPAccessLogEntry }[] = [];
  const server = new grpc.Server();
  server.addService(AccessLogServiceDefinition, {
    streamAccessLogs: (call: grpc.ServerReadableStream<AlsMessage, unknown>, done: grpc.sendUnaryData<unknown>) => {
      let logName = "";
      call.on("data", (m: AlsMessage) => {
        messages.push(m);
        if (m.logName) logName = m.logName;
        for (const entry of m.http) http.push({ logName, entry });
        for (const entry of m.tcp) tcp.push({ logName, entry });
      });
      call.on("end", () => done(null, {}));
      call.on("error", () => undefined);
    },
  });
  const port = await freePort();
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    messages,
    httpEntries: () => [...http],
    tcpEntries: () => [...tcp],
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}
