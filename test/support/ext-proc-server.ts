/**
 * A real external processor for EnvoyExtensionPolicy `extProc` tests: a gRPC server on 127.0.0.1 implementing
 * `envoy.service.ext_proc.v3.ExternalProcessor/Process` (a bidirectional stream, one per HTTP request) with
 * @grpc/grpc-js and the generated ts-proto messages, registered by hand with their encode/decode as the ADS service
 * is (operator/src/xds/server/service.ts).
 *
 * For every message Envoy sends, the test's `process` function gets the message in a simple shape (which phase,
 * the headers or body, the request's `:authority` and `:path` once seen) and returns what to do: nothing (continue
 * unchanged), header mutations, a body replacement, an immediate response, a mode override, or a delay. The server
 * records every message it received.
 */
import * as grpc from "@grpc/grpc-js";
import type { HeaderMap } from "../../proto/gen/envoy/config/core/v3/base";
import {
  ProcessingMode_BodySendMode,
  ProcessingMode_HeaderSendMode,
} from "../../proto/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode";
import { ProcessingRequest, ProcessingResponse } from "../../proto/gen/envoy/service/ext_proc/v3/external_processor";
import { codec } from "../../operator/src/xds/server/service";

/** The phase of a message (which field of ProcessingRequest is set). */
export type ExtProcPhase =
  "requestHeaders" | "requestBody" | "requestTrailers" | "responseHeaders" | "responseBody" | "responseTrailers";

/** One message from Envoy, in the shape the test sees. */
export interface ExtProcMessage {
  /** Its phase. */
  readonly phase: ExtProcPhase;
  /** The request's `:authority` (from its request headers; "" when they were not sent). */
  readonly host: string;
  /** The request's `:path` ("" when the request headers were not sent). */
  readonly path: string;
  /** Headers of a headers phase (lower-case names; pseudo-headers included). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body chunk of a body phase. */
  readonly body: Buffer;
  /** Whether this is the last message of its direction. */
  readonly endOfStream: boolean;
  /** Attributes Envoy sent with it (by filter name, then attribute). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Dynamic metadata Envoy forwarded (by namespace). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** What the processor answers to one message. */
export interface ExtProcAction {
  /** Headers to set (replacing any value). */
  readonly setHeaders?: Readonly<Record<string, string>>;
  /** Headers to remove. */
  readonly removeHeaders?: readonly string[];
  /** Replace the body (a body phase; a headers phase with CONTINUE_AND_REPLACE). */
  readonly body?: string | Buffer;
  /** Replace a body chunk in FullDuplexStreamed mode (a streamed response, ending where the chunk ends). */
  readonly streamedBody?: string;
  /** Answer the client directly instead. */
  readonly immediate?: { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> };
  /** Turn off the response body for this request (needs allowModeOverride). */
  readonly skipResponseBody?: boolean;
  /** Dynamic metadata to write (namespace → fields). */
  readonly dynamicMetadata?: Readonly<Record<string, Record<string, unknown>>>;
  /** Wait this long before answering, in milliseconds. */
  readonly delayMs?: number;
  /** Fail the stream (gRPC UNAVAILABLE) instead of answering. */
  readonly fail?: boolean;
}

/** A running test processor. */
export interface ExtProcServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every message received, in order. */
  readonly messages: ExtProcMessage[];
  /** Stops it (open streams are cancelled). */
  close(): Promise<void>;
}

const PROCESS_PATH = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";
const requestCodec = codec(ProcessingRequest);
const responseCodec = codec(ProcessingResponse);

/** The ExternalProcessor service definition (bidi Process), usable with `grpc.Server.addService`. */
const ExternalProcessorDefinition = {
  process: {
    path: PROCESS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: requestCodec.serialize,
    requestDeserialize: requestCodec.deserialize,
    responseSerialize: responseCodec.serialize,
    responseDeserialize: responseCodec.deserialize,
    originalName: "Process",
  },
} satisfies grpc.ServiceDefinition;

const PHASES: readonly ExtProcPhase[] = [
  "requestHeaders",
  "requestBody",
  "requestTrailers",
  "responseHeaders",
  "responseBody",
  "responseTrailers",
];

