/**
 * EnvoyExtensionPolicy `lua` on real Envoy (Lua enabled in the EnvoyGateway configuration): scripts add request
 * headers the backend sees and response headers the client sees, read the request body, answer requests
 * themselves, read their filter context; a script from a ConfigMap changes when the ConfigMap is rewritten, in the
 * same Envoy process. A script with a syntax error never reaches Envoy: its policy is Accepted=False with the
 * parser's position and its route answers 500, while the other routes keep working (no NACK).
 */
import * as assert from "node:assert/strict";
import { eventually, httpGet, type HttpResult } from "../support/http";
import { eepYaml, startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";

/** A `lua` list with one inline script (indented for the spec). */
function inline(script: string, extra = ""): string {
  return `  lua:
    - type: Inline
      inline: |
        ${script.trim().split("\n").join("\n        ")}
${extra}`;
}

function configMapYaml(value: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: lua-script, namespace: default }
data:
  lua: |
    function envoy_on_response(response_handle)
      response_handle:headers():add("x-from-configmap", "${value}")
    end
`;
}

const CASES: Readonly<Record<string, string>> = {
  headers: inline(`
function envoy_on_request(request_handle)
  request_handle:headers():add("x-lua-request", "added")
end
function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua-response", "added")
end`),
  body: inline(`
function envoy_on_request(request_handle)
  local body = request_handle:body()
  local size = 0
  if body ~= nil then size = body:length() end
  request_handle:headers():add("x-body-length", tostring(size))
end`),
  respond: inline(`
function envoy_on_request(request_handle)
  if request_handle:headers():get("x-let-me-in") ~= "please" then
    request_handle:respond({[":status"] = "403", ["x-lua"] = "refused"}, "lua says no")
  end
end`),
  context: inline(
    `
function envoy_on_request(request_handle)
  request_handle:headers():add("x-team", request_handle:filterContext():get("team"))
end`,
    "      filterContext: { team: blue }\n",
  ),
  configmap: `  lua:
    - type: ValueRef
      valueRef: { group: v1, kind: ConfigMap, name: lua-script }
`,
  syntax: inline(`
function envoy_on_request(request_handle)
  request_handle:headers(
end`),
};

describe("EnvoyExtensionPolicy lua (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  const gw = (): PolicyGateway => g as PolicyGateway;
  const send = (name: string, opts: Parameters<typeof httpGet>[3] = {}): Promise<HttpResult> =>
    httpGet(gw().port, gw().host(name), "/", opts);
  const upstream = (r: HttpResult): Record<string, string> =>
    (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  const accepted = (name: string): { status: string; message: string } | undefined => {
    const s = gw().t.gw.statuses.get("EnvoyExtensionPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  before(async () => {
    g = await startPolicyGateway(CASES, { "lua-configmap.yaml": configMapYaml("one") }, eepYaml, {
      extensionApis: { enableLua: true },
    });
    await eventually(async () => (await send("headers")).headers["x-lua-response"] === "added", 20_000, "lua");
  });
  after(async () => g?.close());

  it("adds a request header the backend sees and a response header the client sees", async () => {
    const r = await send("headers");
    assert.equal(r.status, 200);
    assert.equal(upstream(r)["x-lua-request"], "added");
    assert.equal(r.headers["x-lua-response"], "added");
    assert.equal(accepted("headers")?.status, "True");
  });

  it("reads the request body", async () => {
    const r = await send("body", { method: "POST", headers: { "content-length": "11" }, body: "hello world" });
    assert.equal(r.status, 200, r.body);
    assert.equal(upstream(r)["x-body-length"], "11");
  });

  it("answers a request itself with respond(), and lets others through", async () => {
    const no = await send("respond");
    assert.equal(no.status, 403);
    assert.equal(no.body, "lua says no");
    assert.equal(no.headers["x-lua"], "refused");
    assert.equal((await send("respond", { headers: { "x-let-me-in": "please" } })).status, 200);
  });

  it("reads its filterContext", async () => {
    assert.equal(upstream(await send("context"))["x-team"], "blue");
  });

  it("a script from a ConfigMap changes when the ConfigMap is rewritten, in the same Envoy process", async () => {
    assert.equal((await send("configmap")).headers["x-from-configmap"], "one");
    const pid = gw().t.gw.runner?.list()[0]?.pid;
    await gw().t.write("lua-configmap.yaml", configMapYaml("two"));
    await eventually(async () => (await send("configmap")).headers["x-from-configmap"] === "two", 20_000, "two");
    assert.equal(gw().t.gw.runner?.list()[0]?.pid, pid, "Envoy was not restarted");
  });

  it("a syntax error is Accepted=False with the parser's position; its route answers 500, the others work", async () => {
    const c = accepted("syntax");
    assert.equal(c?.status, "False");
    assert.match(
      c?.message ?? "",
      /^Lua: validation failed for lua body in policy with name envoyextensionpolicy\/default\/syntax\/lua\/0: failed to validate with envoy_on_request: \[3:0\] '\)' expected near 'end'/,
    );
    assert.equal((await send("syntax")).status, 500);
    assert.equal((await send("headers")).status, 200, "the listener was not refused");
  });
});
