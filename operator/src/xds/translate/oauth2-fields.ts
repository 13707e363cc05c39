/**
 * The oauth2 filter's config with the OAuth2Config fields Envoy 1.36 has but our pinned API protos lack (checked in
 * the 1.36.4 binary's descriptors): `end_session_endpoint` = 23 (string), `csrf_token_expires_in` = 24
 * (google.protobuf.Duration), `disable_token_encryption` = 26 (bool). They are appended to the ts-proto encoding
 * of `OAuth2.config`, as security-fields.ts does for api_key_auth's forwarding.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerLazyCodec } from "../../../../proto/any";
import type * as OauthProto from "../../../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import type { OAuth2, OAuth2Config } from "../../../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import { Duration } from "../../../../proto/gen/google/protobuf/duration";
import { protoModule } from "../../../../proto/lazy";

const oauthProto = protoModule<typeof OauthProto>("envoy/extensions/filters/http/oauth2/v3/oauth");

/** The OAuth2Config fields the pinned protos lack. */
export interface OAuth2ConfigExtra {
  /** Where the logout redirects to (the provider's end session endpoint); empty: the app's root. */
  readonly endSessionEndpoint?: string;
  /** Lifetime of the CSRF (nonce) token of the login flow. */
  readonly csrfTokenExpiresIn?: Duration;
  /** Store tokens in cookies unencrypted. */
  readonly disableTokenEncryption?: boolean;
}

/** OAuth2 whose config may carry {@link OAuth2ConfigExtra}. */
export type OAuth2Full = OAuth2 & { readonly config?: OAuth2Config & OAuth2ConfigExtra };

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;
const F = { config: 1, endSession: 23, csrf: 24, disableEncryption: 26 } as const;

function encodeExtra(x: OAuth2ConfigExtra, w: BinaryWriter): void {
  if (x.endSessionEndpoint) w.uint32(tag(F.endSession, LEN)).string(x.endSessionEndpoint);
  if (x.csrfTokenExpiresIn) Duration.encode(x.csrfTokenExpiresIn, w.uint32(tag(F.csrf, LEN)).fork()).join();
  if (x.disableTokenEncryption) w.uint32(tag(F.disableEncryption, VARINT)).bool(true);
}

/** The extra fields of an encoded OAuth2Config (the generated decoder skips them). */
function decodeExtra(bytes: Uint8Array): OAuth2ConfigExtra {
  const r = new BinaryReader(bytes);
  let out: OAuth2ConfigExtra = {};
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t === tag(F.endSession, LEN)) out = { ...out, endSessionEndpoint: r.string() };
    else if (t === tag(F.csrf, LEN)) out = { ...out, csrfTokenExpiresIn: Duration.decode(r, r.uint32()) };
    else if (t === tag(F.disableEncryption, VARINT)) out = { ...out, disableTokenEncryption: r.bool() };
    else r.skip(t & 7);
  }
  return out;
}

function extraOf(c: OAuth2ConfigExtra): OAuth2ConfigExtra {
  return {
    ...(c.endSessionEndpoint ? { endSessionEndpoint: c.endSessionEndpoint } : {}),
    ...(c.csrfTokenExpiresIn ? { csrfTokenExpiresIn: c.csrfTokenExpiresIn } : {}),
    ...(c.disableTokenEncryption ? { disableTokenEncryption: true } : {}),
  };
}

/**
 * The OAuth2 codec with the extra config fields, registered under its type URL in place of the generated one, so
 * the filter configs carry them and goldens show them.
 */
export const OAuth2FullType = registerLazyCodec("envoy.extensions.filters.http.oauth2.v3.OAuth2", () => {
  const { OAuth2, OAuth2Config } = oauthProto();
  return {
    $type: OAuth2.$type,
    encode(m: OAuth2Full, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
      if (m.config) {
        w.uint32(tag(F.config, LEN)).fork();
        OAuth2Config.encode(m.config, w);
        encodeExtra(m.config, w);
        w.join();
      }
      return w;
    },
    // Only ever decoded from an Any's bytes; a nested reader (never used) would lose the extra fields.
    decode(input: BinaryReader | Uint8Array, length?: number): OAuth2Full {
      if (input instanceof BinaryReader) return OAuth2.decode(input, length);
      const r = new BinaryReader(input);
      let out: OAuth2Full = OAuth2.fromPartial({});
      while (r.pos < r.len) {
        const t = r.uint32();
        if (t !== tag(F.config, LEN)) {
          r.skip(t & 7);
          continue;
        }
        const bytes = r.bytes();
        out = { ...out, config: { ...OAuth2Config.decode(bytes), ...decodeExtra(bytes) } };
      }
      return out;
    },
    fromPartial(o: never): OAuth2Full {
      const p = o as Partial<OAuth2Full>;
      const base = OAuth2.fromPartial(p as never);
      return p.config && base.config ? { ...base, config: { ...base.config, ...extraOf(p.config) } } : base;
    },
    toJSON(m: OAuth2Full): unknown {
      const json = OAuth2.toJSON(m) as { config?: Record<string, unknown> };
      if (!m.config || !json.config) return json;
      const x = extraOf(m.config);
      return {
        ...json,
        config: {
          ...json.config,
          ...(x.endSessionEndpoint ? { endSessionEndpoint: x.endSessionEndpoint } : {}),
          ...(x.csrfTokenExpiresIn ? { csrfTokenExpiresIn: Duration.toJSON(x.csrfTokenExpiresIn) } : {}),
          ...(x.disableTokenEncryption ? { disableTokenEncryption: true } : {}),
        },
      };
    },
  };
});
