/**
 * GRPCRoute through real Envoy (HTTPRouteFilter ExtensionRefs included: a direct response, cookie matches with a
 * credential injection, a path rewrite): gRPC clients and servers from @grpc/grpc-js (messages are JSON, with
 * hand-written (de)serializers, so no .proto is needed). Each server answers with its name, the method it
 * was called as and the request metadata it saw, so every test checks where a call went and what arrived.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { freePort, eventually } from "../support/http";
import { backendYaml, gatewayWithListenersYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "grpc.example";

/** What an echo server answers. */
interface Echo {
  readonly backend: string;
  readonly path: string;
  readonly metadata: Record<string, unknown>;
}

const serialize = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const deserialize = (b: Buffer): unknown => JSON.parse(b.toString() || "null") as unknown;

/** Every method the servers implement (a call to another one would be UNIMPLEMENTED by the server). */
const METHODS = [
  "/pkg.Echo/Echo",
  "/pkg.Echo/Other",
  "/pkg.Echo/Ping",
  "/any.Svc/Ping",
  "/pkg.Alpha/Go",
  "/pkg.Beta/Go",
  "/pkg.Gamma/Go",
  "/pkg.Hdr/Get",
  "/pkg.Filter/Get",
  "/pkg.Split/Get",
  "/pkg.Gone/Get",
  "/pkg.Half/Get",
  "/pkg.Deny/Get",
  "/pkg.Cookie/Get",
  "/pkg.New/Get",
];

/** A gRPC server on 127.0.0.1 implementing METHODS as unary JSON echoes. */
async function startEchoServer(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const path of METHODS) {
    const key = path.replace(/\W/g, "_");
    definition[key] = {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: serialize,
      requestDeserialize: deserialize,
      responseSerialize: serialize,
      responseDeserialize: deserialize,
    };
    handlers[key] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<Echo>) => {
      callback(null, { backend: name, path: call.getPath(), metadata: call.metadata.getMap() });
    };
  }
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

/** The outcome of one unary call: the answer or the gRPC status, and the response headers. */
interface CallResult {
  readonly code: grpc.status;
  readonly echo?: Echo;
  readonly headers: Record<string, unknown>;
}

/** Calls `path` through Envoy with `:authority` HOST; never throws. */
function call(client: grpc.Client, path: string, metadata: Record<string, string> = {}): Promise<CallResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    let headers: Record<string, unknown> = {};
    const c = client.makeUnaryRequest<unknown, Echo>(
      path,
      serialize,
      deserialize as (b: Buffer) => Echo,
      {},
      md,
      { deadline: Date.now() + 10_000 },
      (err, echo) => resolve(err ? { code: err.code, headers } : { code: grpc.status.OK, echo: echo as Echo, headers }),
    );
    c.on("metadata", (m: grpc.Metadata) => (headers = m.getMap()));
  });
}

function serviceYaml(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  ports: [{ name: grpc, port: 9000, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: default, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: grpc, port: ${port} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
}

const V1 = "{ name: v1, port: 9000 }";
const V2 = "{ name: v2, port: 9000 }";
const V3 = "{ group: gateway.envoyproxy.io, kind: Backend, name: v3 }";

/** v1 and v2 are Services without appProtocol, v3 an Envoy Gateway Backend: all reached over h2c. */
const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [${HOST}]
  rules:
    - name: exact
      matches: [{ method: { service: pkg.Echo, method: Echo } }]
      backendRefs: [${V1}]
    - name: service
      matches: [{ method: { service: pkg.Echo } }]
      backendRefs: [${V2}]
    - name: method
      matches: [{ method: { method: Ping } }]
      backendRefs: [${V3}]
    - name: regex
      matches: [{ method: { type: RegularExpression, service: "pkg\\\\.(Alpha|Beta)" } }]
      backendRefs: [${V3}]
    - name: header
      matches: [{ method: { service: pkg.Hdr, method: Get }, headers: [{ name: x-track, value: canary }] }]
      backendRefs: [${V3}]
    - name: no-header
      matches: [{ method: { service: pkg.Hdr, method: Get } }]
      backendRefs: [${V1}]
    - name: filters
      matches: [{ method: { service: pkg.Filter } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-added, value: by-gateway }], remove: [x-drop] }
        - type: ResponseHeaderModifier
          responseHeaderModifier: { add: [{ name: x-resp, value: from-gateway }] }
      backendRefs: [${V1}]
    - name: split
      matches: [{ method: { service: pkg.Split } }]
      backendRefs: [{ name: v1, port: 9000, weight: 1 }, { name: v2, port: 9000, weight: 1 }]
    - name: gone
      matches: [{ method: { service: pkg.Gone } }]
      backendRefs: [{ name: missing, port: 9000 }]
    - name: half
      matches: [{ method: { service: pkg.Half } }]
      backendRefs: [{ name: v1, port: 9000 }, { name: missing, port: 9000 }]
    - name: deny
      matches: [{ method: { service: pkg.Deny } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: deny } }]
      backendRefs: [${V1}]
    - name: cookie
      matches: [{ method: { service: pkg.Cookie } }]
      filters:
        [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: canary } }]
      backendRefs: [${V2}]
    - name: no-cookie
      matches: [{ method: { service: pkg.Cookie } }]
      backendRefs: [${V1}]
    - name: rewrite
      matches: [{ method: { service: pkg.Old } }]
      filters:
        [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: rename } }]
      backendRefs: [${V1}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: canary, namespace: default }
