/**
 * Objects in the older apiVersions the Gateway API CRDs still serve (v1beta1 HTTPRoute, v1alpha2 TCPRoute)
 * are read and served through real Envoy; an object egts does not read (an unknown kind, a version no CRD
 * serves) is reported with its file, line, apiVersion and kind, in the log and by `egts translate`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import type { Server } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { startTcpEcho, tcpExchange } from "../support/l4";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

function routesYaml(): string {
  return `apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: { name: old-http, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: http }]
  hostnames: [old.example.com]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }] }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: old-tcp, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tcp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tcp }] }]
`;
}

/** Line 1: a kind nobody defines; line 6: GRPCRoute v1alpha2, which no Gateway API v1.7 CRD serves. */
const UNREAD_YAML = `apiVersion: example.com/v1
kind: Widget
metadata: { name: w, namespace: default }
spec: {}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: GRPCRoute
metadata: { name: old-grpc, namespace: default }
spec:
  parentRefs: [{ name: eg }]
`;

describe("apiVersions: older served versions are read, the rest is reported (real Envoy)", function () {
  this.timeout(60_000);
  let web: EchoBackend;
  let tcp: Server;
  let t: TestGateway;
  let httpPort: number;
  let tcpPort: number;

  before(async () => {
    web = await startEchoBackend({ name: "web" });
    const echo = await startTcpEcho("tcp");
    tcp = echo.server;
    const tcpBackend = echo.port;
    [httpPort, tcpPort] = [await freePort(), await freePort()];
    t = await startTestGateway({
      "gateway.yaml": `${gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${httpPort} }
    - { name: tcp, protocol: TCP, port: ${tcpPort} }`)}---
${backendYaml("web", web.port)}---
${backendYaml("tcp", tcpBackend)}`,
      "routes.yaml": routesYaml(),
      "unread.yaml": UNREAD_YAML,
    });
  });

  after(async () => {
    await t?.close();
    await web?.close();
    await new Promise((r) => tcp?.close(r));
  });

  it("serves a v1beta1 HTTPRoute and a v1alpha2 TCPRoute", async () => {
    await eventually(async () => (await httpGet(httpPort, "old.example.com")).status === 200, 15_000, "v1beta1 route");
    await eventually(
      async () => (await tcpExchange(tcpPort, "hi").catch(() => "")) === "tcp:hi",
      15_000,
      "v1alpha2 TCPRoute",
    );
  });

  it("logs a warning naming the file, line, apiVersion and kind of each object it does not read", () => {
    const file = join(t.dir, "unread.yaml");
    const warnings = t.logs.filter((l) => l.includes("is not"));
    assert.ok(
      warnings.some((l) =>
        l.includes(`${file}:1:1: kind Widget of apiVersion example.com/v1 is not a kind egts reads`),
      ),
      warnings.join("\n"),
    );
    assert.ok(
      warnings.some((l) =>
        l.includes(
          `${file}:6:1: GRPCRoute apiVersion gateway.networking.k8s.io/v1alpha2 is not read (egts reads GRPCRoute as gateway.networking.k8s.io/v1)`,
        ),
      ),
      warnings.join("\n"),
    );
  });

  it("`egts translate` prints the same warnings on stderr and translates the rest (exit 0)", async () => {
    const { stdout, stderr } = await promisify(execFile)("node", ["bin/egts.js", "translate", "-f", t.dir]);
    const file = join(t.dir, "unread.yaml");
    assert.match(stderr, new RegExp(`^warning: ${file}:1:1: kind Widget of apiVersion example.com/v1 is not`, "m"));
    assert.match(
      stderr,
      new RegExp(`^warning: ${file}:6:1: GRPCRoute apiVersion gateway.networking.k8s.io/v1alpha2`, "m"),
    );
    assert.match(stdout, /kind: TCPRoute\n\s*metadata:\n\s*name: old-tcp/);
    assert.match(stdout, /apiVersion: gateway.networking.k8s.io\/v1beta1\nkind: HTTPRoute/);
  });
});
