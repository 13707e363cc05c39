/**
 * SecurityPolicy `authorization` → the route's {@link AuthorizationIr}, as Envoy Gateway builds it (HTTP routes).
 *
 * The default action is Deny when unset; rules keep their order (the first match decides) and their names, or
 * get Envoy Gateway's generated one (`securitypolicy/<ns>/<name>/authorization/rule/<index>`, the owning policy's).
 * Client CIDRs are canonicalised (host bits cleared) and a bad one fails the policy with Envoy Gateway's message
 * (`unable to translate authorization rule: invalid CIDR address: …`); so does a path regex RE2 cannot compile.
 * `principal.jwt`, `principal.clientIPGeoLocations` and `cel` are not translated yet: the rule's field is
 * refused (the policy fails closed).
 */
import type { AuthorizationIr, AuthorizationRuleIr } from "../../ir/security-ir";
import type { Authorization, AuthorizationRule } from "../../resources/security-policy";
import { canonicalCidr } from "../cidr-format";
import { re2Problem } from "../regex";
import { describe, headerNameProblem } from "../validate-values";
import { securityIrName, type SecurityContext } from "./security-context";

/** Envoy Gateway's prefix of a rule it cannot translate. */
const RULE_PROBLEM = "unable to translate authorization rule: ";

/**
 * SecurityPolicy `authorization` → the route's authorization; undefined when unset or unusable (`problems` say
 * why; `refuse` gets the fields egts does not translate yet, by their paths, when there are some).
 */
export function translateAuthorization(
  authz: Authorization | undefined,
  ctx: SecurityContext,
  problems: string[],
  refuse: (fields: readonly string[]) => void,
): AuthorizationIr | undefined {
  if (!authz) return undefined;
  const owner = ctx.ownerOf("authorization");
  const before = problems.length;
  const refused: string[] = [];
  const rules: AuthorizationRuleIr[] = [];
  for (const [i, rule] of (authz.rules ?? []).entries()) {
    for (const field of untranslatedFields(rule)) refused.push(`spec.authorization.rules[${i}].${field}`);
    const name =
      rule.name !== undefined && rule.name !== "" ? rule.name : `${securityIrName(owner)}/authorization/rule/${i}`;
    const ir = ruleIr(rule, name, `rules[${i}]`, problems);
    if (ir) rules.push(ir);
  }
  if (refused.length > 0) refuse(refused);
  if (refused.length > 0 || problems.length > before) return undefined;
  return { defaultAction: authz.defaultAction ?? "Deny", rules };
}

/** The fields of `rule` egts does not translate yet. */
function untranslatedFields(rule: AuthorizationRule): string[] {
  const out: string[] = [];
  if (rule.principal?.jwt !== undefined) out.push("principal.jwt");
  if (rule.principal?.clientIPGeoLocations !== undefined) out.push("principal.clientIPGeoLocations");
  if (rule.cel !== undefined) out.push("cel");
  return out;
}

/** Why a value of `rule` cannot be used (the first one), or undefined. */
function ruleProblem(rule: AuthorizationRule, where: string): string | undefined {
  const badCidr = (rule.principal?.clientCIDRs ?? []).find((c) => !canonicalCidr(c));
  if (badCidr !== undefined) return `${RULE_PROBLEM}invalid CIDR address: ${badCidr}`;
  const path = rule.operation?.path;
  const badRegex = path?.type === "RegularExpression" ? re2Problem(path.value) : undefined;
  if (badRegex) return `${RULE_PROBLEM}regex ${JSON.stringify(path?.value)} is invalid: ${badRegex}`;
  for (const [j, h] of (rule.principal?.headers ?? []).entries()) {
    const bad = describe(`${where}.principal.headers[${j}].name`, h.name, headerNameProblem(h.name));
    if (bad) return bad;
  }
  return undefined;
}

/** One rule → its IR; undefined (with a problem) when a value cannot be used. */
function ruleIr(
  rule: AuthorizationRule,
  name: string,
  where: string,
  problems: string[],
): AuthorizationRuleIr | undefined {
  const bad = ruleProblem(rule, where);
  if (bad) {
    problems.push(bad);
    return undefined;
  }
  const cidrs = (rule.principal?.clientCIDRs ?? []).map((c) => canonicalCidr(c)?.cidr ?? c);
  const headers = rule.principal?.headers ?? [];
  const methods = rule.operation?.methods ?? [];
  const path = rule.operation?.path;
  return {
    name,
    action: rule.action,
    ...(methods.length > 0 ? { methods: [...methods] } : {}),
    ...(path
      ? { path: { type: path.type ?? "PathPrefix", value: path.value || "/", invert: path.invert === true } }
      : {}),
    ...(cidrs.length > 0 ? { cidrs } : {}),
    ...(headers.length > 0 ? { headers: headers.map((h) => ({ name: h.name, values: [...h.values] })) } : {}),
  };
}
