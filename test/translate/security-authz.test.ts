/**
 * SecurityPolicy authorization below the goldens, where the goldens cannot reach yet (spec.jwt has no translator
 * on this branch, so a policy with JWT principals fails closed there):
 * - JWT principals → IR (provider as written, claims String by default, StringArray kept, scopes), and the RBAC
 *   matcher's predicates: jwt_authn dynamic metadata under [provider, …dotted claim], scopes in `scope` or `scp`
 *   as lists, values of one claim ORed, claims and scopes ANDed with the other conditions;
 * - CEL: the parsed tree Envoy gets (macros expanded: has() as a test-only select);
 * - TCP: rules with request-only conditions are named with Envoy Gateway's message.
 */
import * as assert from "node:assert/strict";
import type { AuthorizationIr } from "../../operator/src/ir/security-ir";
import { tcpAuthorizationProblem, translateAuthorization } from "../../operator/src/translate/policies/security-authz";
import type { SecurityContext } from "../../operator/src/translate/policies/security-context";
import type { Authorization } from "../../operator/src/resources/security-policy";
import { parsedCel } from "../../operator/src/xds/translate/cel-parsed";
import { rbacMatcherOf, rulePredicate } from "../../operator/src/xds/translate/rbac-matcher";
import { Metadata } from "../../proto/gen/envoy/extensions/matching/input_matchers/metadata/v3/metadata";
import { DynamicMetadataInput } from "../../proto/gen/envoy/extensions/matching/common_inputs/network/v3/network_inputs";
import type { Any } from "../../proto/gen/google/protobuf/any";
import type { Matcher_MatcherList_Predicate as Predicate } from "../../proto/gen/xds/type/matcher/v3/matcher";

/** Only ownerOf is read by the authorization translator. */
const ctx = { ownerOf: () => ({ namespace: "ns", name: "p" }) } as unknown as SecurityContext;

const JWT_RULES: Authorization = {
  rules: [
    {
      action: "Allow",
      principal: {
        jwt: {
          provider: "example",
          claims: [
            { name: "user.role", values: ["admin", "ops"] },
            { name: "groups", valueType: "StringArray", values: ["dev"] },
          ],
          scopes: ["read"],
        },
      },
    },
  ],
};

/** A single predicate's metadata input path and value matcher (as JSON). */
function metadataOf(p: Predicate): { filter: string; path: string[]; value: unknown } {
  const sp = p.singlePredicate;
  const input = DynamicMetadataInput.decode((sp?.input?.typedConfig as Any).value);
  const matcher = Metadata.decode((sp?.customMatch?.typedConfig as Any).value);
  return {
    filter: input.filter,
    path: input.path.map((s) => s.key ?? ""),
    value: (Metadata.toJSON(matcher) as { value?: unknown }).value,
  };
}

describe("SecurityPolicy authorization: JWT principals", () => {
  it("translate to IR when the provider is one of spec.jwt.providers", () => {
    const problems: string[] = [];
    const ir = translateAuthorization(JWT_RULES, ["other", "example"], ctx, problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(ir?.rules[0], {
      name: "securitypolicy/ns/p/authorization/rule/0",
      action: "Allow",
      jwt: {
        provider: "example",
        claims: [
          { name: "user.role", valueType: "String", values: ["admin", "ops"] },
          { name: "groups", valueType: "StringArray", values: ["dev"] },
        ],
        scopes: ["read"],
      },
    });
  });

  it("fail closed without spec.jwt or with a provider it does not define", () => {
    const none: string[] = [];
    assert.equal(translateAuthorization(JWT_RULES, undefined, ctx, none), undefined);
    assert.deepEqual(none, ["spec: if authorization.rules.principal.jwt is used, jwt must be defined"]);
    const unknown: string[] = [];
    assert.equal(translateAuthorization(JWT_RULES, ["other"], ctx, unknown), undefined);
    assert.match(unknown[0], /principal\.jwt\.provider: "example" is not one of spec\.jwt\.providers \(other\)/);
  });

  it("become predicates on jwt_authn metadata: scope or scp lists, dotted claims, values ORed", () => {
    const ir = translateAuthorization(JWT_RULES, ["example"], ctx, []) as AuthorizationIr;
    const p = rulePredicate(ir.rules[0]);
    const [scope, role, groups] = p.andMatcher?.predicate ?? [];
    const [inScope, inScp] = scope.orMatcher?.predicate ?? [];
    const list = { listMatch: { oneOf: { stringMatch: { exact: "read" } } } };
    assert.deepEqual(metadataOf(inScope), {
      filter: "envoy.filters.http.jwt_authn",
      path: ["example", "scope"],
      value: list,
    });
    assert.deepEqual(metadataOf(inScp).path, ["example", "scp"]);
    const [admin, ops] = role.orMatcher?.predicate ?? [];
    assert.deepEqual(metadataOf(admin), {
      filter: "envoy.filters.http.jwt_authn",
      path: ["example", "user", "role"],
      value: { stringMatch: { exact: "admin" } },
    });
    assert.deepEqual(metadataOf(ops).value, { stringMatch: { exact: "ops" } });
    assert.deepEqual(metadataOf(groups), {
      filter: "envoy.filters.http.jwt_authn",
      path: ["example", "groups"],
      value: { listMatch: { oneOf: { stringMatch: { exact: "dev" } } } },
    });
  });
});

describe("SecurityPolicy authorization: CEL and TCP", () => {
  it("CEL reaches Envoy parsed, has() as a test-only select", () => {
    const e = parsedCel("has(request.headers.authorization)").expr;
    assert.equal(e?.selectExpr?.testOnly, true);
    assert.equal(e?.selectExpr?.field, "authorization");
    assert.equal(e?.selectExpr?.operand?.selectExpr?.field, "headers");
    assert.throws(() => parsedCel("request.headers["));
  });

  it("a rule matching nothing in particular still gets a predicate; the default action is named default", () => {
    const m = rbacMatcherOf({ defaultAction: "Allow", rules: [{ name: "r", action: "Deny" }] });
    assert.ok(m.matcherList?.matchers[0].predicate?.singlePredicate?.customMatch);
    assert.equal(m.onNoMatch?.action?.name, "default");
  });

  it("TCP: the first rule with a request-only condition is named with EG's message", () => {
    const rules = (extra: object): AuthorizationIr => ({
      defaultAction: "Deny",
      rules: [
        { name: "a", action: "Allow", cidrs: ["10.0.0.0/8"] },
        { name: "b", action: "Allow", cidrs: ["10.0.0.0/8"], ...extra },
      ],
    });
    assert.equal(tcpAuthorizationProblem(rules({})), undefined);
    assert.equal(tcpAuthorizationProblem(rules({ cel: "true" })), "rule 1: CEL not supported for TCP");
    assert.equal(
      tcpAuthorizationProblem(rules({ jwt: { provider: "p", claims: [], scopes: ["s"] } })),
      "rule 1: JWT not supported for TCP",
    );
    assert.equal(
      tcpAuthorizationProblem(rules({ headers: [{ name: "x", values: ["y"] }] })),
      "rule 1: headers not supported for TCP",
    );
    assert.equal(tcpAuthorizationProblem(rules({ methods: ["GET"] })), "rule 1: operation not supported for TCP");
  });
});
