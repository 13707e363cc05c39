/**
 * External authorization services for SecurityPolicy `extAuth` tests, started by the test on 127.0.0.1:
 *
 * - a gRPC server implementing `envoy.service.auth.v3.Authorization/Check` with @grpc/grpc-js and the generated
 *   ts-proto messages (registered by hand with their encode/decode, as the ADS service is);
 * - an HTTP server (node:http) answering Envoy's check requests.
 *
 * Both record every check they received and answer what the test's `decide` function says (allow with headers
 * for the upstream request, or deny with a status, headers and body), after an optional delay.
 */
import * as grpc from "@grpc/grpc-js";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { CheckRequest, CheckResponse } from "../../proto/gen/envoy/service/auth/v3/external_auth";
import { codec } from "../../operator/src/xds/server/service";
import type { KeyPair } from "./pki";

/** What a service answers to one check. */
export type AuthzDecision =
  | {
      /** Allowed: the request goes on upstream. */
      readonly allow: true;
      /** Headers for the upstream request (gRPC: ok_response headers; HTTP: response headers). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      /** Denied: the client gets this answer. */
      readonly allow: false;
      /** HTTP status the client gets. */
      readonly status: number;
      /** Response headers the client gets. */
      readonly headers?: Readonly<Record<string, string>>;
      /** Response body the client gets. */
      readonly body?: string;
    }
  | {
      /** The service fails: HTTP 503, or gRPC status UNAVAILABLE (what a retry's conditions see). */
      readonly unavailable: true;
    };

/** Options of a test authorization service. */
export interface AuthzServerOptions {
  /** The decision for a check. @default allowByAuthorizationHeader */
  readonly decide?: (check: AuthzCheck) => AuthzDecision;
  /** Delay before answering, in milliseconds. @default 0 */
  readonly delayMs?: (check: AuthzCheck) => number;
  /** Serve gRPC over TLS with this certificate. @default plain HTTP/2 (gRPC only) */
  readonly tls?: KeyPair;
}

/** One check as a service received it, in a shape common to both protocols. */
export interface AuthzCheck {
  /** Method of the checked request. */
  readonly method: string;
  /** Path the check was sent with (HTTP: the check request's path; gRPC: the checked request's path). */
  readonly path: string;
  /** Headers the service saw (lower-case names; HTTP: the check request's). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body the service saw ("" when none). */
  readonly body: string;
  /** Context extensions (gRPC only; {} for HTTP). */
  readonly contextExtensions: Readonly<Record<string, string>>;
  /** The route's metadata in namespace `envoy-gateway` (gRPC only, with includeRouteMetadata); absent: none. */
  readonly routeMetadata?: Readonly<Record<string, unknown>>;
}

/** A running test authorization service. */
export interface AuthzServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every check received, in order. */
  readonly checks: AuthzCheck[];
  /** Stops it (open connections are closed). */
  close(): Promise<void>;
}

const CHECK_PATH = "/envoy.service.auth.v3.Authorization/Check";

/** gRPC status code OK, and PERMISSION_DENIED (the status of a denial). */
const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
/** HTTP status of an unavailable HTTP service. */
const HTTP_UNAVAILABLE = 503;

/** Allows a request carrying `authorization: allow`, else denies with 403. */
export function allowByAuthorizationHeader(check: AuthzCheck): AuthzDecision {
  return check.headers.authorization === "allow" ? { allow: true } : { allow: false, status: 403, body: "denied" };
}

const checkRequestCodec = codec(CheckRequest);
const checkResponseCodec = codec(CheckResponse);

/** The Authorization service definition (unary Check), usable with `grpc.Server.addService`. */
const AuthorizationDefinition = {
  check: {
    path: CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: checkRequestCodec.serialize,
    requestDeserialize: checkRequestCodec.deserialize,
    responseSerialize: checkResponseCodec.serialize,
    responseDeserialize: checkResponseCodec.deserialize,
    originalName: "Check",
  },
} satisfies grpc.ServiceDefinition;

