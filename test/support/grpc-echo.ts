/**
 * A real gRPC peer for tests: an @grpc/grpc-js server with one unary method `/pkg.Echo/Echo` (JSON messages;
 * answers `{ echo: <request> }`), a client for it, and Envoy's grpc_stats counters of that method.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { eventually } from "./http";

/** The Echo method's full path. */
export const ECHO_PATH = "/pkg.Echo/Echo";
/** Messages are JSON text. */
export const serialize = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
/** Messages are JSON text (empty: null). */
export const deserialize = (b: Buffer): unknown => JSON.parse(b.toString() || "null") as unknown;

/** Starts the Echo server on 127.0.0.1 (plaintext HTTP/2) on a port of its choosing. */
export async function startGrpcEcho(): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const def: grpc.ServiceDefinition = {
    Echo: {
      path: ECHO_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: serialize,
      requestDeserialize: deserialize,
      responseSerialize: serialize,
      responseDeserialize: deserialize,
    },
  };
  server.addService(def, {
    Echo: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { echo: call.request }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port };
}

/** One plaintext (h2c) Echo call to 127.0.0.1:`port` with `:authority` `host`: the answer, or the error. */
export async function grpcEchoCall(port: number, host: string, message: unknown): Promise<unknown> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.default_authority": host,
  });
  try {
    return await new Promise((resolve, reject) =>
      client.makeUnaryRequest(ECHO_PATH, serialize, deserialize, message, { deadline: Date.now() + 5000 }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
  } finally {
    client.close();
  }
}

/** Envoy's grpc_stats counters for pkg.Echo/Echo (from any cluster), by stat suffix. */
export async function grpcEchoCounters(adminUrl: string): Promise<Map<string, number>> {
  const text = await (
    await fetch(`${adminUrl}/stats?filter=${encodeURIComponent("\\.grpc\\.pkg\\.Echo\\.Echo\\.")}`)
  ).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^cluster\.[^:]*\.grpc\.pkg\.Echo\.Echo\.([a-z_]+): (\d+)$/.exec(line.trim());
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

/**
 * Waits until Envoy's grpc_stats for pkg.Echo/Echo count three more successes than `before`, and checks `total`
 * and `request_message_count` moved by three too; returns the counters after.
 */
export async function assertThreeMoreEchoCalls(
  adminUrl: string,
  before: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  let after = new Map(before);
  const moved = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  await eventually(
    async () => {
      after = await grpcEchoCounters(adminUrl);
      return moved("success") === 3;
    },
    10_000,
    "three more successes in Envoy's grpc stats",
  ).catch(() => assert.fail(`grpc stats before ${JSON.stringify([...before])}, after ${JSON.stringify([...after])}`));
  assert.equal(moved("total"), 3);
  assert.equal(moved("request_message_count"), 3);
  return after;
}
