/**
 * SecurityPolicy on a TCPRoute fails closed on the wire (real Envoy, node:net echo backend): a policy that sets an
 * HTTP-only field (basicAuth) is Accepted=False with Envoy Gateway's TCP message, and the route's connections are
 * closed without reaching the backend, while another TCPRoute on the same Gateway still echoes. Once the policy
 * no longer sets the field, the route echoes again (no Envoy restart).
 */
import assert from "node:assert/strict";
import type { Server } from "node:net";
import { TCP_ONLY_AUTHORIZATION } from "../../operator/src/translate/policies/security";
import { eventually, freePort } from "../support/http";
import { startTcpEcho, tcpExchange } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { securityPolicyYaml } from "../support/security";
import { startTestGateway, type TestGateway } from "../support/standalone";

function tcpRouteYaml(name: string, listener: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: ${listener} }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }] }]
`;
}

/** A SecurityPolicy `default/locked` on TCPRoute `locked`. */
const policyYaml = (specYaml: string): string =>
  securityPolicyYaml("locked", specYaml).replace("kind: HTTPRoute", "kind: TCPRoute");

/** Whether an exchange through `port` reaches the echo backend. */
async function echoes(port: number): Promise<boolean> {
  try {
    return (await tcpExchange(port, "ping")) === "echo:ping";
  } catch {
    return false;
  }
}

describe("SecurityPolicy on a TCPRoute fails closed (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let echo: Server | undefined;
  let open = 0;
  let locked = 0;

  before(async () => {
    const e = await startTcpEcho("echo");
    echo = e.server;
    open = await freePort();
    locked = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: open, protocol: TCP, port: ${open} }\n    - { name: locked, protocol: TCP, port: ${locked} }`,
      ),
      "routes.yaml": [backendYaml("echo", e.port), tcpRouteYaml("open", "open"), tcpRouteYaml("locked", "locked")].join(
        "---\n",
      ),
      "policy.yaml": policyYaml(`  basicAuth: { users: { name: nobody } }`),
    });
    await eventually(() => echoes(open), 20_000, "the open TCPRoute");
  });
  after(async () => {
    await t?.close();
    echo?.close();
  });

  it("the policy with an HTTP-only field is Accepted=False with EG's TCP message", () => {
    const s = t?.gw.statuses.get("SecurityPolicy", "default", "locked")?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    const c = s?.ancestors?.[0]?.conditions.find((x) => x.type === "Accepted");
    assert.equal(c?.status, "False");
    assert.ok(c?.message.includes(TCP_ONLY_AUTHORIZATION), c?.message);
  });

  it("its route's connections close without reaching the backend; the other route echoes", async () => {
    for (let i = 0; i < 5; i++) assert.equal(await echoes(locked), false, "a locked connection reached the backend");
    assert.equal(await echoes(open), true);
  });

  it("without the field the route echoes again, same Envoy process", async () => {
    const pid = t?.gw.runner?.list()[0]?.pid;
    await t?.write("policy.yaml", policyYaml(""));
    await eventually(() => echoes(locked), 20_000, "the locked TCPRoute to echo");
    assert.equal(t?.gw.runner?.list()[0]?.pid, pid);
  });
});
