/**
 * SecurityPolicy `jwt` pieces below the goldens: provider names (Kubernetes qualified names), issuers (a URI when
 * they hold `:`, an address when they hold `@`), local key sets (JSON with keys), and content-derived names (the
 * same provider in two policies is one provider; another policy name in the metadata is another).
 */
import * as assert from "node:assert/strict";
import type { JwtIr } from "../../operator/src/ir/security-ir";
import type { ConfigMap } from "../../operator/src/resources/core";
import type { JWT } from "../../operator/src/resources/security-policy";
import type { BackendIndex } from "../../operator/src/translate/backends";
import { ListenerRefs } from "../../operator/src/translate/listener-tls";
import type { SecurityContext } from "../../operator/src/translate/policies/security-context";
import { jwksProblem, qualifiedNameProblems, translateJwt } from "../../operator/src/translate/policies/security-jwt";
import type { ReferenceGrantIndex } from "../../operator/src/translate/reference-grants";

const JWKS = '{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0"}]}';

/** A context with `configMaps`, owned by policy `default/<owner>` (no backends: local key sets only). */
function context(owner: string, configMaps: readonly ConfigMap[] = []): SecurityContext {
  return {
    snapshot: {} as SecurityContext["snapshot"],
    refs: new ListenerRefs({ secrets: [], configMaps: [...configMaps] }, {} as ReferenceGrantIndex),
    ownerOf: () => ({ namespace: "default", name: owner }),
    backends: {} as BackendIndex,
    clusters: [],
    secrets: [],
  };
}

function translate(jwt: JWT, owner = "p"): { ir?: JwtIr; problems: string[] } {
  const problems: string[] = [];
  const ir = translateJwt(jwt, context(owner), problems);
  return { ir, problems };
}

const provider = (name: string, extra: object = {}): JWT["providers"][number] =>
  ({ name, localJWKS: { type: "Inline", inline: JWKS }, ...extra }) as JWT["providers"][number];

describe("SecurityPolicy jwt provider names", () => {
  for (const ok of ["example", "my.name", "123-abc", "example.com/MyName"])
    it(`accepts ${ok}`, () => assert.deepEqual(qualifiedNameProblems(ok), []));
  const refused: [string, RegExp][] = [
    ["has space", /name part must consist of alphanumeric characters/],
    ["-leading", /must start and end with an alphanumeric character/],
    ["a/b/c", /a qualified name must consist of/],
    ["/name", /prefix part must be non-empty/],
    ["Example.com/name", /prefix part a lowercase RFC 1123 subdomain/],
    ["x".repeat(64), /name part must be no more than 63 bytes/],
  ];
  for (const [name, message] of refused)
    it(`refuses ${name.length > 20 ? "a 64-character name" : JSON.stringify(name)}`, () =>
      assert.match(qualifiedNameProblems(name).join("\n"), message));
});

describe("SecurityPolicy jwt issuers", () => {
  // As Envoy Gateway's Go parser: an opaque URI with a space, and a task page's placeholder, pass.
  for (const issuer of [
    "https://idp.example.com/realms/a",
    "urn:example:issuer",
    "foo@example.com",
    "plain-name",
    "a:b c",
    "https://login.microsoftonline.com/<AZURE_TENANT_ID>/v2.0",
  ])
    it(`accepts ${issuer}`, () => assert.deepEqual(translate({ providers: [provider("p", { issuer })] }).problems, []));
  const refused: [string, RegExp][] = [
    ["https://exa mple.com", /when issuer contains ':' character, it MUST be a valid URI/],
    ["https://idp.example.com/%zz", /MUST be a valid URI/],
    ["a@b@c", /when issuer contains '@' character, it MUST be a valid Email Address format/],
  ];
  for (const [issuer, message] of refused)
    it(`refuses ${JSON.stringify(issuer)}`, () => {
      const t = translate({ providers: [provider("p", { issuer })] });
      assert.equal(t.ir, undefined);
      assert.match(t.problems.join("\n"), message);
    });
});

describe("SecurityPolicy jwt local key sets", () => {
  it("accepts a key set with keys", () => assert.equal(jwksProblem(JWKS), undefined));
  it("refuses text that is not JSON, an empty key set, and a key without kty", () => {
    assert.match(jwksProblem("nope") ?? "", /is not JSON/);
    assert.match(jwksProblem('{"keys":[]}') ?? "", /non-empty "keys" array/);
    assert.match(jwksProblem('{"keys":[{"kid":"a"}]}') ?? "", /every key needs a "kty"/);
  });

  it("reads a ConfigMap's jwks key, else its first key by name", () => {
    const cm = (name: string, data: Record<string, string>): ConfigMap => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: "default" },
      data,
    });
    const other = '{"keys":[{"kty":"oct","kid":"b","k":"Yg"}]}';
    const ctx = context("p", [cm("named", { a: other, jwks: JWKS }), cm("first", { z: JWKS, b: other })]);
    const read = (name: string): unknown => {
      const problems: string[] = [];
      const ir = translateJwt(
        {
          providers: [
            provider("p", { localJWKS: { type: "ValueRef", valueRef: { group: "", kind: "ConfigMap", name } } }),
          ],
        },
        ctx,
        problems,
      );
      assert.deepEqual(problems, []);
      return ir?.providers[0].jwks;
    };
    assert.deepEqual(read("named"), { local: JWKS });
    assert.deepEqual(read("first"), { local: other });
  });
});

describe("SecurityPolicy jwt content-derived names", () => {
  it("the same provider in two policies has one name; another metadata key another", () => {
    const a = translate({ providers: [provider("idp")] }, "a").ir as JwtIr;
    const b = translate({ providers: [provider("idp")] }, "b").ir as JwtIr;
    const c = translate({ providers: [provider("other")] }, "a").ir as JwtIr;
    assert.equal(a.providers[0].name, b.providers[0].name);
    assert.equal(a.requirement, b.requirement);
    assert.match(a.providers[0].name, /^idp_[0-9a-f]{16}$/);
    assert.notEqual(a.providers[0].name.split("_")[1], c.providers[0].name.split("_")[1]);
  });

  it("optional and failOpen are part of the requirement, not of the provider", () => {
    const plain = translate({ providers: [provider("idp")] }).ir as JwtIr;
    const optional = translate({ optional: true, providers: [provider("idp")] }).ir as JwtIr;
    const open = translate({ failOpen: true, providers: [provider("idp")] }).ir as JwtIr;
    assert.equal(plain.providers[0].name, optional.providers[0].name);
    assert.match(optional.requirement, /^idp-or-missing_/);
    assert.match(open.requirement, /^idp-or-missing-or-failed_/);
    assert.equal(optional.allow, "missing");
    assert.equal(open.allow, "missingOrFailed");
    assert.notEqual(plain.requirement, optional.requirement);
  });

  it("optional with failOpen is refused (the CRD's rule)", () => {
    const t = translate({ optional: true, failOpen: true, providers: [provider("idp")] });
    assert.equal(t.ir, undefined);
    assert.match(t.problems.join("\n"), /optional and failOpen cannot both be set/);
  });
});
