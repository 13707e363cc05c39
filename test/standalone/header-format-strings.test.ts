/**
 * Header modifier values are Envoy format strings (as in Envoy Gateway), against real Envoy: `%%` arrives as a
 * literal `%`, `%%DOWNSTREAM_REMOTE_ADDRESS%%` arrives literally, `%DOWNSTREAM_REMOTE_ADDRESS%` and `%REQ(Host)%`
 * are expanded; every command operator the translator lets through (HEADER_COMMANDS) is accepted by Envoy (no
 * NACK). The values Envoy refuses (`50%`, `%FOO%`) are proved NACKed in envoy-rejects.test.ts.
 */
import assert from "node:assert/strict";
import type { EchoResponse } from "../../operator/src/demo/echo-backend";
import { HEADER_COMMANDS } from "../../operator/src/translate/validate-values";
import { eventually, httpGet } from "../support/http";
import { httpRouteYaml } from "../support/manifests";
import { startBasicGateway, type BasicGateway } from "../support/standalone";

const BACKEND = "backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]";

/** Request headers set by the `formats` route, and what the backend must receive. */
const REQUEST: readonly [string, string, string | RegExp][] = [
  ["x-literal-percent", "50%%", "50%"],
  ["x-escaped-operator", "%%DOWNSTREAM_REMOTE_ADDRESS%%", "%DOWNSTREAM_REMOTE_ADDRESS%"],
  ["x-client", "%DOWNSTREAM_REMOTE_ADDRESS%", /^127\.0\.0\.1:\d+$/],
  ["x-host", "host=%REQ(Host)%", "host=formats.example"],
];

/** Response headers set by the `formats` route, and what the client must receive. */
const RESPONSE: readonly [string, string, string | RegExp][] = [
  ["x-literal-percent", "100%%", "100%"],
  ["x-escaped-operator", "%%RESPONSE_CODE%%", "%RESPONSE_CODE%"],
  ["x-status", "%RESPONSE_CODE%", "200"],
];

function setList(headers: readonly (readonly [string, string, unknown])[]): string {
  return `[${headers.map(([name, value]) => `{ name: ${name}, value: ${JSON.stringify(value)} }`).join(", ")}]`;
}

/** Every accepted command operator in the form the translator lets through, 10 a rule (the CRD allows 16). */
function commandRules(): { rules: string; paths: string[] } {
  const values: string[] = [];
  for (const [name, args] of Object.entries(HEADER_COMMANDS)) {
    if (args !== "required") values.push(`%${name}%`);
    if (args !== "none") values.push(`%${name}(x-a)%`);
  }
  values.push("%START_TIME(%s.%3f)%", "%REQ(x-a?x-b):5%");
  const rules: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < values.length; i += 10) {
    const chunk = values.slice(i, i + 10).map((v, j) => [`x-op-${i + j}`, v, ""] as const);
    paths.push(`/ops-${i}`);
    rules.push(`    - matches: [{ path: { type: PathPrefix, value: /ops-${i} } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: ${setList(chunk)} }
      ${BACKEND}`);
  }
  return { rules: rules.join("\n"), paths };
}

describe("header values as Envoy format strings, against real Envoy", function () {
  let g: BasicGateway;

  before(async function () {
    g = await startBasicGateway({ backend: "web", route: "ok", host: "ok.example.com" });
  });

  after(async function () {
    await g?.close();
  });

  it("%% arrives as %, an escaped operator literally, an operator expanded (request and response)", async function () {
    const rule = `    - filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: ${setList(REQUEST)} }
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: ${setList(RESPONSE)} }
      ${BACKEND}`;
    await g.t.write("formats.yaml", httpRouteYaml("formats", "formats.example", rule));
    await eventually(async () => (await httpGet(g.port, "formats.example")).status === 200, 15_000, "formats route");
    const r = await httpGet(g.port, "formats.example");
    const echo = JSON.parse(r.body) as EchoResponse;
    for (const [name, , want] of REQUEST) {
      const got = String(echo.headers[name]);
      if (typeof want === "string") assert.equal(got, want, `backend got ${name}`);
      else assert.match(got, want, `backend got ${name}`);
    }
    for (const [name, , want] of RESPONSE) {
      const got = String(r.headers[name]);
      if (typeof want === "string") assert.equal(got, want, `client got ${name}`);
      else assert.match(got, want, `client got ${name}`);
    }
  });

  it("Envoy accepts every command operator the translator lets through (no NACK)", async function () {
    const nacks = g.t.gw.server.stats().nodes["default/eg"].rds.nacks;
    const { rules, paths } = commandRules();
    await g.t.write("ops.yaml", httpRouteYaml("ops", "ops.example", rules));
    for (const path of paths) {
      await eventually(async () => (await httpGet(g.port, "ops.example", path)).status === 200, 15_000, path);
    }
    assert.equal(g.t.gw.server.stats().nodes["default/eg"].rds.nacks, nacks, "no NACK");
    const accepted = (
      g.t.gw.statuses.get("HTTPRoute", "default", "ops")?.status as {
        parents?: { conditions: { type: string; status: string; message: string }[] }[];
      }
    )?.parents?.[0]?.conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "True", accepted?.message);
  });
});
