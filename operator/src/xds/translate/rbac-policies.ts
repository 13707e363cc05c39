/**
 * A route's {@link AuthorizationIr} → Envoy's classic RBAC rules (envoy.config.rbac.v3.RBAC), ordered rules
 * with mixed actions expressed as one action's policies.
 *
 * Envoy Gateway sends the rules as an RBAC `matcher` tree (xds.type.matcher), first match wins. Its inputs and
 * matchers (source IP input, IP matcher) are not among our generated protos, so egts sends the same decision as
 * classic policies: with default Deny the RBAC action is ALLOW and each Allow rule is a policy "this rule
 * matches and no earlier Deny rule does"; with default Allow the action is DENY and each Deny rule is a policy
 * "this rule matches and no earlier Allow rule does". A request is then allowed exactly when the first rule it
 * matches is an Allow rule (or none matches and the default is Allow). Every condition is a principal
 * (permissions: any):
 * - methods: `:method` header, exact, any one;
 * - path: Exact as url_path exact, PathPrefix as url_path exact or prefix `<value>/` (path-separated; `/`:
 *   prefix `/`), RegularExpression on the `:path` header as Envoy Gateway; `invert` negates it;
 * - client CIDRs: remote_ip (the client address after X-Forwarded-For / custom header detection), any one;
 * - headers: each header's value exact, any one value, every header.
 */
import type { Principal } from "../../../../proto/gen/envoy/config/rbac/v3/rbac";
import { RBAC_Action } from "../../../../proto/gen/envoy/config/rbac/v3/rbac";
import type { AuthorizationIr, AuthorizationRuleIr } from "../../ir/security-ir";

/** A principal matching when every one of `ids` does (`any` when none). */
function all(ids: readonly Principal[]): Principal {
  if (ids.length === 0) return { any: true } as Principal;
  return ids.length === 1 ? ids[0] : ({ andIds: { ids } } as Principal);
}

/** A principal matching when one of `ids` does (never, when none: not any). */
function oneOf(ids: readonly Principal[]): Principal {
  if (ids.length === 0) return { notId: { any: true } } as Principal;
  return ids.length === 1 ? ids[0] : ({ orIds: { ids } } as Principal);
}

/** A header principal, exact value. */
function headerIs(name: string, value: string): Principal {
  return { header: { name, stringMatch: { exact: value } } } as Principal;
}

/** A url_path principal. */
function urlPath(match: object): Principal {
  return { urlPath: { path: match } } as Principal;
}

/** The rule's path condition. */
function pathPrincipal(path: NonNullable<AuthorizationRuleIr["path"]>): Principal {
  let p: Principal;
  switch (path.type) {
    case "Exact":
      p = urlPath({ exact: path.value });
      break;
    case "PathPrefix": {
      const trimmed = path.value.replace(/\/+$/, "");
      p =
        trimmed === ""
          ? urlPath({ prefix: "/" })
          : oneOf([urlPath({ exact: trimmed }), urlPath({ prefix: `${trimmed}/` })]);
      break;
    }
    case "RegularExpression":
      p = { header: { name: ":path", stringMatch: { safeRegex: { regex: path.value } } } } as Principal;
      break;
  }
  return path.invert ? ({ notId: p } as Principal) : p;
}

/** Every condition of `rule`, as one principal. */
export function rulePrincipal(rule: AuthorizationRuleIr): Principal {
  const ids: Principal[] = [];
  if (rule.methods) ids.push(oneOf(rule.methods.map((m) => headerIs(":method", m))));
  if (rule.path) ids.push(pathPrincipal(rule.path));
  if (rule.cidrs) {
    ids.push(
      oneOf(
        rule.cidrs.map((c) => {
          const at = c.lastIndexOf("/");
          return { remoteIp: { addressPrefix: c.slice(0, at), prefixLen: Number(c.slice(at + 1)) } } as Principal;
        }),
      ),
    );
  }
  for (const h of rule.headers ?? []) ids.push(oneOf(h.values.map((v) => headerIs(h.name, v))));
  return all(ids);
}

/** The RBAC rules (envoy.config.rbac.v3.RBAC, as a fromPartial object) deciding as `authz`. */
export function rbacRulesOf(authz: AuthorizationIr): object {
  const action = authz.defaultAction === "Deny" ? "Allow" : "Deny";
  const policies: Record<string, object> = {};
  const earlierOpposite: Principal[] = [];
  for (const [i, rule] of authz.rules.entries()) {
    const principal = rulePrincipal(rule);
    if (rule.action !== action) {
      earlierOpposite.push(principal);
      continue;
    }
    const ids = principal.andIds ? [...principal.andIds.ids] : [principal];
    if (earlierOpposite.length > 0) ids.push({ notId: oneOf(earlierOpposite) } as Principal);
    const key = Object.hasOwn(policies, rule.name) ? `${rule.name}/${i}` : rule.name;
    policies[key] = { permissions: [{ any: true }], principals: [all(ids)] };
  }
  return { action: action === "Allow" ? RBAC_Action.ALLOW : RBAC_Action.DENY, policies };
}
