/**
 * ClientTrafficPolicy's proxyProtocol, clientIPDetection, headers and path on the wire (real Envoy, standalone,
 * an echo backend that answers with the headers it received). Each policy is Envoy Gateway's task-doc shape,
 * written to the config folder; each effect is checked absent before (without a policy, or with the opposite
 * setting where a listener default decides it) and present after:
 * - PROXY protocol (enableProxyProtocol, proxyProtocol.optional): a plain request is refused unless optional;
 *   v1 and v2 headers from a raw client make the backend see the client address they carry;
 * - client IP: X-Forwarded-For with numTrustedHops and trustedCIDRs, a custom header (403 without it when
 *   failClosed) → the client address Envoy uses (shown to the backend by the route's header formatter);
 * - headers: underscores allowed / dropped / rejected, x-request-id not generated (Disable), early request and
 *   late response headers (set, add, remove, removeOnMatch), the router's x-envoy-upstream-service-time on / off;
 * - path: escaped slashes kept / rejected, adjacent slashes kept / merged.
 */
import * as assert from "node:assert/strict";
import { Agent } from "node:http";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { testdataDir } from "../support/golden";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "www.example.com";
/**
 * The route shows the backend Envoy's idea of the client address (x-envoy-external-address is only written
 * with use_remote_address, which client IP detection turns off): Envoy formats the header value.
 */
const CLIENT_ADDRESS_RULE = `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: x-client-address, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" }]
`;

/** Envoy Gateway's task-doc YAML for a feature, unchanged (testdata/eg-docs/client-traffic-policy/). */
const egDoc = (name: string): string =>
  readFileSync(join(testdataDir("eg-docs", "client-traffic-policy"), `${name}.yaml`), "utf8");

/** No connection reuse: a policy that changes the listener must be seen by the next request. */
const fresh = (): Agent => new Agent({ keepAlive: false });

function policyYaml(spec: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: eg
${spec}`;
}

/** A PROXY protocol v1 header for a TCP4 client `src`:`srcPort` → 127.0.0.1:`dstPort`. */
function proxyV1(src: string, srcPort: number, dstPort: number): Buffer {
  return Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 ${srcPort} ${dstPort}\r\n`);
}

/** A PROXY protocol v2 header (PROXY command, TCP over IPv4) for `src`:`srcPort` → 127.0.0.1:`dstPort`. */
function proxyV2(src: string, srcPort: number, dstPort: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const addresses = Buffer.alloc(12);
  Buffer.from(src.split(".").map(Number)).copy(addresses, 0);
  Buffer.from([127, 0, 0, 1]).copy(addresses, 4);
  addresses.writeUInt16BE(srcPort, 8);
  addresses.writeUInt16BE(dstPort, 10);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length);
  return Buffer.concat([signature, Buffer.from([0x21, 0x11]), length, addresses]);
}

