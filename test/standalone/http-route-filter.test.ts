/**
 * HTTPRouteFilter (gateway.envoyproxy.io) on real Envoy. Envoy Gateway's task-doc YAML
 * (testdata/eg-docs/http-route-filter/) is loaded unchanged onto the quickstart objects the pages assume (Gateway
 * `eg`, Service `backend` port 3000, here an echo server) and the pages' requests get the pages' answers:
 * - direct response: `/inline` → 503 text/plain `Oops! Your request is not found.`; `/value-ref` → 500
 *   application/json with the ConfigMap's body;
 * - regex rewrite: `/service/foo/v1/api` reaches the backend as `/v1/api/instance/foo`;
 * - Host from header: `x-custom-host: foo` reaches the backend as Host `foo`, the original Host in
 *   X-Forwarded-Host; with the page's `appendXForwardedHost: false` filter there is no X-Forwarded-Host;
 * - credential injection: the backendRef example injects the Secret's credential (overwriting the client's); the
 *   route example, which names an HTTPRouteFilter `jwt-credential` that the page never creates, answers 500 and
 *   its status says ResolvedRefs=False `Unable to translate HTTPRouteFilter: default/jwt-credential`.
 * Beyond the pages: cookie matches (Envoy's RouteMatch cookie matchers, Envoy 1.37) choose between two
 * backends, and `overwrite: false` leaves a client's own header alone.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import type { DocCondition } from "../support/eg-docs";
import { docSecretYaml } from "../support/eg-docs-security";
import { testdataDir } from "../support/golden";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { gatewayYaml, httpRouteYaml, serviceYaml } from "../support/manifests";
import { TypeUrl } from "../../operator/src/xds/types";
import { startTestGateway, type TestGateway } from "../support/standalone";

const DOCS = testdataDir("eg-docs", "http-route-filter");

/** The saved example `name`, byte for byte. */
const example = (name: string): string => readFileSync(join(DOCS, `${name}.yaml`), "utf8");

/** The token the credential injection page injects (the page's echoed Authorization value). */
const TOKEN =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.NHVaYe26MbtOYhSKkoKYdFVomg4i8ZJd8_-RU8VNbftc4TSMb4bXP3l3YlNWACwyXPGffz5aXHc6lty1Y2t4SWRqGteragsVdZufDn5BlnJl9pdR_kdVFUsra2rWKEofkZeIC4yWytE58sMIihvo9H1ScmmVwBcQP6XETqYd0aSHp1gOa9RdUPDvoXQ5oqygTqVtxaDr6wUFKrKItgBMzWIdNZ6y7O9E0DhEPTbE9rfBo6KTFsHAZnMg4k68CDp2woYIaXbmYTWcvbzIuHO7_37GT79XdIwkm95QJ7hYC9RiwrV7mesbY4PAahERJawntho0my942XheVLmGwLMBkQ";

/** A direct response body over Envoy's 4 KiB default limit. */
const BIG_BODY = "x".repeat(5000);

/** The Secret of our credential filter, with `value`. */
const apiKeySecret = (value: string): string => `apiVersion: v1
kind: Secret
metadata: { name: api-key, namespace: default }
stringData: { credential: ${value} }
`;

/**
 * Our own filters and routes: the no-XFH filter in use, cookie matches, a credential that does not overwrite, a
 * Host from the path, a big direct response body.
 */
const EXTRA = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: gold-session, namespace: default }
spec:
  matches: [{ cookies: [{ name: session, value: gold }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: api-key, namespace: default }
spec:
  credentialInjection: { header: X-Api-Key, credential: { valueRef: { name: api-key } } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: host-from-path, namespace: default }
spec:
  urlRewrite:
    hostname: { type: PathRegex, pathRegex: { pattern: '^/tenant/([a-z]+)/.*$', substitution: '\\1.internal' } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: big, namespace: default }
data: { response.body: ${BIG_BODY} }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: big, namespace: default }
spec:
  directResponse: { body: { type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: big } } }
