/**
 * The EnvoyGateway configuration loader (config/envoy-gateway-config.ts), the chart's rendered
 * configuration, and `egts translate --config-path`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  EnvoyGatewayConfigError,
  loadEnvoyGatewayConfig,
  parseEnvoyGatewayConfig,
} from "../../operator/src/config/envoy-gateway-config";
import { EXAMPLES_CONFIG } from "../support/standalone";
import { repoRoot, testdataDir } from "../support/golden";

const HEAD = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n";

function errorOf(text: string): string {
  try {
    parseEnvoyGatewayConfig("eg.yaml", text);
  } catch (err) {
    assert.ok(err instanceof EnvoyGatewayConfigError, String(err));
    return err.message;
  }
  assert.fail("expected an EnvoyGatewayConfigError");
}

describe("EnvoyGateway configuration (--config-path)", () => {
  it("keeps Envoy Gateway's default: Backend off when extensionApis is absent", () => {
    assert.deepEqual(parseEnvoyGatewayConfig("eg.yaml", HEAD).backends, { enabled: false });
  });

  it("reads enableBackend, the egts extension backend.allow / allowedCIDRs, and gateway.controllerName", () => {
    const c = parseEnvoyGatewayConfig(
      "eg.yaml",
      `${HEAD}gateway: { controllerName: example.com/gw }\nextensionApis:\n  enableBackend: true\n  backend:\n    allow: [Loopback, ProxyPorts]\n    allowedCIDRs: [169.254.10.0/24]\n    dnsResolvers: ["127.0.0.1:5353", "[::1]:53"]\n`,
    );
    assert.deepEqual(c.backends, {
      enabled: true,
      allow: ["Loopback", "ProxyPorts"],
      allowedCIDRs: ["169.254.10.0/24"],
      dnsResolvers: ["127.0.0.1:5353", "[::1]:53"],
    });
    assert.equal(c.controllerName, "example.com/gw");
    assert.deepEqual(c.notes, []);
  });

  it("refuses unknown fields, wrong types, bad classes and CIDRs, naming file, line and column", () => {
    assert.equal(
      errorOf(`${HEAD}extensionApis:\n  enableBakend: true\n`),
      "eg.yaml:4:3: unknown field extensionApis.enableBakend (extensionApis fields: enableBackend, backend, enableEnvoyPatchPolicy, enableLua, disableLua, enableSDSSecretRef)",
    );
    assert.match(
      errorOf(`${HEAD}extensionApis: { enableBackend: "yes" }\n`),
      /^eg\.yaml:3:33: extensionApis\.enableBackend must be true or false \(got "yes"\)$/,
    );
    assert.match(
      errorOf(`${HEAD}extensionApis:\n  backend: { allow: [loopback], allowedCIDRs: [10.0.0.0] }\n`),
      /eg\.yaml:4:22: extensionApis\.backend\.allow\[0\]: loopback is not one of Loopback, LinkLocal, Unspecified, ProxyPorts, UnixSocket\neg\.yaml:4:48: extensionApis\.backend\.allowedCIDRs\[0\]: 10\.0\.0\.0 is not a CIDR/,
    );
    assert.match(
      errorOf(`${HEAD}extensionApis:\n  backend: { dnsResolvers: [dns.example.com:53] }\n`),
      /extensionApis\.backend\.dnsResolvers\[0\]: dns\.example\.com:53 is not an ip:port address/,
    );
    assert.match(errorOf(`${HEAD}metadata: { name: eg }\n`), /^eg\.yaml:3:1: unknown field metadata/);
    assert.match(
      errorOf("apiVersion: v1\nkind: ConfigMap\n"),
      /eg\.yaml:1:13: apiVersion must be gateway\.envoyproxy\.io\/v1alpha1 \(got v1\)\neg\.yaml:2:7: kind must be EnvoyGateway/,
    );
    assert.match(errorOf(`${HEAD}extensionApis: [\n`), /^eg\.yaml:\d+:\d+: /);
    assert.match(errorOf(`${HEAD}---\n${HEAD}`), /expected one EnvoyGateway document .* found 2/);
    assert.match(errorOf(""), /found 0/);
    assert.match(
      errorOf(`${HEAD}logging: &a { }\nextensionApis: *a\n`),
      /^eg\.yaml:4:16: extensionApis: YAML aliases are not accepted/,
    );
  });

  it("names the file it cannot read", () => {
    assert.throws(
      () => loadEnvoyGatewayConfig("/nonexistent/eg.yaml"),
      /cannot read the EnvoyGateway configuration \/nonexistent\/eg\.yaml/,
    );
  });

  it("loads the examples' configuration: Backend on, loopback allowed, nothing else", () => {
    assert.deepEqual(loadEnvoyGatewayConfig(EXAMPLES_CONFIG).backends, {
      enabled: true,
      allow: ["Loopback"],
      allowedCIDRs: [],
    });
  });

  it("loads what the Helm chart renders into the ConfigMap envoy-gateway-config (Backend off)", () => {
    const docs = parseAllDocuments(readFileSync(testdataDir("helm", "default.out.yaml"), "utf8"));
    const cm = (Array.isArray(docs) ? docs : [])
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null)
      .find((o) => o?.kind === "ConfigMap" && o.metadata?.name === "envoy-gateway-config");
    const text = cm?.data?.["envoy-gateway.yaml"];
    assert.ok(text, "the chart renders envoy-gateway-config with envoy-gateway.yaml");
    const config = parseEnvoyGatewayConfig("envoy-gateway.yaml", text);
    assert.deepEqual(config.backends, { enabled: false });
    assert.deepEqual(config.notes, []);
    assert.equal(config.controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
    assert.equal(config.provider?.type, "Kubernetes");
    assert.deepEqual(config.logging, { default: "info" });
  });

  it("egts translate --config-path: disabled by default, enabled by the file, a bad file fails naming it", () => {
    const egts = (args: string[]): { status: number | null; out: string; err: string } => {
      const r = spawnSync("node", ["bin/egts.js", "translate", ...args], { cwd: repoRoot(), encoding: "utf8" });
      return { status: r.status, out: r.stdout, err: r.stderr };
    };
    const input = testdataDir("translate", "backend-allowed.in.yaml");
    const off = egts(["-f", input, "--to", "ir"]);
    assert.equal(off.status, 0, off.err);
    assert.doesNotMatch(off.out, /name: backend\//);
    const on = egts([
      "-f",
      input,
      "--to",
      "ir",
      "--config-path",
      testdataDir("translate", "backend-allowed.envoy-gateway.yaml"),
    ]);
    assert.equal(on.status, 0, on.err);
    assert.match(on.out, /name: backend\/default\/loopback/);
    const bad = egts(["-f", input, "--config-path", testdataDir("translate", "backend-allowed.in.yaml")]);
    assert.equal(bad.status, 1);
    assert.match(bad.err, /backend-allowed\.in\.yaml: expected one EnvoyGateway document/);
  });
});