/** Header name/value pairs → Envoy HeaderValueOptions (set, not appended). */
function headerOptions(headers: Readonly<Record<string, string>> | undefined): object[] {
  return Object.entries(headers ?? {}).map(([key, value]) => ({ header: { key, value }, append: false }));
}

/** A CheckResponse for an allow or deny decision. */
function checkResponse(d: Exclude<AuthzDecision, { unavailable: true }>): CheckResponse {
  if (d.allow)
    return CheckResponse.fromPartial({
      status: { code: GRPC_OK },
      okResponse: { headers: headerOptions(d.headers) },
    });
  return CheckResponse.fromPartial({
    status: { code: GRPC_PERMISSION_DENIED },
    deniedResponse: { status: { code: d.status }, headers: headerOptions(d.headers), body: d.body ?? "" },
  });
}

/** A CheckRequest in the common check shape. */
function grpcCheck(req: CheckRequest): AuthzCheck {
  const http = req.attributes?.request?.http;
  return {
    method: http?.method ?? "",
    path: http?.path ?? "",
    headers: { ...(http?.headers ?? {}) },
    body: http?.body !== undefined && http.body !== "" ? http.body : (http?.rawBody?.toString() ?? ""),
    contextExtensions: { ...(req.attributes?.contextExtensions ?? {}) },
    ...routeMetadataOf(req),
  };
}

/** The check's route metadata in Envoy Gateway's namespace, when Envoy sent it. */
function routeMetadataOf(req: CheckRequest): { routeMetadata?: Record<string, unknown> } {
  const md = req.attributes?.routeMetadataContext?.filterMetadata?.["envoy-gateway"];
  return md ? { routeMetadata: md } : {};
}

/** Server credentials: TLS with `pair`, else insecure. */
function credentials(pair: KeyPair | undefined): grpc.ServerCredentials {
  if (!pair) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(pair.key), cert_chain: Buffer.from(pair.cert) }],
    false,
  );
}

/** Starts the gRPC authorization service on 127.0.0.1 (a free port, or `port`; TLS with `opts.tls`). */
export async function startGrpcAuthzServer(opts: AuthzServerOptions = {}, port = 0): Promise<AuthzServer> {
  const decide = opts.decide ?? allowByAuthorizationHeader;
  const checks: AuthzCheck[] = [];
  const server = new grpc.Server();
  server.addService(AuthorizationDefinition, {
    check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, cb: grpc.sendUnaryData<CheckResponse>) => {
      const check = grpcCheck(call.request);
      checks.push(check);
      setTimeout(
        () => {
          const d = decide(check);
          if ("unavailable" in d) cb({ code: grpc.status.UNAVAILABLE, details: "unavailable (test)" });
          else cb(null, checkResponse(d));
        },
        opts.delayMs?.(check) ?? 0,
      );
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, credentials(opts.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    checks,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** Node's header object → single-valued lower-case headers. */
function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : v;
  return out;
}

/**
 * Starts the HTTP authorization service on 127.0.0.1 (a free port, or `port`): an allowed check is answered 200
 * with the decision's headers, a denied one with its status, headers and body.
 */
export async function startHttpAuthzServer(opts: AuthzServerOptions = {}, port = 0): Promise<AuthzServer> {
  const decide = opts.decide ?? allowByAuthorizationHeader;
  const checks: AuthzCheck[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const check: AuthzCheck = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: flatHeaders(req.headers),
        body: Buffer.concat(chunks).toString(),
        contextExtensions: {},
      };
      checks.push(check);
      setTimeout(
        () => {
          const d = decide(check);
          if ("unavailable" in d) {
            res.writeHead(HTTP_UNAVAILABLE, { "content-length": 0 });
            res.end();
            return;
          }
          const body = d.allow ? "" : (d.body ?? "");
          res.writeHead(d.allow ? 200 : d.status, { ...d.headers, "content-length": Buffer.byteLength(body) });
          res.end(body);
        },
        opts.delayMs?.(check) ?? 0,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    checks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
