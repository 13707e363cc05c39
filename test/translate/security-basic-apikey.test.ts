/**
 * SecurityPolicy pieces below the goldens: htpasswd lines (Envoy 1.36 takes `{SHA}` only; every other format is
 * refused with Envoy Gateway's message, never passed on) and the ApiKeyAuthPerRoute `forwarding` field surviving
 * an encode/decode round trip.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { htpasswdProblem } from "../../operator/src/translate/policies/security-basic-apikey";
import { ApiKeyAuthPerRouteType } from "../../operator/src/xds/translate/filters/api-key-auth";
import { pack, unpack } from "../../proto/any";

const sha = (user: string, password: string): string =>
  `${user}:{SHA}${createHash("sha1").update(password).digest("base64")}`;

describe("SecurityPolicy htpasswd lines", () => {
  it("accepts {SHA} lines, blank lines and surrounding spaces", () => {
    assert.equal(htpasswdProblem(`${sha("foo", "bar")}\n\n  ${sha("baz", "qux")}  \n`), undefined);
  });

  const UNSUPPORTED = "unsupported htpasswd format: please use {SHA}";
  const refused: [string, string, string][] = [
    ["bcrypt", "bob:$2y$05$0123456789abcdefghijkuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY", UNSUPPORTED],
    ["Apache MD5", "bob:$apr1$abcdefgh$0123456789abcdefghijkl", UNSUPPORTED],
    ["SHA-crypt", "bob:$6$salt$hash", UNSUPPORTED],
    ["crypt", "bob:abJnggxhB/yWI", UNSUPPORTED],
    ["plain text", "bob:secret", UNSUPPORTED],
    ["no colon", "bob", "invalid htpasswd format: each line must be in the format 'username:password'"],
    ["bad base64", "bob:{SHA}not base64!", "invalid htpasswd format: {SHA} must be base64-encoded SHA1"],
    ["short digest", "bob:{SHA}YWJj", "invalid htpasswd format: {SHA} must be SHA1 (20 bytes)"],
  ];
  for (const [what, line, message] of refused) {
    it(`refuses ${what} with Envoy Gateway's message`, () => {
      assert.equal(htpasswdProblem(`${sha("foo", "bar")}\n${line}\n`), message);
    });
  }
});

describe("ApiKeyAuthPerRoute with forwarding", () => {
  it("round-trips credentials, key sources and forwarding", () => {
    const message = ApiKeyAuthPerRouteType.codec.fromPartial({
      credentials: [{ key: "k", client: "c" }],
      keySources: [{ header: "x-api-key" }],
      forwarding: { header: "x-client-id", hideCredentials: true },
    } as never);
    const back = unpack(ApiKeyAuthPerRouteType, pack(ApiKeyAuthPerRouteType, message));
    assert.deepEqual(back.forwarding, { header: "x-client-id", hideCredentials: true });
    assert.equal(back.credentials[0].client, "c");
    assert.equal(back.keySources[0].header, "x-api-key");
  });

  it("leaves forwarding out when unset", () => {
    const message = ApiKeyAuthPerRouteType.codec.fromPartial({ keySources: [{ query: "k" }] } as never);
    const back = unpack(ApiKeyAuthPerRouteType, pack(ApiKeyAuthPerRouteType, message));
    assert.equal(back.forwarding, undefined);
  });
});
