/**
 * TCP and UDP listeners against real Envoy: a TCPRoute to node:net echo servers (weighted over two
 * backends), a TLS listener in Terminate mode with a TLSRoute to a plain TCP backend, and a UDPRoute to a
 * node:dgram echo server.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import type { Server } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { eventually, freePort } from "../support/http";
import { startTcpEcho, startUdpEcho, tcpExchange, udpExchange } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface Ports {
  readonly tcp: number;
  readonly udp: number;
  readonly tls: number;
}

function gatewayYaml(p: Ports): string {
  return `${gatewayWithListenersYaml(`    - { name: tcp, protocol: TCP, port: ${p.tcp} }
    - { name: udp, protocol: UDP, port: ${p.udp} }
    - name: tls
      protocol: TLS
      port: ${p.tls}
      hostname: term.example.com
      tls: { mode: Terminate, certificateRefs: [{ name: term-cert }] }`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tcp }]
  rules:
    - backendRefs:
        - { group: gateway.envoyproxy.io, kind: Backend, name: tcp-a, weight: 1 }
        - { group: gateway.envoyproxy.io, kind: Backend, name: tcp-b, weight: 1 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: udp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: udp-echo }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: term, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tls }]
  hostnames: [term.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tcp-a }] }]
`;
}

describe("TCP, TLS-terminate and UDP listeners (real Envoy)", function () {
  let t: TestGateway;
  let ports: Ports;
  let ca: TestCa;
  const servers: Server[] = [];
  let udpEcho: UdpSocket;
  let client: UdpSocket;

  before(async function () {
    ca = makeCa("egts tcp test CA");
    const a = await startTcpEcho("a");
    const b = await startTcpEcho("b");
    servers.push(a.server, b.server);
    const udp = await startUdpEcho("udp");
    udpEcho = udp.sock;
    client = createSocket("udp4");
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", r));
    ports = { tcp: await freePort(), udp: await freePort(), tls: await freePort() };
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(ports),
      "backends.yaml": [
        backendYaml("tcp-a", a.port),
        backendYaml("tcp-b", b.port),
        backendYaml("udp-echo", udp.port),
      ].join("---\n"),
      "secret.yaml": tlsSecretYaml("term-cert", ca.issue("term.example.com")),
    });
  });

  after(async function () {
    await t?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    udpEcho?.close();
    client?.close();
  });

  it("TCPRoute: connections reach both weighted echo backends", async function () {
    await eventually(
      async () => (await tcpExchange(ports.tcp, "ping").catch(() => "")).endsWith(":ping"),
      20_000,
      "a TCP echo through Envoy",
    );
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) seen.add((await tcpExchange(ports.tcp, "x")).split(":")[0]);
    assert.deepEqual([...seen].sort(), ["a", "b"]);
  });

  it("UDPRoute: datagrams reach the echo backend and the replies come back", async function () {
    await eventually(
      async () => (await udpExchange(client, ports.udp, "hello")) === "udp:hello",
      20_000,
      "a UDP echo through Envoy",
    );
    assert.equal(await udpExchange(client, ports.udp, "again"), "udp:again");
  });

  it("TLS listener in Terminate mode: Envoy presents the listener certificate and proxies clear text", async function () {
    let reply = "";
    let cn = "";
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const s = tlsConnect(
            { host: "127.0.0.1", port: ports.tls, servername: "term.example.com", ca: ca.cert },
            () => {
              cn = String(s.getPeerCertificate().subject.CN);
              s.write("tls");
            },
          );
          s.once("data", (d: Buffer) => {
            reply = d.toString();
            s.end();
            resolve(true);
          });
          s.on("error", () => resolve(false));
          s.setTimeout(3000, () => s.destroy());
        }),
      20_000,
      "a TLS-terminated echo",
    );
    assert.equal(reply, "a:tls");
    assert.equal(cn, "term.example.com");
  });

  it("the routes are Accepted and each listener counts one attached route", function () {
    const gw = t.gw.statuses.get("Gateway", "default", "eg")?.status as {
      listeners: { name: string; attachedRoutes: number }[];
    };
    assert.deepEqual(
      gw.listeners.map((l) => `${l.name}=${l.attachedRoutes}`),
      ["tcp=1", "udp=1", "tls=1"],
    );
    for (const kind of ["TCPRoute", "UDPRoute"]) {
      const s = t.gw.statuses.get(kind, "default", "echo")?.status as {
        parents: { conditions: { type: string; status: string }[] }[];
      };
      assert.deepEqual(
        s.parents[0].conditions.map((c) => `${c.type}=${c.status}`),
        ["Accepted=True", "ResolvedRefs=True"],
        kind,
      );
    }
  });
});
