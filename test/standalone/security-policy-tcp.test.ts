/**
 * SecurityPolicy on TCPRoutes on the wire (real Envoy, node:net echo backend):
 * - a policy that sets an HTTP-only field (basicAuth) is Accepted=False with Envoy Gateway's TCP message, and the
 *   route's connections are closed without reaching the backend, while another TCPRoute on the same Gateway still
 *   echoes; once the policy no longer sets the field, the route echoes again (no Envoy restart); a headers rule
 *   closes it again with Envoy Gateway's `rule 0: headers not supported for TCP`;
 * - authorization by client address (network RBAC before tcp_proxy, first match wins): Deny 127.0.0.1, then Allow
 *   127.0.0.0/8, default Deny: a client bound to 127.0.0.2 gets the echo, one from 127.0.0.1 is closed.
 */
import assert from "node:assert/strict";
import type { Server } from "node:net";
import { TCP_ONLY_AUTHORIZATION, tcpRuleMessage } from "../../operator/src/translate/policies/security";
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

/** A SecurityPolicy `default/<name>` (default `locked`) on TCPRoute `<name>`. */
const policyYaml = (specYaml: string, name = "locked"): string =>
  securityPolicyYaml(name, specYaml).replace("kind: HTTPRoute", "kind: TCPRoute");

/** Whether an exchange through `port` (from `localAddress`, default 127.0.0.1) reaches the echo backend. */
async function echoes(port: number, localAddress?: string): Promise<boolean> {
  try {
    return (await tcpExchange(port, "ping", localAddress)) === "echo:ping";
  } catch {
    return false;
  }
}

/** The Accepted condition of SecurityPolicy `default/<name>`. */
function accepted(t: TestGateway | undefined, name: string): { status: string; message: string } | undefined {
  const s = t?.gw.statuses.get("SecurityPolicy", "default", name)?.status as
    { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
  return s?.ancestors?.[0]?.conditions.find((x) => x.type === "Accepted");
}

describe("SecurityPolicy on TCPRoutes: network RBAC, fail closed (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let echo: Server | undefined;
  let open = 0;
  let locked = 0;
  let cidr = 0;

  before(async () => {
    const e = await startTcpEcho("echo");
    echo = e.server;
    open = await freePort();
    locked = await freePort();
    cidr = await freePort();
    const listeners = ["open", "locked", "cidr"].map(
      (n, i) => `    - { name: ${n}, protocol: TCP, port: ${[open, locked, cidr][i]} }`,
    );
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(listeners.join("\n")),
      "routes.yaml": [backendYaml("echo", e.port), ...["open", "locked", "cidr"].map((n) => tcpRouteYaml(n, n))].join(
        "---\n",
      ),
      "policy.yaml": policyYaml(`  basicAuth: { users: { name: nobody } }`),
      "cidr-policy.yaml": policyYaml(
        `  authorization:
    rules:
      - { action: Deny, principal: { clientCIDRs: ["127.0.0.1/32"] } }
      - { action: Allow, principal: { clientCIDRs: ["127.0.0.0/8"] } }`,
        "cidr",
      ),
    });
    await eventually(() => echoes(open), 20_000, "the open TCPRoute");
  });
  after(async () => {
    await t?.close();
    echo?.close();
  });

  it("the policy with an HTTP-only field is Accepted=False with EG's TCP message", () => {
    const c = accepted(t, "locked");
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

  it("client-address rules: 127.0.0.2 gets the echo, 127.0.0.1 (first rule: Deny) is closed", async () => {
    assert.equal(accepted(t, "cidr")?.status, "True");
    await eventually(() => echoes(cidr, "127.0.0.2"), 20_000, "the cidr TCPRoute from 127.0.0.2");
    for (let i = 0; i < 3; i++) {
      assert.equal(await echoes(cidr, "127.0.0.1"), false, "a connection from 127.0.0.1 reached the backend");
      assert.equal(await echoes(cidr, "127.0.0.2"), true);
    }
  });

  it("a headers rule on TCP is Accepted=False with EG's message and closes the route again", async () => {
    await t?.write(
      "policy.yaml",
      policyYaml(
        `  authorization:\n    rules: [{ action: Allow, principal: { headers: [{ name: x, values: [y] }] } }]`,
      ),
    );
    await eventually(async () => !(await echoes(locked)), 20_000, "the locked TCPRoute to close");
    assert.equal(accepted(t, "locked")?.message, tcpRuleMessage("rule 0: headers not supported for TCP"));
    assert.equal(await echoes(open), true);
  });
});
