/**
 * Global rate limit test peers: the rate limit service binary and redis-server (both from
 * `bash scripts/install-ratelimit.sh`; a missing one fails the test with that step), a throwaway Redis on a free
 * port, and a client of the service's gRPC API (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit).
 */
import * as grpc from "@grpc/grpc-js";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import { findRatelimit, findRedisServer } from "../../operator/src/infra/host/ratelimit-binary";
import { toBuffer } from "../../proto/any";
import { RateLimitRequest, RateLimitResponse } from "../../proto/gen/envoy/service/ratelimit/v3/rls";
import { freePort } from "./http";

/** The rate limit service binary; throws "run `bash scripts/install-ratelimit.sh`" when it is missing. */
export function ratelimitBinary(): string {
  return findRatelimit(loadEnv());
}

/** A Redis server of one test. */
export interface TestRedis {
  /** Its port on its host address. */
  readonly port: number;
  /** `<host>:<port>`. */
  readonly url: string;
  /** Runs redis-cli against it and returns its output (e.g. `["--scan"]`). */
  cli(args: readonly string[]): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port of `host` (a Kubernetes test's node address, which pods reach), without
 * persistence; resolves once it accepts connections.
 */
export async function startRedis(host = "127.0.0.1"): Promise<TestRedis> {
  const bin = findRedisServer(loadEnv());
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "egts-redis-"));
  // Not loopback: the pods connect from their own network namespaces, so protected mode must be off.
  const open = host === "127.0.0.1" ? [] : ["--protected-mode", "no"];
  const child: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", host, ...open, "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(host, port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `${host}:${port}`,
    cli: (args) => execFileSync("redis-cli", ["-h", host, "-p", String(port), ...args], { encoding: "utf8" }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const SHOULD_RATE_LIMIT = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

/** A client of a rate limit service's ShouldRateLimit. */
export class ShouldRateLimitClient {
  private readonly client: grpc.Client;

  /** Connects (lazily) to `address` ("host:port"), plaintext. */
  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure());
  }

  /** One ShouldRateLimit call for `domain` with one descriptor of `entries` (key → value, in order). */
  check(domain: string, entries: readonly (readonly [string, string])[]): Promise<RateLimitResponse> {
    const req = RateLimitRequest.fromPartial({
      domain,
      descriptors: [{ entries: entries.map(([key, value]) => ({ key, value })) }],
      hitsAddend: 1,
    });
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        SHOULD_RATE_LIMIT,
        (m: RateLimitRequest) => toBuffer(RateLimitRequest.encode(m).finish()),
        (b: Buffer) => RateLimitResponse.decode(b),
        req,
        { deadline: Date.now() + 5000 },
        (err, res) => (err || !res ? reject(err ?? new Error("no response")) : resolve(res)),
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
