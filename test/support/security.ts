/**
 * SecurityPolicy traffic tests' common setup: the BackendTrafficPolicy tests' gateway (one echo backend, per case
 * an HTTPRoute `<name>` for `<name>.example.com`) with a SecurityPolicy `<name>` on each case's route.
 */
import { startPolicyGateway, type PolicyGateway } from "./backend-traffic";

/** A SecurityPolicy `default/<name>` targeting HTTPRoute `<name>`; `specYaml` is indented by two spaces. */
export function securityPolicyYaml(name: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
${specYaml.replace(/\n?$/, "\n")}`;
}

/**
 * Starts the gateway with one route and SecurityPolicy per entry of `cases` (name → spec YAML); `gatewaySpecYaml`
 * adds Gateway spec fields (indented by two spaces).
 */
export function startSecurityGateway(
  cases: Readonly<Record<string, string>>,
  extraFiles: Readonly<Record<string, string>> = {},
  gatewaySpecYaml = "",
): Promise<PolicyGateway> {
  return startPolicyGateway(cases, extraFiles, securityPolicyYaml, {}, gatewaySpecYaml);
}