/** Sends `prefix` then a GET over a raw connection; resolves with whatever came back before the close. */
function rawGet(port: number, prefix: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(Buffer.concat([prefix, Buffer.from(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`)]));
    });
    let text = "";
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Sends `prefix` + "ping" to the TCP listener; resolves with what was echoed before the close (or 2 s). */
function tcpPing(port: number, prefix: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write(Buffer.concat([prefix, Buffer.from("ping")])));
    let text = "";
    const timer = setTimeout(() => s.destroy(), 2000);
    s.on("data", (d: Buffer) => {
      text += d.toString();
      s.destroy();
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** The echo backend's view of a raw response's request (its JSON body). */
function echoOf(raw: string): EchoResponse | undefined {
  const body = raw.split("\r\n\r\n").slice(1).join("\r\n\r\n");
  try {
    return JSON.parse(body) as EchoResponse;
  } catch {
    return undefined;
  }
}

function echo(r: HttpResult): EchoResponse {
  assert.equal(r.status, 200, `${r.status} ${r.error ?? ""} ${r.body}`);
  return JSON.parse(r.body) as EchoResponse;
}

describe("standalone: ClientTrafficPolicy PROXY protocol, client IP, headers, path (real Envoy)", function () {
  this.timeout(120_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;
  let port = 0;
  let tcpPort = 0;
  let tcpEcho: Server | undefined;
  const get = (path = "/", headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet(port, HOST, path, { headers, agent: fresh() });
  /** The Accepted condition's message of policy `name` (as `kubectl get … -o jsonpath` shows it in the task). */
  const acceptedMessage = (name: string): string | undefined => {
    const s = t?.gw.statuses.get("ClientTrafficPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    const c = s?.ancestors?.[0]?.conditions.find((x) => x.type === "Accepted" && x.status === "True");
    return c?.message;
  };
  const apply = async (spec: string): Promise<void> => {
    await t?.write("policy.yaml", policyYaml(spec));
  };

  before(async () => {
    backend = await startEchoBackend({ name: "echo" });
    tcpEcho = createServer((c) => c.on("data", (d: Buffer) => c.write(d)));
    await new Promise<void>((r) => tcpEcho?.listen(0, "127.0.0.1", r));
    const echoPort = (tcpEcho.address() as { port: number }).port;
    port = await freePort();
    tcpPort = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(
        `    - { name: http, protocol: HTTP, port: ${port} }\n    - { name: tcp, protocol: TCP, port: ${tcpPort} }`,
      ),
      "routes.yaml": `${backendYaml("echo", backend.port)}---\n${httpRouteYaml("r", HOST, CLIENT_ADDRESS_RULE)}---
${backendYaml("tcp-echo", echoPort)}---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: t, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: tcp }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: tcp-echo }] }]
`,
    });
    await eventually(async () => (await get()).status === 200, 15_000, "the HTTP route");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
    await new Promise<void>((r) => (tcpEcho ? tcpEcho.close(() => r()) : r()));
  });

  it("without a policy: a plain request is served, a PROXY header is not understood, XFF is not trusted", async () => {
    assert.equal((await get()).status, 200);
    assert.doesNotMatch(await rawGet(port, proxyV1("5.6.7.8", 1111, port)), /^HTTP\/1.1 200/);
    assert.equal(await tcpPing(tcpPort, Buffer.alloc(0)), "ping");
    const seen = echo(await get("/", { "x-forwarded-for": "1.1.1.1,2.2.2.2", "x-client-ip": "3.3.3.3" }));
    // Neither the trusted-hops answer (1.1.1.1) nor the custom header's (3.3.3.3).
    assert.ok(!["1.1.1.1", "3.3.3.3"].includes(String(seen.headers["x-client-address"])));
    // Headers at the defaults (the ones whose default no listener-defaults module changes).
    const before = await get("/");
    assert.match(String(echo(before).headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    assert.equal(before.headers["x-late"], undefined);
    assert.equal(before.headers["content-type"], "application/json");
  });

  it("enableProxyProtocol: a plain request is refused; v1 and v2 headers give the backend the client address", async () => {
    await t?.write("policy.yaml", egDoc("enable-proxy-protocol-policy"));
    await eventually(async () => (await get()).status === 0, 20_000, "plain requests refused");
    assert.equal(acceptedMessage("enable-proxy-protocol-policy"), "Policy has been accepted.");
    // The TCP listener too: the PROXY header is consumed, a plain connection gets nothing back.
    // (Its listener update may land after the HTTP listener's: wait for it rather than race it.)
    await eventually(
      async () => (await tcpPing(tcpPort, proxyV1("5.6.7.8", 1111, tcpPort))) === "ping",
      20_000,
      "the TCP listener consumes the PROXY header",
    );
    assert.equal(await tcpPing(tcpPort, Buffer.alloc(0)), "");
    for (const header of [proxyV1("5.6.7.8", 1111, port), proxyV2("6.7.8.9", 2222, port)]) {
      const raw = await rawGet(port, header);
      assert.match(raw, /^HTTP\/1.1 200/, raw);
      const client = String(echoOf(raw)?.headers["x-client-address"]);
      assert.ok(client === "5.6.7.8" || client === "6.7.8.9", `client address ${client}`);
    }
  });

  it("proxyProtocol.optional: plain requests and PROXY v2 requests are both served", async () => {
    await apply("  proxyProtocol:\n    optional: true\n");
    await eventually(async () => (await get()).status === 200, 20_000, "plain requests served again");
    const raw = await rawGet(port, proxyV2("6.7.8.9", 2222, port));
    assert.equal(echoOf(raw)?.headers["x-client-address"], "6.7.8.9", raw);
  });

  it("clientIPDetection.xForwardedFor.numTrustedHops: 2 → the client is the second address from the right", async () => {
    await t?.write("policy.yaml", egDoc("http-client-ip-detection"));
    const xff = { "x-forwarded-for": "1.1.1.1,2.2.2.2" };
    await eventually(
      async () => echo(await get("/", xff)).headers["x-client-address"] === "1.1.1.1",
      20_000,
      "client address 1.1.1.1",
    );
    assert.equal(acceptedMessage("http-client-ip-detection"), "Policy has been accepted.");
  });

  it("clientIPDetection.xForwardedFor.trustedCIDRs → the first untrusted address from the right", async () => {
    await apply("  clientIPDetection:\n    xForwardedFor:\n      trustedCIDRs: [127.0.0.1/32, 2.2.2.0/24]\n");
    const xff = { "x-forwarded-for": "9.9.9.9,1.1.1.1,2.2.2.2" };
    await eventually(
      async () => echo(await get("/", xff)).headers["x-client-address"] === "1.1.1.1",
      20_000,
      "client address 1.1.1.1",
    );
  });

  it("clientIPDetection.customHeader with failClosed: the header's address, 403 without it", async () => {
    await apply("  clientIPDetection:\n    customHeader:\n      name: x-client-ip\n      failClosed: true\n");
    await eventually(async () => (await get()).status === 403, 20_000, "403 without x-client-ip");
    const seen = echo(await get("/", { "x-client-ip": "3.3.3.3" }));
    assert.equal(seen.headers["x-client-address"], "3.3.3.3");
  });

  it("headers: underscores allowed, dropped, rejected; no request ID; early and late headers; x-envoy headers on, off", async () => {
    // Allow and Envoy headers on (whatever the listener defaults are).
    await apply("  headers:\n    withUnderscoresAction: Allow\n    enableEnvoyHeaders: true\n");
    await eventually(
      async () => (await get("/", { x_under: "1" })).body.includes('"x_under":"1"'),
      20_000,
      "x_under allowed",
    );
    assert.ok((await get()).headers["x-envoy-upstream-service-time"] !== undefined, "x-envoy headers on");

    await apply(`  headers:
    withUnderscoresAction: DropHeader
    requestID: Disable
    enableEnvoyHeaders: false
    earlyRequestHeaders:
      set: [{ name: x-early, value: early }]
      remove: [x-drop-me]
      removeOnMatch: [{ type: Prefix, value: x-internal- }]
    lateResponseHeaders:
      add: [{ name: x-late, value: late }]
      removeOnMatch: [{ type: Suffix, value: "-type" }]
