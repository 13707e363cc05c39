/**
 * Secrets a SecurityPolicy refers to, resolved as Envoy Gateway does (`validateSecretRef`), with its messages: the
 * group must be empty, the kind Secret; a Secret in another namespace needs a ReferenceGrant from SecurityPolicies
 * of the owning policy's namespace; a Secret that does not exist is an error (the policy fails closed).
 */
import type { Secret } from "../../resources/core";
import type { SecretObjectReference } from "../../resources/policy-common";
import { ENVOY_GATEWAY_GROUP } from "../../resources/envoy-gateway";
import type { SecurityContext, SecurityOwner } from "./security-context";

/** The Secret `ref` names for `owner`, or undefined with the reason in `problems`. */
export function securitySecret(
  ref: SecretObjectReference | undefined,
  owner: SecurityOwner,
  ctx: SecurityContext,
  problems: string[],
): Secret | undefined {
  if (!ref?.name) {
    problems.push("secret ref must name a Secret");
    return undefined;
  }
  if (ref.group !== undefined && ref.group !== "") {
    problems.push("secret ref group must be unspecified/empty");
    return undefined;
  }
  if (ref.kind !== undefined && ref.kind !== "Secret") {
    problems.push("secret ref kind must be Secret");
    return undefined;
  }
  const namespace = ref.namespace !== undefined && ref.namespace !== "" ? ref.namespace : owner.namespace;
  const from = { group: ENVOY_GATEWAY_GROUP, kind: "SecurityPolicy", namespace: owner.namespace };
  if (!ctx.refs.grants.allows(from, { group: "", kind: "Secret", namespace, name: ref.name })) {
    problems.push(`ref to Secret ${namespace}/${ref.name} not permitted by any ReferenceGrant`);
    return undefined;
  }
  const secret = ctx.refs.secret(`${namespace}/${ref.name}`);
  if (!secret) problems.push(`secret ${namespace}/${ref.name} does not exist`);
  return secret;
}

/** The keys of a Secret (`data` and `stringData`), sorted. */
export function secretKeys(secret: Secret): string[] {
  return [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])].sort();
}
