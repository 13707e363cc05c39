/**
 * BackendTrafficPolicy `loadBalancer` ConsistentHash on L4 routes (real Envoy, standalone), over Backends with
 * three echo endpoints that answer their own name. As in Envoy Gateway, the TCPRoute's tcp_proxy and the
 * UDPRoute's udp_proxy hash by client address; clients connect from several loopback addresses (127.0.0.2-9):
 * - without a policy, connections from one address reach every endpoint (round robin);
 * - ConsistentHash SourceIP on the TCPRoute: every connection from one address reaches one endpoint, and the
 *   addresses spread over more than one;
 * - ConsistentHash SourceIP on the UDPRoute: datagrams from new sockets of one address reach one endpoint;
 * - ConsistentHash Header on the TCPRoute: a connection has no header to hash: Accepted=False naming the field,
 *   and the route's connections are refused.
 */
import * as assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { btpConditions } from "../support/btp";
import { eventually, freePort } from "../support/http";
import { startTcpEcho, startUdpEcho, tcpExchange, udpExchange, type TcpEcho, type UdpEcho } from "../support/l4";
import { backendPoolYaml, gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const NAMES = ["a", "b", "c"];
/** Client addresses (all loopback on Linux). */
const CLIENTS = [
  "127.0.0.2",
  "127.0.0.3",
  "127.0.0.4",
  "127.0.0.5",
  "127.0.0.6",
  "127.0.0.7",
  "127.0.0.8",
  "127.0.0.9",
];

/** BackendTrafficPolicy `default/<name>` on route `kind/name` with `specYaml` (indented by two spaces). */
function l4PolicyYaml(name: string, kind: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: ${kind}, name: echo }]
${specYaml}
`;
}

const SOURCE_IP = "  loadBalancer: { type: ConsistentHash, consistentHash: { type: SourceIP } }";

describe("standalone: BackendTrafficPolicy ConsistentHash on TCP and UDP routes (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let tcp: TcpEcho[];
  let udp: UdpEcho[];
  let tcpPort: number;
  let udpPort: number;

  /** The endpoint names `n` TCP connections from `from` reached, counted. */
  async function tcpSpread(from: string, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const reply = await tcpExchange(tcpPort, "hi", from).catch(() => "refused:");
      const name = reply.split(":")[0];
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** The endpoint names datagrams from `n` new sockets bound to `from` reached, counted. */
  async function udpSpread(from: string, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const sock = createSocket("udp4");
      await new Promise<void>((r) => sock.bind(0, from, r));
      const reply = await udpExchange(sock, udpPort, "hi");
      sock.close();
      const name = reply?.split(":")[0] ?? "none";
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** Waits until Envoy's listeners (admin config_dump, its JSON without white space) contain `text`. */
  async function listenersWith(text: string): Promise<void> {
    const admin = await t.gw.runner?.adminUrl("default/eg");
    await eventually(
      async () =>
        (await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text())
          .replace(/\s/g, "")
          .includes(text),
      15_000,
      `Envoy's listeners to contain ${text}`,
    );
  }

  before(async () => {
    tcp = await Promise.all(NAMES.map((n) => startTcpEcho(n)));
    udp = await Promise.all(NAMES.map((n) => startUdpEcho(n)));
    tcpPort = await freePort();
    udpPort = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: tcp, protocol: TCP, port: ${tcpPort} }
    - { name: udp, protocol: UDP, port: ${udpPort} }`),
      "routes.yaml": `${backendPoolYaml(
        "tcp-pool",
        tcp.map((e) => e.port),
      )}---
${backendPoolYaml(
  "udp-pool",
  udp.map((e) => e.port),
)}---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tcp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tcp-pool }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: udp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: udp-pool }] }]
`,
    });
    await eventually(async () => (await tcpExchange(tcpPort, "hi").catch(() => "")) !== "", 15_000, "the TCP route");
  });

  after(async () => {
    await t?.close();
    for (const e of tcp ?? []) e.server.close();
    for (const e of udp ?? []) e.sock.close();
  });

  it("without a policy: connections from one address reach every endpoint", async () => {
    assert.deepEqual(Object.keys(await tcpSpread(CLIENTS[0], 12)).sort(), NAMES);
  });

  it("SourceIP on the TCPRoute: one client address, one endpoint; the addresses spread", async () => {
    await t.write("btp.yaml", l4PolicyYaml("hash", "TCPRoute", SOURCE_IP));
    await listenersWith('"hash_policy":[{"source_ip":{}}]');
    const reached = new Set<string>();
    for (const from of CLIENTS) {
      const counts = await tcpSpread(from, 6);
      assert.equal(Object.keys(counts).length, 1, `${from}: ${JSON.stringify(counts)}`);
      reached.add(Object.keys(counts)[0]);
    }
    assert.ok(!reached.has("refused"), [...reached].join(", "));
    assert.ok(reached.size > 1, `${CLIENTS.length} addresses reached ${[...reached].join(", ")}`);
  });

  it("SourceIP on the UDPRoute: datagrams from one address reach one endpoint", async () => {
    await t.write("btp-udp.yaml", l4PolicyYaml("hash-udp", "UDPRoute", SOURCE_IP));
    await listenersWith('"hash_policies":[{"source_ip":true}]');
    const reached = new Set<string>();
    for (const from of CLIENTS) {
      const counts = await udpSpread(from, 6);
      assert.equal(Object.keys(counts).length, 1, `${from}: ${JSON.stringify(counts)}`);
      reached.add(Object.keys(counts)[0]);
    }
    assert.ok(!reached.has("none"), [...reached].join(", "));
    assert.ok(reached.size > 1, `${CLIENTS.length} addresses reached ${[...reached].join(", ")}`);
  });

  it("Header on the TCPRoute: Accepted=False naming the field, the route's connections are refused", async () => {
    const spec = "  loadBalancer: { type: ConsistentHash, consistentHash: { type: Header, header: { name: x-user } } }";
    await t.write("btp.yaml", l4PolicyYaml("hash", "TCPRoute", spec));
    await eventually(
      async () => btpConditions(t, "hash").some((c) => c.type === "Accepted" && c.status === "False"),
      15_000,
      "the policy refused",
    );
    const accepted = btpConditions(t, "hash").find((c) => c.type === "Accepted");
    assert.equal(
      accepted?.message,
      "spec.loadBalancer.consistentHash: TCPRoute backends hash by SourceIP only (a connection has no header to hash)",
    );
    await eventually(
      async () => Object.keys(await tcpSpread(CLIENTS[0], 3)).join() === "refused",
      15_000,
      "connections refused",
    );
  });
});