`);
    await eventually(async () => (await get()).headers["x-late"] === "late", 20_000, "the late response header");
    const r = await get("/", { x_under: "1", "x-drop-me": "1", "x-early": "client", "x-internal-user": "root" });
    const seen = echo(r);
    assert.equal(seen.headers.x_under, undefined);
    assert.equal(seen.headers["x-request-id"], undefined);
    assert.equal(seen.headers["x-early"], "early");
    assert.equal(seen.headers["x-drop-me"], undefined);
    assert.equal(seen.headers["x-internal-user"], undefined);
    assert.equal(r.headers["content-type"], undefined, "removed by lateResponseHeaders.removeOnMatch");
    assert.equal(r.headers["x-envoy-upstream-service-time"], undefined);

    await apply("  headers:\n    withUnderscoresAction: RejectRequest\n");
    await eventually(async () => (await get("/", { x_under: "1" })).status === 400, 20_000, "400 for x_under");
  });

  it("path: escaped slashes kept or rejected, adjacent slashes kept or merged", async () => {
    await apply("  path:\n    escapedSlashesAction: KeepUnchanged\n    disableMergeSlashes: true\n");
    await eventually(async () => (await get("//a//b")).body.includes('"path":"//a//b"'), 20_000, "//a//b kept");
    assert.equal(echo(await get("/a%2Fb")).path, "/a%2Fb");

    await apply("  path:\n    escapedSlashesAction: RejectRequest\n    disableMergeSlashes: false\n");
    await eventually(async () => (await get("/a%2Fb")).status === 400, 20_000, "400 for an escaped slash");
    assert.equal(echo(await get("//a//b")).path, "/a/b");
  });
});
