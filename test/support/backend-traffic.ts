/**
 * BackendTrafficPolicy traffic tests' common setup: one echo backend, Gateway `default/eg`, and per case an
 * HTTPRoute `<name>` for host `<name>.example.com` with a BackendTrafficPolicy `<name>` targeting it.
 */
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "./http";
import { backendYaml, gatewayWithListenersYaml, gatewayYaml, routeYaml } from "./manifests";
import { startTestGateway, type TestGateway } from "./standalone";

/** A running gateway with one policy-carrying route per case. */
export interface PolicyGateway {
  readonly t: TestGateway;
  /** Envoy's HTTP port. */
  readonly port: number;
  readonly backend: EchoBackend;
  /** Host of a case's route. */
  host(name: string): string;
  close(): Promise<void>;
}

/** A BackendTrafficPolicy `default/<name>` targeting HTTPRoute `<name>`; `specYaml` is indented by two spaces. */
export function btpYaml(name: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
${specYaml.replace(/\n?$/, "\n")}`;
}

/** An EnvoyExtensionPolicy `default/<name>` targeting HTTPRoute `<name>`; `specYaml` is indented by two spaces. */
export function eepYaml(name: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
${specYaml.replace(/\n?$/, "\n")}`;
}

/**
 * Starts the gateway with one route and policy per entry of `cases` (name → policy spec YAML; the policy document
 * made by `policyYaml`, a BackendTrafficPolicy unless given; `gatewaySpecYaml`: more Gateway spec fields, indented
 * by two spaces, e.g. `infrastructure:`), and waits until
 * a route without a policy (`probe.example.com`, in the same file and so in the same route configuration) answers:
 * the cases' routes are then served too, and no probe has spent a token of theirs.
 */
export async function startPolicyGateway(
  cases: Readonly<Record<string, string>>,
  extraFiles: Readonly<Record<string, string>> = {},
  policyYaml: (name: string, specYaml: string) => string = btpYaml,
  gatewayOpts: Parameters<typeof startTestGateway>[1] = {},
  gatewaySpecYaml = "",
): Promise<PolicyGateway> {
  const backend = await startEchoBackend({ name: "echo" });
  const port = await freePort();
  const host = (name: string): string => `${name}.example.com`;
  const docs = [backendYaml("echo", backend.port), routeYaml("probe", host("probe"), "echo")];
  for (const [name, spec] of Object.entries(cases))
    docs.push(routeYaml(name, host(name), "echo"), policyYaml(name, spec));
  const t = await startTestGateway(
    {
      "gateway.yaml": gatewaySpecYaml
        ? gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${port} }`, gatewaySpecYaml)
        : gatewayYaml(port),
      "cases.yaml": docs.join("---\n"),
      ...extraFiles,
    },
    gatewayOpts,
  );
  try {
    await eventually(async () => (await httpGet(port, host("probe"))).status === 200, 20_000, "the probe route");
  } catch (err) {
    await t.close();
    await backend.close();
    throw err;
  }
  return {
    t,
    port,
    backend,
    host,
    async close() {
      await t.close();
      await backend.close();
    },
  };
}
