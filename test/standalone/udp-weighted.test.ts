/**
 * UDPRoute with weighted backendRefs against real Envoy (Gateway API conformance UDPRouteWeightedRouting):
 * three node:dgram echo servers weighted 70/30/0. udp_proxy keeps one session per client address and
 * port, so the split is measured over many client sockets, each sending one datagram.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { eventually, freePort } from "../support/http";
import { startUdpEcho, udpExchange } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Sessions (client sockets) the split is measured over. */
const SESSIONS = 200;

function gatewayYaml(port: number): string {
  return `${gatewayWithListenersYaml(`    - { name: udp, protocol: UDP, port: ${port} }`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: { name: weighted, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: udp }]
  rules:
    - backendRefs:
        - { group: gateway.envoyproxy.io, kind: Backend, name: udp-a, weight: 70 }
        - { group: gateway.envoyproxy.io, kind: Backend, name: udp-b, weight: 30 }
        - { group: gateway.envoyproxy.io, kind: Backend, name: udp-c, weight: 0 }
`;
}

/** Sends one datagram from a new client socket and returns the reply (undefined after 1 s). */
async function oneSession(port: number): Promise<string | undefined> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  try {
    return await udpExchange(sock, port, "ping", 1000);
  } finally {
    sock.close();
  }
}

describe("UDPRoute weighted backendRefs (real Envoy)", function () {
  let t: TestGateway;
  let port: number;
  const echoes: UdpSocket[] = [];

  before(async function () {
    const backends = await Promise.all(["a", "b", "c"].map((n) => startUdpEcho(n, () => n)));
    echoes.push(...backends.map((b) => b.sock));
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": ["a", "b", "c"].map((n, i) => backendYaml(`udp-${n}`, backends[i].port)).join("---\n"),
    });
  });

  after(async function () {
    await t?.close();
    for (const s of echoes) s.close();
  });

  it("sessions split about 70/30 between the weighted backends, none to the zero-weight one", async function () {
    this.timeout(60_000);
    await eventually(async () => (await oneSession(port)) !== undefined, 20_000, "a UDP echo through Envoy");
    const counts = new Map<string, number>();
    for (let i = 0; i < SESSIONS; i++) {
      const who = (await oneSession(port)) ?? "none";
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    const a = counts.get("a") ?? 0;
    const b = counts.get("b") ?? 0;
    const summary = JSON.stringify(Object.fromEntries(counts));
    assert.equal(counts.get("c") ?? 0, 0, `zero-weight backend got sessions: ${summary}`);
    assert.equal(counts.get("none") ?? 0, 0, `sessions without a reply: ${summary}`);
    // The conformance suite allows 5 percentage points around each weight; so do we.
    assert.ok(Math.abs(a / SESSIONS - 0.7) <= 0.05, `a should get ~70%: ${summary}`);
    assert.ok(Math.abs(b / SESSIONS - 0.3) <= 0.05, `b should get ~30%: ${summary}`);
    console.log(`      UDP sessions by backend over ${SESSIONS}: ${summary}`);
  });
});
