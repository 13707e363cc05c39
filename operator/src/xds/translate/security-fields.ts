/**
 * Pieces of Envoy messages the SecurityPolicy filters share: string matchers and fractional percents from the
 * security IR, and (for fields Envoy 1.36 has but our pinned API protos lack) hand-encoded extra fields appended
 * to the ts-proto encoding, as header-mutation-full.ts does.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerLazyCodec } from "../../../../proto/any";
import type * as ApiKeyAuthProto from "../../../../proto/gen/envoy/extensions/filters/http/api_key_auth/v3/api_key_auth";
import type { ApiKeyAuthPerRoute } from "../../../../proto/gen/envoy/extensions/filters/http/api_key_auth/v3/api_key_auth";
import { FractionalPercent_DenominatorType } from "../../../../proto/gen/envoy/type/v3/percent";
import type { PercentIr, SecurityStringMatchIr } from "../../ir/security-ir";
import { protoModule } from "../../../../proto/lazy";

const apiKeyAuthProto = protoModule<typeof ApiKeyAuthProto>(
  "envoy/extensions/filters/http/api_key_auth/v3/api_key_auth",
);

/** A security IR string match → Envoy's StringMatcher (as a fromPartial object). */
export function stringMatcherOf(m: SecurityStringMatchIr): object {
  const ignoreCase = m.ignoreCase === true ? { ignoreCase: true } : {};
  switch (m.type) {
    case "Exact":
      return { exact: m.value, ...ignoreCase };
    case "Prefix":
      return { prefix: m.value, ...ignoreCase };
    case "Suffix":
      return { suffix: m.value, ...ignoreCase };
    case "Contains":
      return { contains: m.value, ...ignoreCase };
    case "RegularExpression":
      return { safeRegex: { regex: m.value } };
  }
}

/** A security IR percent → Envoy's FractionalPercent (as a fromPartial object). */
export function fractionalPercentOf(p: PercentIr): object {
  return { numerator: p.numerator, denominator: FractionalPercent_DenominatorType[p.denominator] };
}

/** api_key_auth.v3.Forwarding (Envoy 1.36; absent from the pinned protos): header = 1, hide_credentials = 2. */
export interface ApiKeyForwarding {
  /** Header carrying the client ID upstream; empty: none. */
  readonly header: string;
  /** Remove the key from the request. */
  readonly hideCredentials: boolean;
}

/** ApiKeyAuthPerRoute with `forwarding` (field 4), which the pinned protos lack. */
export type ApiKeyAuthPerRouteFull = ApiKeyAuthPerRoute & { readonly forwarding?: ApiKeyForwarding };

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;

function encodeForwarding(f: ApiKeyForwarding, w: BinaryWriter): void {
  w.uint32(tag(4, LEN)).fork();
  if (f.header !== "") w.uint32(tag(1, LEN)).string(f.header);
  if (f.hideCredentials) w.uint32(tag(2, VARINT)).bool(true);
  w.join();
}

function decodeForwarding(r: BinaryReader, length: number): ApiKeyForwarding {
  const end = r.pos + length;
  let out: ApiKeyForwarding = { header: "", hideCredentials: false };
  while (r.pos < end) {
    const t = r.uint32();
    if (t === tag(1, LEN)) out = { ...out, header: r.string() };
    else if (t === tag(2, VARINT)) out = { ...out, hideCredentials: r.bool() };
    else r.skip(t & 7);
  }
  return out;
}

/** The top-level field 4 of an encoded message, if present (the generated decoder skips it). */
function forwardingOf(bytes: Uint8Array): ApiKeyForwarding | undefined {
  const r = new BinaryReader(bytes);
  let found: ApiKeyForwarding | undefined;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t === tag(4, LEN)) found = decodeForwarding(r, r.uint32());
    else r.skip(t & 7);
  }
  return found;
}

/**
 * The ApiKeyAuthPerRoute codec with `forwarding`, registered under its type URL in place of the generated one,
 * so the per-route configs carry it and goldens show it.
 */
export const ApiKeyAuthPerRouteFullType = registerLazyCodec(
  "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute",
  () => {
    const { ApiKeyAuthPerRoute } = apiKeyAuthProto();
    return {
      $type: ApiKeyAuthPerRoute.$type,
      encode(m: ApiKeyAuthPerRouteFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
        ApiKeyAuthPerRoute.encode(m, w);
        if (m.forwarding) encodeForwarding(m.forwarding, w);
        return w;
      },
      // Only ever decoded from an Any's bytes; a nested reader (never used) would lose `forwarding`.
      decode(input: BinaryReader | Uint8Array, length?: number): ApiKeyAuthPerRouteFull {
        if (input instanceof BinaryReader) return ApiKeyAuthPerRoute.decode(input, length);
        const base = ApiKeyAuthPerRoute.decode(input);
        const forwarding = forwardingOf(input);
        return forwarding ? { ...base, forwarding } : base;
      },
      fromPartial(o: never): ApiKeyAuthPerRouteFull {
        const p = o as Partial<ApiKeyAuthPerRouteFull>;
        const base = ApiKeyAuthPerRoute.fromPartial(p as never);
        return p.forwarding ? { ...base, forwarding: p.forwarding } : base;
      },
      toJSON(m: ApiKeyAuthPerRouteFull): unknown {
        const json = ApiKeyAuthPerRoute.toJSON(m) as Record<string, unknown>;
        return m.forwarding ? { ...json, forwarding: m.forwarding } : json;
      },
    };
  },
);
