/**
 * EnvoyProxy `luaValidation` on real Envoy (Lua enabled): a script with a LuaJIT binary literal (`0b101`, which
 * Envoy's LuaJIT runs and egts's parser does not know) is refused under Strict (the default) and InsecureSyntax,
 * and reaches Envoy under Disabled, where it runs; a script without a handler is refused in every mode (as Envoy
 * Gateway); a value that is none of the three refuses the EnvoyProxy, naming the field.
 */
import * as assert from "node:assert/strict";
import { eventually, httpGet } from "../support/http";
import { eepYaml, startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";

const PROXY_REF = "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: eg } }\n";

/** EnvoyProxy `default/eg` (the Gateway's) with `luaValidation` set to `level`, or unset. */
function envoyProxyYaml(level?: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: eg, namespace: default }
spec: { ${level !== undefined ? `luaValidation: ${level}` : ""} }
`;
}

const CASES: Readonly<Record<string, string>> = {
  binary: `  lua:
    - type: Inline
      inline: |
        function envoy_on_response(response_handle)
          response_handle:headers():add("x-binary", tostring(0b101))
        end
`,
  nohandler: `  lua:
    - type: Inline
      inline: |
        function on_request(request_handle) end
`,
};

describe("EnvoyProxy luaValidation (real Envoy: Strict, InsecureSyntax, Disabled)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  const gw = (): PolicyGateway => g as PolicyGateway;
  const condition = (kind: string, name: string): { status: string; message: string } | undefined => {
    const s = gw().t.gw.statuses.get(kind, "default", name)?.status as
      | {
          conditions?: { type: string; status: string; message: string }[];
          ancestors?: { conditions: { type: string; status: string; message: string }[] }[];
        }
      | undefined;
    return (s?.ancestors?.[0]?.conditions ?? s?.conditions)?.find((c) => c.type === "Accepted");
  };

  before(async () => {
    g = await startPolicyGateway(
      CASES,
      { "envoyproxy.yaml": envoyProxyYaml("Disabled") },
      eepYaml,
      { extensionApis: { enableLua: true } },
      PROXY_REF,
    );
  });
  after(async () => g?.close());

  async function binaryHeader(): Promise<string | undefined> {
    const r = await httpGet(gw().port, gw().host("binary"));
    return r.status === 200 ? String(r.headers["x-binary"]) : `status ${r.status}`;
  }

  it("Disabled: the script reaches Envoy as written, and runs", async () => {
    await eventually(async () => (await binaryHeader()) === "5", 20_000, "the script's header");
    assert.equal(condition("EnvoyExtensionPolicy", "binary")?.status, "True");
  });

  it("a script without a handler is refused even when Disabled", () => {
    const c = condition("EnvoyExtensionPolicy", "nohandler");
    assert.equal(c?.status, "False");
    assert.match(c?.message ?? "", /expected one of envoy_on_request\(\) or envoy_on_response\(\) to be defined/);
  });

  for (const level of ["InsecureSyntax", undefined]) {
    it(`${level ?? "Strict (unset)"}: the script is parsed and refused; its route answers 500`, async () => {
      await gw().t.write("envoyproxy.yaml", envoyProxyYaml(level));
      await eventually(
        async () => condition("EnvoyExtensionPolicy", "binary")?.status === "False",
        20_000,
        "the refusal",
      );
      assert.match(condition("EnvoyExtensionPolicy", "binary")?.message ?? "", /validation failed for lua body/);
      await eventually(async () => (await binaryHeader()) === "status 500", 20_000, "the route to answer 500");
      await gw().t.write("envoyproxy.yaml", envoyProxyYaml("Disabled"));
      await eventually(async () => (await binaryHeader()) === "5", 20_000, "the script back with Disabled");
    });
  }

  it("a value that is none of them refuses the EnvoyProxy, naming the field", async () => {
    await gw().t.write("envoyproxy.yaml", envoyProxyYaml("Loose"));
    await eventually(async () => condition("Gateway", "eg")?.status === "False", 20_000, "the refusal");
    assert.match(
      condition("Gateway", "eg")?.message ?? "",
      /spec\.luaValidation \("Loose"\) must be one of Strict, InsecureSyntax, Disabled/,
    );
  });
});
