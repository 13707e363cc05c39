/**
 * The retry of an external authorization check, as Envoy Gateway sends it: a core RetryPolicy on the gRPC service
 * (`GrpcService.retry_policy`, in our pinned protos) or on the HTTP service (`HttpService.retry_policy`, field 9:
 * Envoy 1.36 has it, the pinned protos do not; hand-encoded here inside ExtAuthz's `http_service`, field 3, as
 * security-fields.ts does for api_key_auth).
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerLazyCodec } from "../../../../proto/any";
import { RetryPolicy } from "../../../../proto/gen/envoy/config/core/v3/base";
import type * as ExtAuthzProto from "../../../../proto/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz";
import type { ExtAuthz, HttpService } from "../../../../proto/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz";
import { protoModule } from "../../../../proto/lazy";
import type { RetryIr } from "../../ir/xds-ir";
import { duration } from "./route-filters";

/** retry_on of a retry without a policy's conditions (a connection that failed or a stream refused). */
const CONNECTION_RETRY_ON = ["connect-failure", "refused-stream", "reset-before-request"];

/**
 * A retry IR → Envoy's core RetryPolicy of a remote call (as a fromPartial object): its conditions, attempts and
 * back-off (per-try timeouts, status codes and priorities do not exist there; the translator refuses them).
 */
export function remoteRetryPolicy(r: RetryIr): object {
  const base = r.backoffMs;
  const max = r.policy?.maxBackoffMs;
  return {
    retryOn: (r.policy?.retryOn ?? CONNECTION_RETRY_ON).join(","),
    numRetries: r.attempts,
    ...(base !== undefined
      ? { retryBackOff: { baseInterval: duration(base), ...(max !== undefined ? { maxInterval: duration(max) } : {}) } }
      : {}),
  };
}

/** HttpService with `retry_policy` (field 9). */
export type HttpServiceFull = HttpService & { readonly retryPolicy?: RetryPolicy };

/** ExtAuthz whose HTTP service may carry `retry_policy`. */
export type ExtAuthzFull = Omit<ExtAuthz, "httpService"> & { readonly httpService?: HttpServiceFull };

const LEN = 2;
const HTTP_SERVICE = 3;
const RETRY_POLICY = 9;
const tag = (field: number, wire: number): number => (field << 3) | wire;

/** The bytes of the last top-level length-delimited field `field` of `bytes`, if present. */
function fieldBytes(bytes: Uint8Array, field: number): Uint8Array | undefined {
  const r = new BinaryReader(bytes);
  let found: Uint8Array | undefined;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t === tag(field, LEN)) found = r.bytes();
    else r.skip(t & 7);
  }
  return found;
}

/**
 * The ExtAuthz codec with `http_service.retry_policy`, registered under its type URL in place of the generated
 * one, so the filter configs carry it and goldens show it; built when first used (ADR 0038).
 */
const extAuthzProto = protoModule<typeof ExtAuthzProto>("envoy/extensions/filters/http/ext_authz/v3/ext_authz");

export const ExtAuthzFullType = registerLazyCodec("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", () => {
  const { ExtAuthz, HttpService } = extAuthzProto();
  return {
    $type: ExtAuthz.$type,
    encode(m: ExtAuthzFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
      const { httpService, ...rest } = m;
      ExtAuthz.encode(rest as ExtAuthz, w);
      if (httpService) {
        w.uint32(tag(HTTP_SERVICE, LEN)).fork();
        HttpService.encode(httpService, w);
        if (httpService.retryPolicy) {
          w.uint32(tag(RETRY_POLICY, LEN)).fork();
          RetryPolicy.encode(httpService.retryPolicy, w);
          w.join();
        }
        w.join();
      }
      return w;
    },
    // Only ever decoded from an Any's bytes; a nested reader (never used) would lose `retry_policy`.
    decode(input: BinaryReader | Uint8Array, length?: number): ExtAuthzFull {
      if (input instanceof BinaryReader) return ExtAuthz.decode(input, length);
      const base = ExtAuthz.decode(input);
      const service = fieldBytes(input, HTTP_SERVICE);
      const retry = service ? fieldBytes(service, RETRY_POLICY) : undefined;
      if (!base.httpService || !retry) return base;
      return { ...base, httpService: { ...base.httpService, retryPolicy: RetryPolicy.decode(retry) } };
    },
    fromPartial(o: never): ExtAuthzFull {
      const p = o as { httpService?: { retryPolicy?: object } };
      const base = ExtAuthz.fromPartial(o);
      const retry = p.httpService?.retryPolicy;
      if (!base.httpService || !retry) return base;
      return { ...base, httpService: { ...base.httpService, retryPolicy: RetryPolicy.fromPartial(retry) } };
    },
    toJSON(m: ExtAuthzFull): unknown {
      const json = ExtAuthz.toJSON(m as ExtAuthz) as Record<string, unknown>;
      const retry = m.httpService?.retryPolicy;
      if (!retry) return json;
      const http = json.httpService as Record<string, unknown>;
      return { ...json, httpService: { ...http, retryPolicy: RetryPolicy.toJSON(retry) } };
    },
  };
});
