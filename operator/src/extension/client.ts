/**
 * The gRPC client of the extension server (the EnvoyGateway configuration's `extensionManager.service`): one
 * channel, Envoy Gateway's retry policy as gRPC service config, `maxMessageSize` both ways, a deadline per call,
 * TLS (and mTLS) from the configured Secrets. The credentials are asked for at each call, so a Secret that
 * appears or changes later is used without a restart.
 */
import * as grpc from "@grpc/grpc-js";
import type { ExtensionAddress, ExtensionManagerConfig, ExtensionRetry } from "../config/envoy-gateway-extension";
import { EXTENSION_SERVICE, ExtensionServiceDefinition, type ExtensionMethod, type ExtensionMethods } from "./service";

/** PEM material for TLS to the extension server. */
export interface ExtensionTlsMaterial {
  /** CA bundle that signs the server's certificate. */
  readonly ca: Buffer;
  /** Client certificate and key, for mTLS. */
  readonly client?: { readonly cert: Buffer; readonly key: Buffer };
}

/** Something that calls the extension server's methods (the real client, or a test double in unit tests). */
export interface ExtensionCaller {
  /** Calls `method`; rejects with the gRPC error (or a TLS material problem). */
  call<M extends ExtensionMethod>(method: M, request: ExtensionMethods[M][0]): Promise<ExtensionMethods[M][1]>;
}

/** Client settings. */
export interface ExtensionClientOptions {
  /** The configuration's `extensionManager`. */
  readonly config: ExtensionManagerConfig;
  /**
   * The TLS material of `service.tls` (read from its Secrets), or a string saying why it cannot be had;
   * undefined when `service.tls` is not set.
   */
  readonly tls?: () => ExtensionTlsMaterial | string;
  /** Deadline of one call, retries included. @default 10000 */
  readonly timeoutMs?: number;
}

/** The gRPC target of an address: `host:port` (IPv6 in brackets) or `unix:<path>`. */
export function grpcTarget(a: ExtensionAddress): string {
  if (a.type === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** gRPC service config carrying the retry policy (gRPC needs at least 2 attempts for one). */
export function serviceConfig(retry: ExtensionRetry): string {
  if (retry.maxAttempts < 2) return JSON.stringify({ methodConfig: [] });
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")}s`;
  return JSON.stringify({
    methodConfig: [
      {
        name: [{ service: EXTENSION_SERVICE }],
        retryPolicy: {
          maxAttempts: retry.maxAttempts,
          initialBackoff: seconds(retry.initialBackoffMs),
          maxBackoff: seconds(Math.max(retry.maxBackoffMs, retry.initialBackoffMs)),
          backoffMultiplier: retry.backoffMultiplier,
          retryableStatusCodes: retry.retryableStatusCodes,
        },
      },
    ],
  });
}

/** The extension server's client. */
export class ExtensionClient implements ExtensionCaller {
  private client?: grpc.Client;
  /** The TLS material the current channel was made with ("" for plaintext). */
  private material = "";

  constructor(private readonly opts: ExtensionClientOptions) {}

  /** Calls `method` with the configured deadline. */
  call<M extends ExtensionMethod>(method: M, request: ExtensionMethods[M][0]): Promise<ExtensionMethods[M][1]> {
    const def = ExtensionServiceDefinition[method] as unknown as grpc.MethodDefinition<
      ExtensionMethods[M][0],
      ExtensionMethods[M][1]
    >;
    return new Promise((resolve, reject) => {
      let client: grpc.Client;
      try {
        client = this.channel();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const deadline = Date.now() + (this.opts.timeoutMs ?? 10_000);
      client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline },
        (err, response) =>
          err || response === undefined ? reject(err ?? new Error("empty answer")) : resolve(response),
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** The channel, made again when the TLS material changed. */
  private channel(): grpc.Client {
    const { config } = this.opts;
    const tls = this.opts.tls?.();
    if (typeof tls === "string") throw new Error(`extension server TLS: ${tls}`);
    const material = tls ? [tls.ca, tls.client?.cert ?? "", tls.client?.key ?? ""].join("\0") : "";
    if (this.client && material === this.material) return this.client;
    this.close();
    const credentials = tls
      ? grpc.credentials.createSsl(tls.ca, tls.client?.key ?? null, tls.client?.cert ?? null)
      : grpc.credentials.createInsecure();
    this.client = new grpc.Client(grpcTarget(config.service.address), credentials, {
      "grpc.max_send_message_length": config.maxMessageSize,
      "grpc.max_receive_message_length": config.maxMessageSize,
      "grpc.service_config": serviceConfig(config.service.retry),
      "grpc.enable_retries": 1,
    });
    this.material = material;
    return this.client;
  }
}
