/**
 * Binding and shutting down a grpc-js server, shared by the proxies' delta ADS server (server.ts) and the rate
 * limit services' SotW server (xds/ratelimit/server.ts).
 */
import * as grpc from "@grpc/grpc-js";
import type { XdsLogger } from "./types";

/**
 * Binds `server` to `address` ("host:port"; port 0 picks one) with `credentials` and resolves with the bound
 * port, logging `what` listening; rejects with grpc-js's error (the address is taken, not resolvable...).
 */
export function bindGrpcServer(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
  log: { readonly logger: XdsLogger; readonly what: string },
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) {
        reject(err);
        return;
      }
      log.logger("info", `${log.what} listening`, { address, port });
      resolve(port);
    });
  });
}

/** Shuts `server` down gracefully, forcing it (every call cancelled) after `graceMs`. */
export async function shutdownGrpcServer(server: grpc.Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
