/**
 * TLS, TCP and UDP route attachment on the wire (real Envoy), as the Gateway API v1.7.0 conformance suite
 * and Envoy Gateway's examples expect it:
 * - Envoy Gateway's examples/kubernetes/tls-termination.yaml shape: a TLS listener in Terminate mode with no
 *   allowedRoutes.kinds and one TCPRoute; a TLS client reaches a plain TCP echo backend (TLS-terminated TCP).
 * - TLSRouteMixedTerminationSameNamespace: a Terminate and a Passthrough TLS listener on one port; each SNI
 *   name reaches its own route, terminated or passed through.
 * - TCPRouteMultipleRoutesAttachment / UDPRouteMultipleRoutesAttachment: two routes on one listener, both
 *   counted, every connection or datagram goes to the oldest.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createTlsServer } from "node:tls";
import { eventually, freePort } from "../support/http";
import { startTcpEcho, startUdpEcho, tcpExchange, udpExchange } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { tlsExchange } from "../support/tls-client";

interface Ports {
  readonly term: number;
  readonly mixed: number;
  readonly tcp: number;
  readonly udp: number;
}

function route(
  kind: string,
  name: string,
  o: { section: string; backend: string; host?: string; created?: string },
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: ${name}, namespace: default${o.created ? `, creationTimestamp: "${o.created}"` : ""} }
spec:
  parentRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: ${o.section} }]
${o.host ? `  hostnames: [${o.host}]\n` : ""}  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${o.backend} }] }]
`;
}

function gatewayYaml(p: Ports): string {
  const listeners = `    - name: https
      port: ${p.term}
      protocol: TLS
      allowedRoutes: { namespaces: { from: Same } }
      tls: { mode: Terminate, certificateRefs: [{ group: "", kind: Secret, name: example-cert }] }
    - name: mixed-terminate
      port: ${p.mixed}
      protocol: TLS
      hostname: tls.example.com
      allowedRoutes: { kinds: [{ kind: TLSRoute }] }
      tls: { mode: Terminate, certificateRefs: [{ name: tls-cert }] }
    - name: mixed-passthrough
      port: ${p.mixed}
      protocol: TLS
      hostname: abc.example.com
      allowedRoutes: { kinds: [{ kind: TLSRoute }] }
      tls: { mode: Passthrough }
    - { name: tcp, protocol: TCP, port: ${p.tcp} }
    - { name: udp, protocol: UDP, port: ${p.udp} }`;
  return [
    gatewayWithListenersYaml(listeners),
    route("TCPRoute", "backend", { section: "https", backend: "tcp-a" }),
    route("TLSRoute", "terminate", { section: "mixed-terminate", backend: "tcp-a", host: "tls.example.com" }),
    route("TLSRoute", "passthrough", { section: "mixed-passthrough", backend: "tls-backend", host: "abc.example.com" }),
    // The newer route sorts first by name: age, not name, must decide.
    route("TCPRoute", "b-older", { section: "tcp", backend: "tcp-a", created: "2026-01-01T00:00:00Z" }),
    route("TCPRoute", "a-newer", { section: "tcp", backend: "tcp-b", created: "2026-01-01T00:00:01Z" }),
    route("UDPRoute", "b-older", { section: "udp", backend: "udp-old", created: "2026-01-01T00:00:00Z" }),
    route("UDPRoute", "a-newer", { section: "udp", backend: "udp-new", created: "2026-01-01T00:00:01Z" }),
  ].join("---\n");
}

/** Retries `fn` until `ok` holds (20 s), then returns its last value. */
async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  await eventually(
    async () => {
      last = await fn().catch(() => undefined);
      return last !== undefined && ok(last);
    },
    20_000,
    what,
  );
  return last as T;
}

