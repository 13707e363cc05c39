/**
 * BackendTrafficPolicy `responseOverride` on the wire (real Envoy, standalone, an echo backend answering
 * `/status/<code>` with that status and a JSON body):
 * - 404 → the inline body, Content-Type text/plain, a header set and one added; the status stays 404;
 * - 500–599 (a range) → status 503 and a JSON body read from a ConfigMap;
 * - 401 → a redirect, which Envoy follows internally (as Envoy Gateway documents): the client gets the answer of
 *   the new location (another route of the gateway, probe.example.com/redirected); its status is that answer's
 *   (200): Envoy 1.36 does not apply the rule's statusCode (301) to it, measured here;
 * - 418 with a response header condition: the rule whose header condition holds answers, the other does not;
 * - 200 and unmatched codes (403) pass through with the backend's body.
 */
import * as assert from "node:assert/strict";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { httpGet, type HttpResult } from "../support/http";

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata: { name: error-page, namespace: default }
data:
  response.body: '{"error": "backend unavailable"}'
`;

const CASES = {
  override: `  responseOverride:
    - match:
        statusCodes: [{ value: 404 }]
      response:
        contentType: text/plain
        body: { type: Inline, inline: "not here" }
        header:
          set: [{ name: x-overridden, value: "yes" }]
          add: [{ name: x-note, value: client-error }]
    - match:
        statusCodes: [{ type: Range, range: { start: 500, end: 599 } }]
      response:
        contentType: application/json
        statusCode: 503
        body: { type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: error-page } }
    - match:
        statusCodes: [{ value: 401 }]
      redirect:
        hostname: probe.example.com
        path: { type: ReplaceFullPath, replaceFullPath: /redirected }
        statusCode: 301
    - match:
        statusCodes: [{ value: 418 }]
        responseHeaders: [{ name: content-type, value: { value: text/html } }]
      response: { body: { inline: "html teapot" } }
    - match:
        statusCodes: [{ value: 418 }]
        responseHeaders: [{ name: content-type, value: { type: Prefix, value: "application/" } }]
      response: { body: { inline: "json teapot" } }`,
};

describe("BackendTrafficPolicy responseOverride (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES, { "configmap.yaml": CONFIG_MAP });
  });
  after(async () => {
    await g?.close();
  });

  const get = (path: string): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host("override"), path);

  it("404 → the inline body, its content type and headers; the status stays", async () => {
    const r = await get("/status/404");
    assert.equal(r.status, 404);
    assert.equal(r.body, "not here");
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(r.headers["x-overridden"], "yes");
    assert.equal(r.headers["x-note"], "client-error");
  });

  it("a 500–599 range → status 503 with the ConfigMap's body", async () => {
    for (const code of [500, 502, 599]) {
      const r = await get(`/status/${code}`);
      assert.equal(r.status, 503, `for ${code}`);
      assert.deepEqual(JSON.parse(r.body), { error: "backend unavailable" });
      assert.equal(r.headers["content-type"], "application/json");
    }
  });

  it("401 → the redirect is followed inside Envoy: the client gets the new location's answer", async () => {
    const r = await get("/status/401");
    assert.equal(r.status, 200, r.body);
    const echo = JSON.parse(r.body) as { host: string; path: string };
    assert.equal(echo.host, "probe.example.com");
    assert.equal(echo.path, "/redirected");
  });

  it("a response header condition: only the rule whose header matches answers", async () => {
    const r = await get("/status/418");
    assert.equal(r.status, 418);
    assert.equal(r.body, "json teapot");
  });

  it("other statuses pass through with the backend's body", async () => {
    for (const [path, code] of [
      ["/", 200],
      ["/status/403", 403],
      ["/status/499", 499],
    ] as const) {
      const r = await get(path);
      assert.equal(r.status, code);
      assert.equal((JSON.parse(r.body) as { host: string }).host, (g as PolicyGateway).host("override"));
    }
  });
});
