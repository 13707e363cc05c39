/**
 * Envoy Gateway's task-doc SecurityPolicy YAML (testdata/eg-docs/security-policy/) behaves on real Envoy as the
 * pages say: each example of a group egts translates is loaded unchanged (the file's bytes written to the config
 * folder), one after the other, onto the quickstart objects the pages assume: Gateway `eg` with an HTTP listener
 * and the HTTPS listener (Secret `example-cert`) the basic auth task adds, HTTPRoute `backend` for
 * www.example.com to Service `backend` port 3000 (here an echo server on 127.0.0.1), the Secrets the pages create
 * (`basic-auth` made by the real `htpasswd -cbs`/`-bs`, `apikey-secret`), and, for the header/method
 * authorization page, a Gateway `gateway-1` with a route for www.example.com. Then it sends the pages' requests
 * (their curl commands, or the requests their text describes) and expects the pages' answers:
 * - basic-auth: over HTTPS, no credentials → 401 `User authentication failed. Missing username and password.`;
 *   `-u foo:bar` (and the second user `foo1:bar1`) → 200 from the backend;
 * - apikey-auth: no `x-api-key` → 401 `Client authentication failed.`; `x-api-key: supersecret` → 200;
 * - cors: a preflight from http://www.foo.com gets allow-origin, allow-credentials, allow-methods `GET, POST` and
 *   allow-headers `x-header-1, x-header-2`; from http://www.bar.com or http://www.foo.com:8080 no CORS headers;
 * - csrf: POSTs from https://www.example.com, http://www.example.com and https://app.trusted.com pass; from
 *   https://trusted.com and https://www.malicious.com → 403; a GET from anywhere passes; the shadow example lets
 *   the malicious POST through and counts it in `csrf.request_invalid`;
 * - restrict-ip-access (with the page's ClientTrafficPolicy trusting one X-Forwarded-For hop): no
 *   X-Forwarded-For → 403 `RBAC: access denied`, `X-Forwarded-For: 10.0.1.1` → 200;
 * - http-header-method-auth: `x-user-id: example-user` allowed, others 403; GET and POST allowed, PUT and DELETE
 *   403; GET with the header allowed, POST with it or GET without it 403.
 * Where the pages print more than Envoy Gateway v1.9.1 does, the test says so (the CORS page's
 * `access-control-max-age: 86400`).
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { quickstartRouteYaml, readDocExample, type DocCondition } from "../support/eg-docs";
import { APIKEY_SECRET_YAML, basicAuthSecretYaml, SP_DOCS_DIR } from "../support/eg-docs-security";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { gatewayWithListenersYaml, serviceYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml, type TestCa } from "../support/pki";
import { startTestGateway, type TestGateway } from "../support/standalone";
import { httpsGet } from "../support/tls-client";

const HOST = "www.example.com";

/** The restrict-ip-access page's ClientTrafficPolicy ("Original Source IP"), as the page prints it. */
const CLIENT_IP_DETECTION = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: enable-client-ip-detection
spec:
  clientIPDetection:
    xForwardedFor:
      numTrustedHops: 1
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: eg
`;

/** The saved example `name`, byte for byte. */
const example = (name: string): string => readFileSync(join(SP_DOCS_DIR, `${name}.yaml`), "utf8");

const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

describe("Envoy Gateway task-doc SecurityPolicy examples on real Envoy, with the pages' requests", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;
  let ca: TestCa;
  let http = 0;
  let https = 0;
  let gateway1 = 0;

  before(async () => {
    backend = await startEchoBackend({ name: "backend" });
    [http, https, gateway1] = [await freePort(), await freePort(), await freePort()];
    ca = makeCa("example.com");
    const gateways = [
      gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${http} }
    - name: https
      protocol: HTTPS
      port: ${https}
      tls: { mode: Terminate, certificateRefs: [{ kind: Secret, group: "", name: example-cert }] }`),
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gateway-1, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${gateway1} }]
`,
      tlsSecretYaml("example-cert", ca.issue(HOST)),
    ];
    const quickstart = [
      serviceYaml("backend", 3000, [{ port: backend.port }]),
      quickstartRouteYaml("backend", HOST),
      quickstartRouteYaml("backend-1", HOST, "/", "gateway-1"),
      basicAuthSecretYaml(),
      APIKEY_SECRET_YAML,
    ];
    t = await startTestGateway({ "gateway.yaml": gateways.join("---\n"), "quickstart.yaml": quickstart.join("---\n") });
    await eventually(async () => (await send()).status === 200, 20_000, "the quickstart route");
    await eventually(async () => (await send({}, "/", "GET", gateway1)).status === 200, 20_000, "gateway-1's route");
  });
  after(async () => {
    await t?.close();
    await backend?.close();
  });

  /** One request to www.example.com over HTTP (Gateway `eg` unless `port` says otherwise). */
  const send = (headers: Record<string, string> = {}, path = "/", method = "GET", port = http): Promise<HttpResult> =>
    httpGet(port, HOST, path, { method, headers });
  /** Whether the echo backend answered. */
  const fromBackend = (body: string): boolean => body.includes('"headers"');
  /**
   * Loads the examples (each file's text unchanged, then `extra` as a document of its own) as the one policy file,
   * replacing the previous one, then waits for `ready`.
   */
  async function load(names: readonly string[], ready: () => Promise<boolean>, extra = ""): Promise<void> {
    await (t as TestGateway).write("policy.yaml", [...names.map(example), ...(extra ? [extra] : [])].join("---\n"));
    await eventually(ready, 20_000, `${names.join(", ")} in force`);
    for (const name of names)
      for (const p of readDocExample(SP_DOCS_DIR, name).filter((o) => o.kind === "SecurityPolicy")) {
        const status = (t as TestGateway).gw.statuses.get("SecurityPolicy", "default", p.metadata.name)?.status as
          { ancestors?: { conditions: DocCondition[] }[] } | undefined;
        const accepted = status?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
        assert.equal(accepted?.status, "True", `${p.metadata.name}: ${accepted?.message}`);
      }
  }

  it("basic-auth: over HTTPS, 401 without credentials; foo:bar and foo1:bar1 reach the backend", async () => {
    const get = (headers: Record<string, string> = {}): ReturnType<typeof httpsGet> =>
      httpsGet(https, HOST, ca.cert, { headers });
    await load(["basic-auth"], async () => (await get()).status === 401);
    const none = await get();
    assert.equal(none.status, 401);
    assert.equal(none.body, "User authentication failed. Missing username and password.");
    for (const [user, password] of [
      ["foo", "bar"],
      ["foo1", "bar1"],
    ]) {
      const ok = await get(basic(user, password));
      assert.equal(ok.status, 200, `${user}: ${ok.body}`);
      assert.ok(fromBackend(ok.body), ok.body);
    }
    assert.equal((await get(basic("foo", "wrong"))).status, 401);
  });

  it("apikey-auth: 401 without x-api-key, the backend with x-api-key: supersecret", async () => {
    await load(["apikey-auth"], async () => (await send()).body === "Client authentication failed.");
    const none = await send();
    assert.equal(none.status, 401);
    const ok = await send({ "x-api-key": "supersecret" });
    assert.equal(ok.status, 200, ok.body);
    assert.ok(fromBackend(ok.body));
  });

  it("cors: the preflight from http://www.foo.com gets the page's headers; bar.com and foo.com:8080 get none", async () => {
    const preflight = (origin: string): Promise<HttpResult> =>
      send({ origin, "access-control-request-method": "GET" }, "/", "OPTIONS");
    await load(
      ["cors"],
      async () => (await preflight("http://www.foo.com")).headers["access-control-allow-origin"] !== undefined,
    );
    const r = await preflight("http://www.foo.com");
    assert.equal(r.headers["access-control-allow-origin"], "http://www.foo.com");
    assert.equal(r.headers["access-control-allow-credentials"], "true");
    assert.equal(r.headers["access-control-allow-methods"], "GET, POST");
    assert.equal(r.headers["access-control-allow-headers"], "x-header-1, x-header-2");
    // The page also prints `access-control-max-age: 86400`; the example sets no maxAge, and Envoy Gateway v1.9.1
    // then sets no max_age (internal/xds/translator/cors.go), so Envoy sends none, here as there.
    assert.equal(r.headers["access-control-max-age"], undefined);
    assert.equal(fromBackend(r.body), false, "Envoy answers the preflight");
    // The expose headers the page prints come with the actual request's response.
    const actual = await send({ origin: "http://www.foo.com" });
    assert.equal(actual.headers["access-control-expose-headers"], "x-header-3, x-header-4");
    for (const origin of ["http://www.bar.com", "http://www.foo.com:8080"]) {
      const other = await preflight(origin);
      assert.equal(other.headers["access-control-allow-origin"], undefined, origin);
    }
  });

  it("csrf: the page's allowed origins pass, trusted.com and www.malicious.com get 403, GET passes", async () => {
    const post = (origin: string): Promise<HttpResult> => send({ origin }, "/", "POST");
    await load(["csrf"], async () => (await post("https://www.malicious.com")).status === 403);
    for (const origin of ["https://www.example.com", "http://www.example.com", "https://app.trusted.com"]) {
      const r = await post(origin);
      assert.equal(r.status, 200, `${origin}: ${r.body}`);
    }
    for (const origin of ["https://trusted.com", "https://www.malicious.com"]) {
      const r = await post(origin);
      assert.equal(r.status, 403, origin);
      assert.equal(r.body, "Invalid origin");
    }
    assert.equal((await send({ origin: "https://www.malicious.com" })).status, 200);
  });

  it("csrf-2 (shadow mode): the malicious POST passes and is counted as invalid", async () => {
    const invalid = async (): Promise<number> => {
      const admin = await (t as TestGateway).gw.runner?.adminUrl("default/eg");
      const text = await (await fetch(`${admin}/stats?filter=csrf`)).text();
      return [...text.matchAll(/csrf\.request_invalid: (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    };
    const post = (): Promise<HttpResult> => send({ origin: "https://www.malicious.com" }, "/", "POST");
    await load(["csrf-2"], async () => (await post()).status === 200);
    const before = await invalid();
    const r = await post();
    assert.equal(r.status, 200, r.body);
    assert.ok(fromBackend(r.body));
    assert.equal(await invalid(), before + 1, "Envoy counts the shadowed request in csrf.request_invalid");
  });

  it("restrict-ip-access: 403 without X-Forwarded-For, the backend with X-Forwarded-For: 10.0.1.1", async () => {
    await load(["restrict-ip-access"], async () => (await send()).status === 403, CLIENT_IP_DETECTION);
    const denied = await send();
    assert.equal(denied.status, 403);
    assert.equal(denied.body, "RBAC: access denied");
    const ok = await send({ "x-forwarded-for": "10.0.1.1" });
    assert.equal(ok.status, 200, ok.body);
    assert.ok(fromBackend(ok.body));
    assert.equal((await send({ "x-forwarded-for": "10.0.2.1" })).status, 403);
  });

  describe("http-header-method-auth (Gateway gateway-1)", () => {
    const on1 = (method: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
      send(headers, "/", method, gateway1);
    const USER = { "x-user-id": "example-user" };

    it("header-based: x-user-id: example-user allowed, another user or none 403", async () => {
      await load(["http-header-method-auth"], async () => (await on1("GET")).status === 403);
      assert.equal((await on1("GET", USER)).status, 200);
      assert.equal((await on1("GET", { "x-user-id": "someone-else" })).status, 403);
    });

    it("method-based: GET and POST allowed, PUT and DELETE 403", async () => {
      await load(["http-header-method-auth-2"], async () => (await on1("GET")).status === 200);
      assert.equal((await on1("POST")).status, 200);
      assert.equal((await on1("PUT")).status, 403);
      assert.equal((await on1("DELETE")).status, 403);
    });

    it("combined: GET with the header allowed; POST with it, or GET without it, 403", async () => {
      await load(["http-header-method-auth-3"], async () => (await on1("POST", USER)).status === 403);
      assert.equal((await on1("GET", USER)).status, 200);
      assert.equal((await on1("GET")).status, 403);
    });
  });
});