spec:
  matches: [{ cookies: [{ name: canary, value: "yes" }] }]
  credentialInjection: { header: X-Api-Key, credential: { valueRef: { name: api-key } } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: rename, namespace: default }
spec:
  urlRewrite:
    path: { type: ReplaceRegexMatch, replaceRegexMatch: { pattern: "^/pkg\\\\.Old/", substitution: /pkg.New/ } }
---
apiVersion: v1
kind: Secret
metadata: { name: api-key, namespace: default }
data:
  credential: ${Buffer.from("grpc-key-1").toString("base64")}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: deny, namespace: default }
spec:
  directResponse: { statusCode: 403, contentType: text/plain, body: { type: Inline, inline: denied } }
`;

describe("GRPCRoute through real Envoy", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let client: grpc.Client;
  let tlsClient: grpc.Client;
  const servers: grpc.Server[] = [];

  before(async () => {
    const [v1, v2, v3] = await Promise.all(["v1", "v2", "v3"].map(startEchoServer));
    servers.push(v1.server, v2.server, v3.server);
    const port = await freePort();
    const httpsPort = await freePort();
    const ca = makeCa("egts grpc test CA");
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${port} }
    - { name: https, protocol: HTTPS, port: ${httpsPort}, tls: { certificateRefs: [{ name: grpc-cert }] } }`),
      "secret.yaml": tlsSecretYaml("grpc-cert", ca.issue(HOST)),
      "backends.yaml": [serviceYaml("v1", v1.port), serviceYaml("v2", v2.port), backendYaml("v3", v3.port)].join(
        "---\n",
      ),
      "routes.yaml": ROUTE,
    });
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.default_authority": HOST,
    });
    tlsClient = new grpc.Client(`127.0.0.1:${httpsPort}`, grpc.credentials.createSsl(Buffer.from(ca.cert)), {
      "grpc.default_authority": HOST,
      "grpc.ssl_target_name_override": HOST,
    });
    await eventually(
      async () =>
        (await call(client, "/pkg.Echo/Echo")).echo?.backend === "v1" &&
        (await call(tlsClient, "/pkg.Echo/Echo")).echo?.backend === "v1",
      15_000,
      "the GRPCRoute to be served on both listeners",
    );
  });

  after(async () => {
    client?.close();
    tlsClient?.close();
    await t?.close();
    for (const s of servers) s.forceShutdown();
  });

  it("an exact service and method reaches its backend; the service alone matches its other methods", async () => {
    const exact = await call(client, "/pkg.Echo/Echo");
    assert.equal(exact.code, grpc.status.OK);
    assert.deepEqual([exact.echo?.backend, exact.echo?.path], ["v1", "/pkg.Echo/Echo"]);
    const other = await call(client, "/pkg.Echo/Other");
    assert.deepEqual([other.echo?.backend, other.echo?.path], ["v2", "/pkg.Echo/Other"]);
  });

  it("over an HTTPS listener (HTTP/2 by ALPN) the same route serves", async () => {
    const r = await call(tlsClient, "/pkg.Echo/Echo");
    assert.equal(r.code, grpc.status.OK);
    assert.equal(r.echo?.backend, "v1");
    assert.equal((await call(tlsClient, "/pkg.Gamma/Go")).code, grpc.status.UNIMPLEMENTED);
  });

  it("a method-only match takes that method of any service; a service regex takes the services it matches", async () => {
    assert.equal((await call(client, "/any.Svc/Ping")).echo?.backend, "v3");
    // Precedence: characters of a matching service come first, so the service rule beats the method rule.
    assert.equal((await call(client, "/pkg.Echo/Ping")).echo?.backend, "v2");
    assert.equal((await call(client, "/pkg.Alpha/Go")).echo?.backend, "v3");
    assert.equal((await call(client, "/pkg.Beta/Go")).echo?.backend, "v3");
  });

  it("a method no rule matches gets UNIMPLEMENTED from Envoy (no route: HTTP 404 as a gRPC status)", async () => {
    const r = await call(client, "/pkg.Gamma/Go"); // the servers implement it; the route does not match it
    assert.equal(r.code, grpc.status.UNIMPLEMENTED);
    assert.equal(r.echo, undefined);
  });

  it("a header match selects its backend; without the header the other rule serves", async () => {
    const canary = await call(client, "/pkg.Hdr/Get", { "x-track": "canary" });
    assert.equal(canary.echo?.backend, "v3");
    assert.equal((await call(client, "/pkg.Hdr/Get", { "x-track": "stable" })).echo?.backend, "v1");
    assert.equal((await call(client, "/pkg.Hdr/Get")).echo?.backend, "v1");
  });

  it("RequestHeaderModifier: the server sees the set header and not the removed one", async () => {
    const r = await call(client, "/pkg.Filter/Get", { "x-drop": "secret", "x-keep": "yes" });
    assert.equal(r.code, grpc.status.OK);
    assert.equal(r.echo?.metadata["x-added"], "by-gateway");
    assert.equal(r.echo?.metadata["x-keep"], "yes");
    assert.equal(r.echo?.metadata["x-drop"], undefined);
  });

  it("ResponseHeaderModifier: the client gets the added header as response metadata", async () => {
    const r = await call(client, "/pkg.Filter/Get");
    assert.equal(r.headers["x-resp"], "from-gateway");
    const plain = await call(client, "/pkg.Echo/Echo");
    assert.equal(plain.headers["x-resp"], undefined);
  });

  it("weights split the calls across both backends", async () => {
    const seen = { v1: 0, v2: 0 } as Record<string, number>;
    for (let i = 0; i < 40; i++) {
      const r = await call(client, "/pkg.Split/Get");
      assert.equal(r.code, grpc.status.OK);
      seen[r.echo!.backend]++;
    }
    assert.equal(seen.v1 + seen.v2, 40);
    assert.ok(seen.v1 >= 5 && seen.v2 >= 5, `v1 ${seen.v1}, v2 ${seen.v2}`);
  });

  it("a rule whose backend does not exist answers UNAVAILABLE", async () => {
    const r = await call(client, "/pkg.Gone/Get");
    assert.equal(r.code, grpc.status.UNAVAILABLE);
  });

  it("the share of an invalid backendRef answers UNAVAILABLE, the valid share reaches its backend", async () => {
    const codes = new Map<grpc.status, number>();
    for (let i = 0; i < 40; i++) {
      const r = await call(client, "/pkg.Half/Get");
      if (r.code === grpc.status.OK) assert.equal(r.echo?.backend, "v1");
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
    }
    assert.deepEqual([...codes.keys()].sort(), [grpc.status.OK, grpc.status.UNAVAILABLE].sort());
    assert.ok(codes.get(grpc.status.OK)! >= 5 && codes.get(grpc.status.UNAVAILABLE)! >= 5, JSON.stringify([...codes]));
  });

  it("an HTTPRouteFilter direct response (403) answers the call: PERMISSION_DENIED, the backend is not called", async () => {
    const r = await call(client, "/pkg.Deny/Get");
    assert.equal(r.code, grpc.status.PERMISSION_DENIED);
    assert.equal(r.echo, undefined);
  });

  it("HTTPRouteFilter cookie matches with a credential: the canary cookie goes to v2 with the key injected", async () => {
    const canary = await call(client, "/pkg.Cookie/Get", { cookie: "canary=yes" });
    assert.equal(canary.echo?.backend, "v2");
    assert.equal(canary.echo?.metadata["x-api-key"], "grpc-key-1");
    const plain = await call(client, "/pkg.Cookie/Get", { cookie: "canary=no" });
    assert.equal(plain.echo?.backend, "v1");
    assert.equal(plain.echo?.metadata["x-api-key"], undefined);
  });

  it("an HTTPRouteFilter path rewrite: /pkg.Old/Get reaches the backend as /pkg.New/Get", async () => {
    const r = await call(client, "/pkg.Old/Get");
    assert.equal(r.code, grpc.status.OK);
    assert.deepEqual([r.echo?.backend, r.echo?.path], ["v1", "/pkg.New/Get"]);
  });
});