/** Header values as Envoy sends them (`raw_value` bytes, or `value`). */
function headersOf(map: HeaderMap | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of map?.headers ?? []) out[h.key] = h.rawValue.length > 0 ? h.rawValue.toString() : h.value;
  return out;
}

/** The phase of a request and its message. */
function messageOf(req: ProcessingRequest, seen: { host: string; path: string }): ExtProcMessage {
  const phase = PHASES.find((p) => req[p] !== undefined) ?? "requestHeaders";
  const headerPhase = phase === "requestHeaders" ? req.requestHeaders : req.responseHeaders;
  const headers = phase === "requestHeaders" || phase === "responseHeaders" ? headersOf(headerPhase?.headers) : {};
  if (phase === "requestHeaders") {
    seen.host = headers[":authority"] ?? "";
    seen.path = headers[":path"] ?? "";
  }
  const bodyMsg = phase === "requestBody" ? req.requestBody : phase === "responseBody" ? req.responseBody : undefined;
  return {
    phase,
    host: seen.host,
    path: seen.path,
    headers,
    body: bodyMsg?.body ?? Buffer.alloc(0),
    endOfStream: bodyMsg?.endOfStream ?? headerPhase?.endOfStream ?? false,
    attributes: { ...req.attributes },
    metadata: { ...(req.metadataContext?.filterMetadata ?? {}) },
  };
}

/** Header name/value pairs → Envoy HeaderValueOptions (raw values, overwriting). */
function setHeaders(h: Readonly<Record<string, string>> | undefined): object[] {
  return Object.entries(h ?? {}).map(([key, value]) => ({
    header: { key, rawValue: Buffer.from(value) },
    appendAction: 2, // OVERWRITE_IF_EXISTS_OR_ADD
  }));
}

/** The answer to one message. */
function responseOf(m: ExtProcMessage, a: ExtProcAction): ProcessingResponse {
  if (a.immediate) {
    return ProcessingResponse.fromPartial({
      immediateResponse: {
        status: { code: a.immediate.status },
        body: Buffer.from(a.immediate.body ?? ""),
        headers: { setHeaders: setHeaders(a.immediate.headers) },
      },
    });
  }
  const common = {
    headerMutation: { setHeaders: setHeaders(a.setHeaders), removeHeaders: [...(a.removeHeaders ?? [])] },
    ...(a.body !== undefined ? { bodyMutation: { body: Buffer.from(a.body) } } : {}),
    ...(a.streamedBody !== undefined
      ? { bodyMutation: { streamedResponse: { body: Buffer.from(a.streamedBody), endOfStream: m.endOfStream } } }
      : {}),
    ...(a.body !== undefined && m.phase.endsWith("Headers") ? { status: 1 } : {}), // CONTINUE_AND_REPLACE
  };
  const phaseResponse = m.phase.endsWith("Trailers") ? { headerMutation: common.headerMutation } : { response: common };
  return ProcessingResponse.fromPartial({
    [m.phase]: phaseResponse,
    ...(a.skipResponseBody
      ? {
          modeOverride: {
            responseHeaderMode: ProcessingMode_HeaderSendMode.SEND,
            responseBodyMode: ProcessingMode_BodySendMode.NONE,
          },
        }
      : {}),
    ...(a.dynamicMetadata ? { dynamicMetadata: a.dynamicMetadata } : {}),
  });
}

/** Starts the processor on 127.0.0.1 (a free port, or `port`); `process` decides each answer. */
export async function startExtProcServer(
  process: (m: ExtProcMessage) => ExtProcAction | undefined,
  port = 0,
): Promise<ExtProcServer> {
  const messages: ExtProcMessage[] = [];
  const server = new grpc.Server();
  server.addService(ExternalProcessorDefinition, {
    process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      const seen = { host: "", path: "" };
      // Answers go out in the order the messages came, each after its own delay.
      let chain = Promise.resolve();
      call.on("data", (req: ProcessingRequest) => {
        const m = messageOf(req, seen);
        messages.push(m);
        const a = process(m) ?? {};
        chain = chain.then(async () => {
          if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
          if (call.cancelled || call.destroyed) return;
          if (a.fail) call.emit("error", { code: grpc.status.UNAVAILABLE, details: "failed (test)" });
          else call.write(responseOf(m, a));
        });
      });
      call.on("end", () => void chain.then(() => call.end()));
      call.on("error", () => undefined);
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