describe("TLS, TCP and UDP route attachment on the wire (real Envoy)", function () {
  let t: TestGateway;
  let ports: Ports;
  let ca: TestCa;
  let backendCa: TestCa;
  const closers: (() => Promise<unknown>)[] = [];
  let client: UdpSocket;

  before(async function () {
    ca = makeCa("egts l4 attachment CA");
    backendCa = makeCa("egts l4 attachment backend CA");
    const a = await startTcpEcho("a");
    const b = await startTcpEcho("b");
    const udpOld = await startUdpEcho("old");
    const udpNew = await startUdpEcho("new");
    const backendCert = backendCa.issue("abc.example.com");
    const tlsBackend = createTlsServer({ cert: backendCert.cert, key: backendCert.key }, (s) => {
      s.on("data", (d: Buffer) => s.write(`tls-backend:${d.toString()}`));
    });
    const tlsBackendPort = await freePort();
    await new Promise<void>((r) => tlsBackend.listen(tlsBackendPort, "127.0.0.1", r));
    for (const s of [a.server, b.server, tlsBackend]) closers.push(() => new Promise((r) => s.close(r)));
    for (const u of [udpOld.sock, udpNew.sock]) closers.push(() => new Promise<void>((r) => u.close(() => r())));
    client = createSocket("udp4");
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", r));
    ports = { term: await freePort(), mixed: await freePort(), tcp: await freePort(), udp: await freePort() };
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(ports),
      "backends.yaml": [
        backendYaml("tcp-a", a.port),
        backendYaml("tcp-b", b.port),
        backendYaml("tls-backend", tlsBackendPort),
        backendYaml("udp-old", udpOld.port),
        backendYaml("udp-new", udpNew.port),
      ].join("---\n"),
      "secrets.yaml": [
        tlsSecretYaml("example-cert", ca.issue("www.example.com")),
        tlsSecretYaml("tls-cert", ca.issue("tls.example.com")),
      ].join("---\n"),
    });
  });

  after(async function () {
    await t?.close();
    for (const close of closers) await close();
    client?.close();
  });

  it("Envoy Gateway's tls-termination example: a TLS client reaches a plain TCP backend through a TCPRoute", async function () {
    const r = await until(
      "TLS-terminated TCP",
      () => tlsExchange(ports.term, "www.example.com", ca.cert, "hello"),
      (v) => v.reply === "a:hello",
    );
    assert.equal(r.peer.subject.CN, "www.example.com");
    assert.equal(r.peer.issuer.CN, "egts l4 attachment CA");
  });

  it("TLSRouteMixedTerminationSameNamespace: one port terminates tls.example.com and passes abc.example.com through", async function () {
    const term = await until(
      "terminated SNI",
      () => tlsExchange(ports.mixed, "tls.example.com", ca.cert, "t"),
      (v) => v.reply === "a:t",
    );
    assert.equal(term.peer.subject.CN, "tls.example.com"); // the listener's certificate, backend in clear
    const pass = await until(
      "passed-through SNI",
      () => tlsExchange(ports.mixed, "abc.example.com", backendCa.cert, "p"),
      (v) => v.reply === "tls-backend:p",
    );
    assert.equal(pass.peer.subject.CN, "abc.example.com"); // the backend's own certificate
    assert.equal(pass.peer.issuer.CN, "egts l4 attachment backend CA");
  });

  it("TCPRouteMultipleRoutesAttachment: every connection reaches the older route's backend", async function () {
    await until(
      "a TCP echo",
      () => tcpExchange(ports.tcp, "x"),
      (v) => v.endsWith(":x"),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await tcpExchange(ports.tcp, "x")).split(":")[0]);
    assert.deepEqual([...seen], ["a"]);
  });

  it("UDPRouteMultipleRoutesAttachment: every datagram reaches the older route's backend", async function () {
    await until(
      "a UDP echo",
      () => udpExchange(client, ports.udp, "x"),
      (v) => v !== undefined,
    );
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(((await udpExchange(client, ports.udp, "x")) ?? "none").split(":")[0]);
    assert.deepEqual([...seen], ["old"]);
  });

  it("statuses: every route Accepted, the TCP and UDP listeners count both of theirs", function () {
    const gw = t.gw.statuses.get("Gateway", "default", "eg")?.status as {
      listeners: { name: string; attachedRoutes: number }[];
    };
    assert.deepEqual(
      gw.listeners.map((l) => `${l.name}=${l.attachedRoutes}`),
      ["https=1", "mixed-terminate=1", "mixed-passthrough=1", "tcp=2", "udp=2"],
    );
    const routes: [string, string][] = [
      ["TCPRoute", "backend"],
      ["TLSRoute", "terminate"],
      ["TLSRoute", "passthrough"],
      ["TCPRoute", "b-older"],
      ["TCPRoute", "a-newer"],
      ["UDPRoute", "b-older"],
      ["UDPRoute", "a-newer"],
    ];
    for (const [kind, name] of routes) {
      const s = t.gw.statuses.get(kind, "default", name)?.status as {
        parents: { conditions: { type: string; status: string }[] }[];
      };
      assert.deepEqual(
        s.parents[0].conditions.map((c) => `${c.type}=${c.status}`),
        ["Accepted=True", "ResolvedRefs=True"],
        `${kind} ${name}`,
      );
    }
  });
});
