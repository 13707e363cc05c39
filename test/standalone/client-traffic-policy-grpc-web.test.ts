/**
 * gRPC-Web and gRPC stats on the wire (real Envoy, standalone): a gRPC-Web call over HTTP/1.1
 * (`content-type: application/grpc-web+proto`, a length-prefixed message in the body) to a GRPCRoute whose backend is
 * a real @grpc/grpc-js server.
 *
 * As in Envoy Gateway, a listener with a GRPCRoute has the grpc_web and grpc_stats filters by default: grpc_web turns
 * the call into gRPC over HTTP/2 and the answer back (HTTP 200, `application/grpc-web+proto`, the message frame, then
 * a trailer frame (flag 0x80) with `grpc-status:0`), and grpc_stats counts each method in Envoy's stats.
 * ClientTrafficPolicy `grpc.enableWeb: false` (or `grpc` without enableWeb, which Envoy Gateway reads as false) turns
 * grpc_web off: grpc-js then answers the call as plain gRPC, `application/grpc+proto`, and the status, an HTTP/2
 * trailer, has no place in the HTTP/1.1 answer (no trailer frame), which a gRPC-Web client cannot read.
 */
import * as assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { connect } from "node:net";
import { eventually, freePort } from "../support/http";
import {
  deserialize,
  grpcEchoCounters,
  assertThreeMoreEchoCalls,
  serialize,
  startGrpcEcho,
} from "../support/grpc-echo";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "grpc.example.com";
/** One gRPC-Web call over HTTP/1.1: the raw response (head and body bytes). */
function grpcWebCall(port: number, message: unknown): Promise<{ head: string; body: Buffer }> {
  const payload = serialize(message);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), payload]);
  frame.writeUInt32BE(payload.length, 1);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => {
      s.write(
        `POST /pkg.Echo/Echo HTTP/1.1\r\nHost: ${HOST}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\ncontent-length: ${frame.length}\r\nconnection: close\r\n\r\n`,
      );
      s.write(frame);
    });
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const i = all.indexOf("\r\n\r\n");
      resolve({
        head: all.subarray(0, i < 0 ? all.length : i).toString(),
        body: i < 0 ? Buffer.alloc(0) : all.subarray(i + 4),
      });
    });
  });
}

/** The de-chunked body (Envoy answers HTTP/1.1 without a length with chunked encoding). */
function dechunk(head: string, body: Buffer): Buffer {
  if (!/transfer-encoding: chunked/i.test(head)) return body;
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString(), 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** gRPC-Web frames: [flag, payload]. */
function frames(b: Buffer): { flag: number; payload: Buffer }[] {
  const out: { flag: number; payload: Buffer }[] = [];
  for (let at = 0; at + 5 <= b.length;) {
    const len = b.readUInt32BE(at + 1);
    out.push({ flag: b[at], payload: b.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

describe("standalone: gRPC-Web and grpc_stats on GRPCRoute listeners, ClientTrafficPolicy grpc.enableWeb (real Envoy, @grpc/grpc-js backend)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let echo: grpc.Server | undefined;
  let http = 0;

  before(async () => {
    const e = await startGrpcEcho();
    echo = e.server;
    http = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${http} }`),
      "routes.yaml": `${backendYaml("echo", e.port)}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [${HOST}]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]
`,
    });
    await eventually(async () => /^HTTP\/1.1 \d/.test((await grpcWebCall(http, {})).head), 15_000, "the GRPCRoute");
  });

  after(async () => {
    await t?.close();
    echo?.forceShutdown();
  });

  /** Asserts a well-formed gRPC-Web answer echoing `message`; returns a one-line summary. */
  async function assertGrpcWebAnswer(message: unknown): Promise<string> {
    const r = await grpcWebCall(http, message);
    assert.match(r.head, /^HTTP\/1.1 200/, r.head);
    assert.match(r.head, /content-type: application\/grpc-web\+proto/i, r.head);
    const f = frames(dechunk(r.head, r.body));
    assert.deepEqual(deserialize(f[0].payload), { echo: message });
    assert.equal(f[1]?.flag, 0x80, "a trailer frame");
    assert.match(f[1].payload.toString(), /grpc-status:\s*0/);
    return `${r.head.split("\r\n")[0]}; frames ${f.map((x) => `0x${x.flag.toString(16)}:${x.payload.toString().trim().replace(/\r\n/g, " ")}`).join(" | ")}`;
  }

  /** Asserts a plain gRPC answer (grpc_web off): application/grpc+proto, no gRPC-Web trailer frame. */
  async function assertPlainGrpcAnswer(): Promise<void> {
    const r = await grpcWebCall(http, { hello: "web" });
    assert.match(r.head, /content-type: application\/grpc\+proto/i, r.head);
    const f = frames(dechunk(r.head, r.body));
    assert.ok(!f.some((x) => x.flag === 0x80), "no gRPC-Web trailer frame: grpc-status is lost as an HTTP/1.1 trailer");
  }

  /** Writes the ClientTrafficPolicy with `grpc` as given, and waits until calls get a gRPC-Web answer or not. */
  async function applyGrpcSettings(grpcYaml: string, web: boolean): Promise<void> {
    await t?.write(
      "policy.yaml",
      `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  grpc: ${grpcYaml}
`,
    );
    let last = "";
    await eventually(
      async () => {
        const r = await grpcWebCall(http, { hello: "web" });
        last = `${r.head}\n${dechunk(r.head, r.body).toString()}`;
        return /content-type: application\/grpc-web\+proto/i.test(r.head) === web;
      },
      20_000,
      web ? "a gRPC-Web answer" : "a plain gRPC answer",
    ).catch(() => assert.fail(`still ${web ? "no " : ""}gRPC-Web answer after grpc: ${grpcYaml}: ${last}`));
  }

  it("by default a GRPCRoute's listener answers gRPC-Web: 200, application/grpc-web+proto, the echo frame, grpc-status:0", async () => {
    console.log(`      measured: ${await assertGrpcWebAnswer({ hello: "web" })}`);
  });

  it("by default grpc_stats counts the method: cluster.<backend>.grpc.pkg.Echo.Echo.{success,total,request_message_count}", async () => {
    const admin = await t!.gw.runner!.adminUrl("default/eg");
    const before = await grpcEchoCounters(admin);
    for (let i = 0; i < 3; i++) await assertGrpcWebAnswer({ n: i });
    const after = await assertThreeMoreEchoCalls(admin, before);
    console.log(`      measured: ${JSON.stringify(Object.fromEntries(after))}`);
  });

  it("grpc.enableWeb: false turns gRPC-Web off: the backend's gRPC answer comes back as is (no trailer frame)", async () => {
    await applyGrpcSettings("{ enableWeb: false }", false);
    await assertPlainGrpcAnswer();
  });

  it("grpc without enableWeb also turns it off (Envoy Gateway reads the unset field as false)", async () => {
    await applyGrpcSettings("{ enableWeb: true }", true);
    await applyGrpcSettings("{}", false);
    await assertPlainGrpcAnswer();
  });

  it("grpc.enableWeb: true turns it back on", async () => {
    await applyGrpcSettings("{ enableWeb: true }", true);
    console.log(`      measured: ${await assertGrpcWebAnswer({ hello: "again" })}`);
  });
});