---
${httpRouteYaml(
  "extra",
  "extra.example",
  `    - matches: [{ path: { type: PathPrefix, value: /no-xfh } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: host-rewrite-no-xfh } }]
      backendRefs: [{ name: backend, port: 3000 }]
    - matches: [{ path: { type: PathPrefix, value: /shop } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: gold-session } }]
      backendRefs: [{ name: gold, port: 3000 }]
    - matches: [{ path: { type: PathPrefix, value: /shop } }]
      backendRefs: [{ name: backend, port: 3000 }]
    - matches: [{ path: { type: PathPrefix, value: /key } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: api-key } }]
      backendRefs: [{ name: backend, port: 3000 }]
    - matches: [{ path: { type: PathPrefix, value: /tenant } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: host-from-path } }]
      backendRefs: [{ name: backend, port: 3000 }]
    - matches: [{ path: { type: PathPrefix, value: /big } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: big } }]`,
)}`;

describe("HTTPRouteFilter on real Envoy: Envoy Gateway's task-doc examples, cookie matches, credentials", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;
  let gold: EchoBackend | undefined;
  let port = 0;

  before(async () => {
    backend = await startEchoBackend({ name: "backend" });
    gold = await startEchoBackend({ name: "gold" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "quickstart.yaml": [
        serviceYaml("backend", 3000, [{ port: backend.port }]),
        serviceYaml("gold", 3000, [{ port: gold.port }]),
        // The credential injection page: kubectl create secret generic jwt-credential --from-literal=credential=" Bearer $TOKEN"
        docSecretYaml("jwt-credential", { credential: ` Bearer ${TOKEN}` }),
      ].join("---\n"),
      "direct-response.yaml": example("direct-response"),
      "url-regex-rewrite.yaml": example("url-regex-rewrite"),
      "host-header-rewrite.yaml": example("host-header-rewrite"),
      "host-rewrite-no-xfh.yaml": example("host-rewrite-no-xfh"),
      "credential-injection-filter.yaml": example("credential-injection-filter"),
      "credential-route.yaml": example("credential-injection-backendref"),
      "extra.yaml": EXTRA,
      "api-key.yaml": apiKeySecret("injected-key"),
    });
    await eventually(async () => (await send("www.example.com", "/inline")).status === 503, 20_000, "the routes");
  });
  after(async () => {
    await t?.close();
    await backend?.close();
    await gold?.close();
  });

  const send = (host: string, path: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpGet(port, host, path, { headers });
  /** What the echo backend saw (fails when something else answered). */
  const echoed = (r: HttpResult): EchoResponse & { backend: string } => {
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as EchoResponse & { backend: string };
  };

  it("direct response (page: Direct Response): inline text and a ConfigMap's JSON, with their content types", async () => {
    const inline = await send("www.example.com", "/inline");
    assert.equal(inline.status, 503);
    assert.equal(inline.headers["content-type"], "text/plain");
    assert.equal(inline.body, "Oops! Your request is not found.");
    const ref = await send("www.example.com", "/value-ref");
    assert.equal(ref.status, 500);
    assert.equal(ref.headers["content-type"], "application/json");
    assert.equal(ref.body, '{"error": "Internal Server Error"}');
  });

  it("regex path rewrite (page: HTTP URL Rewrite): the backend sees /v1/api/instance/foo", async () => {
    const seen = echoed(await send("path.regex.rewrite.example", "/service/foo/v1/api"));
    assert.equal(seen.path, "/v1/api/instance/foo");
    assert.equal(seen.host, "path.regex.rewrite.example");
  });

  it("Host from a header (page: HTTP URL Rewrite), with and without X-Forwarded-Host", async () => {
    const seen = echoed(await send("host.header.rewrite.example", "/header", { "x-custom-host": "foo" }));
    assert.equal(seen.host, "foo");
    assert.equal(seen.headers["x-forwarded-host"], "host.header.rewrite.example");
    const quiet = echoed(await send("extra.example", "/no-xfh", { "x-custom-host": "bar" }));
    assert.equal(quiet.host, "bar");
    assert.equal(quiet.headers["x-forwarded-host"], undefined);
  });

  it("Host from the path (PathRegex), and a direct response body over Envoy's 4 KiB default", async () => {
    const seen = echoed(await send("extra.example", "/tenant/acme/orders"));
    assert.equal(seen.host, "acme.internal");
    assert.equal(seen.path, "/tenant/acme/orders");
    const big = await send("extra.example", "/big");
    assert.equal(big.status, 200);
    assert.equal(big.body, BIG_BODY);
  });

  it("cookie match: the rule with the HTTPRouteFilter's cookie wins only when the cookie is there", async () => {
    const cases: [string | undefined, string][] = [
      ["session=gold", "gold"],
      ["a=1; session=gold; b=2", "gold"],
      ["session=golden", "backend"],
      ["xsession=gold", "backend"],
      [undefined, "backend"],
    ];
    for (const [cookie, want] of cases) {
      const seen = echoed(await send("extra.example", "/shop", cookie ? { cookie } : {}));
      assert.equal(seen.backend, want, `cookie ${String(cookie)}`);
    }
  });

  it("credential injection (page: Credential Injection, BackendRef): the backend sees the Secret's credential", async () => {
    const seen = echoed(await send("www.example.com", "/", { authorization: "Bearer client" }));
    assert.equal(String(seen.headers.authorization).trim(), `Bearer ${TOKEN}`, "overwrite: true replaces the client's");
    const key = echoed(await send("extra.example", "/key"));
    assert.equal(key.headers["x-api-key"], "injected-key");
    const own = echoed(await send("extra.example", "/key", { "x-api-key": "mine" }));
    assert.equal(own.headers["x-api-key"], "mine", "overwrite: false keeps the client's");
  });

  it("a rotated credential Secret reaches the backend without a listener change (SDS)", async () => {
    // The listeners' versions in the xDS cache (their content: a change would reload them in Envoy).
    const listeners = async (): Promise<string> => {
      const node = (t as TestGateway).gw.cache.getNode("default/eg");
      const byName = node?.resources.get(TypeUrl.Listener) ?? new Map();
      return JSON.stringify([...byName].map(([name, r]) => [name, (r as { version: string }).version]));
    };
    const before = await listeners();
    assert.notEqual(before, "[]", "the node has listeners");
    await (t as TestGateway).write("api-key.yaml", apiKeySecret("rotated-key"));
    await eventually(
      async () => echoed(await send("extra.example", "/key")).headers["x-api-key"] === "rotated-key",
      20_000,
      "the rotated credential",
    );
    assert.equal(await listeners(), before, "no listener update");
  });

  it("the page's HTTPRoute example names a missing HTTPRouteFilter: 500, ResolvedRefs=False with the reason", async () => {
    await (t as TestGateway).write("credential-route.yaml", example("credential-injection-route"));
    await eventually(async () => (await send("www.example.com", "/")).status === 500, 20_000, "the 500");
    const status = (t as TestGateway).gw.statuses.get("HTTPRoute", "default", "backend")?.status as
      { parents?: { conditions: DocCondition[] }[] } | undefined;
    const conditions = status?.parents?.[0]?.conditions ?? [];
    const resolved = conditions.find((c) => c.type === "ResolvedRefs");
    assert.equal(conditions.find((c) => c.type === "Accepted")?.status, "True");
    assert.deepEqual(resolved && { status: resolved.status, reason: resolved.reason, message: resolved.message }, {
      status: "False",
      reason: "UnsupportedValue",
      message: "Unable to translate HTTPRouteFilter: default/jwt-credential",
    });
  });
});
