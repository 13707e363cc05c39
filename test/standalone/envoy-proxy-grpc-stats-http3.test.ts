/**
 * EnvoyProxy `telemetry.metrics.enableGRPCStats` on an HTTP/3 listener, on the wire (real Envoy, standalone, a real
 * QUIC client: aioquic, scripts/install-aioquic.sh). The QUIC listener that ClientTrafficPolicy `http3` opens gets
 * its HTTP connection manager from the same builder as the TCP one, grpc_stats included: a gRPC call made over
 * HTTP/3 (to an h2c Backend, a real @grpc/grpc-js server) is answered and counted per method
 * (`cluster.<backend>.grpc.pkg.Echo.Echo.*`), as one over TCP is (envoy-proxy-grpc-stats.test.ts).
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { ECHO_PATH, grpcEchoCounters, assertThreeMoreEchoCalls, serialize, startGrpcEcho } from "../support/grpc-echo";
import { aioquicDir, h3Request, type H3Result } from "../support/h3-client";
import { eventually, freePort } from "../support/http";
import { GATEWAY_CLASS_YAML } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "grpc-h3.example.com";

/** Gateway `default/gs`: one HTTPS listener, EnvoyProxy with grpc stats, HTTP/3 on, an HTTPRoute to h2c `echo`. */
function gatewayYaml(port: number, echoPort: number): string {
  return `${GATEWAY_CLASS_YAML}---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: gs, namespace: default }
spec: { telemetry: { metrics: { enableGRPCStats: true } } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gs, namespace: default }
spec:
  gatewayClassName: eg
  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: gs } }
  listeners:
    - { name: https, protocol: HTTPS, port: ${port}, hostname: ${HOST}, tls: { certificateRefs: [{ name: server-cert }] } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: h3, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gs }]
  http3: {}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: echo, namespace: default }
spec:
  appProtocols: [gateway.envoyproxy.io/h2c]
  endpoints: [{ ip: { address: 127.0.0.1, port: ${echoPort} } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: grpc, namespace: default }
spec:
  parentRefs: [{ name: gs }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }] }]
`;
}

/** A gRPC message frame: uncompressed, 4-byte big-endian length, the message. */
function grpcFrame(message: unknown): Buffer {
  const body = serialize(message);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

describe("standalone: enableGRPCStats on an HTTP/3 listener (real Envoy, aioquic gRPC client, @grpc/grpc-js backend)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let echo: grpc.Server | undefined;
  let port = 0;
  let ca: TestCa;
  let admin = "";

  /** One unary Echo call over HTTP/3. */
  const callOverH3 = (message: unknown): Promise<H3Result> =>
    h3Request(port, HOST, ca.cert, {
      method: "POST",
      path: ECHO_PATH,
      headers: { "content-type": "application/grpc", te: "trailers" },
      body: grpcFrame(message),
    });

  before(async () => {
    aioquicDir(); // fails here, naming the install script, when aioquic is missing
    ca = makeCa("egts grpc-h3 CA");
    const e = await startGrpcEcho();
    echo = e.server;
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port, e.port),
      "pki.yaml": tlsSecretYaml("server-cert", ca.issue(HOST)),
    });
    let last: unknown;
    await eventually(
      async () =>
        callOverH3({ warm: true }).then(
          (r) => ((last = r), r.headers["grpc-status"] === "0"),
          (err: unknown) => ((last = err), false),
        ),
      30_000,
      "a gRPC answer over HTTP/3",
    ).catch(() => assert.fail(`no gRPC answer over HTTP/3: ${JSON.stringify(last) ?? String(last)}`));
    admin = (await t.gw.runner?.adminUrl("default/gs")) ?? assert.fail("no admin address for default/gs");
  });

  after(async () => {
    await t?.close();
    echo?.forceShutdown();
  });

  it("counts gRPC calls made over HTTP/3 in Envoy's grpc stats, per method", async () => {
    const before = await grpcEchoCounters(admin);
    for (let i = 0; i < 3; i++) {
      const r = await callOverH3({ n: i });
      assert.equal(r.alpn, "h3");
      assert.equal(r.status, 200);
      assert.equal(r.headers["grpc-status"], "0", JSON.stringify(r.headers));
      const frame = Buffer.from(r.bodyHex, "hex");
      assert.deepEqual(JSON.parse(frame.subarray(5).toString()), { echo: { n: i } });
    }
    const after = await assertThreeMoreEchoCalls(admin, before);
    console.log(`      measured: counters ${JSON.stringify(Object.fromEntries(after))}`);
  });
});
