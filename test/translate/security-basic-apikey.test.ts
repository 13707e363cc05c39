/**
 * SecurityPolicy pieces below the goldens: htpasswd lines (Envoy 1.36 takes `{SHA}` only; every other format is
 * refused naming the line and the format, never passed on) and the hand-encoded ApiKeyAuthPerRoute `forwarding`
 * field (field 4, absent from the pinned protos) surviving an encode/decode round trip.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { htpasswdProblem } from "../../operator/src/translate/policies/security-basic-apikey";
import { ApiKeyAuthPerRouteFullType } from "../../operator/src/xds/translate/security-fields";
import { pack, unpack } from "../../proto/any";

const sha = (user: string, password: string): string =>
  `${user}:{SHA}${createHash("sha1").update(password).digest("base64")}`;

describe("SecurityPolicy htpasswd lines", () => {
  it("accepts {SHA} lines, blank lines and surrounding spaces", () => {
    assert.equal(htpasswdProblem(`${sha("foo", "bar")}\n\n  ${sha("baz", "qux")}  \n`), undefined);
  });

  const refused: [string, string, RegExp][] = [
    [
      "bcrypt",
      "bob:$2y$05$0123456789abcdefghijkuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY",
      /please use \{SHA\}; line 2 \(user "bob"\) is bcrypt/,
    ],
    ["Apache MD5", "bob:$apr1$abcdefgh$0123456789abcdefghijkl", /line 2 \(user "bob"\) is Apache MD5/],
    ["SHA-crypt", "bob:$6$salt$hash", /is SHA-crypt/],
    ["crypt", "bob:abJnggxhB/yWI", /is crypt \(or plain text\)/],
    ["plain text", "bob:secret", /is plain text or an unknown hash/],
    ["no colon", "bob", /each line must be in the format 'username:password'; line 2 is not/],
    ["bad base64", "bob:{SHA}not base64!", /\{SHA\} must be base64-encoded SHA1; line 2/],
    ["short digest", "bob:{SHA}YWJj", /\{SHA\} must be SHA1 \(20 bytes\); line 2/],
  ];
  for (const [what, line, message] of refused) {
    it(`refuses ${what}, naming the line`, () => {
      const problem = htpasswdProblem(`${sha("foo", "bar")}\n${line}\n`);
      assert.match(problem ?? "", message);
      assert.doesNotMatch(problem ?? "", /\$2y\$05|secret/, "the password field is never echoed");
    });
  }
});

describe("ApiKeyAuthPerRoute with forwarding (hand-encoded field 4)", () => {
  it("round-trips credentials, key sources and forwarding", () => {
    const message = ApiKeyAuthPerRouteFullType.codec.fromPartial({
      credentials: [{ key: "k", client: "c" }],
      keySources: [{ header: "x-api-key" }],
      forwarding: { header: "x-client-id", hideCredentials: true },
    } as never);
    const back = unpack(ApiKeyAuthPerRouteFullType, pack(ApiKeyAuthPerRouteFullType, message));
    assert.deepEqual(back.forwarding, { header: "x-client-id", hideCredentials: true });
    assert.equal(back.credentials[0].client, "c");
    assert.equal(back.keySources[0].header, "x-api-key");
  });

  it("leaves forwarding out when unset", () => {
    const message = ApiKeyAuthPerRouteFullType.codec.fromPartial({ keySources: [{ query: "k" }] } as never);
    const back = unpack(ApiKeyAuthPerRouteFullType, pack(ApiKeyAuthPerRouteFullType, message));
    assert.equal(back.forwarding, undefined);
  });
});
