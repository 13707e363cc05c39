/**
 * Access logs from an EnvoyProxy's telemetry.accessLog, as Envoy Gateway decides them: on by default (JSON
 * on stdout), off with `disable`, File sinks with Text/JSON formats; what we do not implement is refused with
 * the field named (the GatewayClass/Gateway then reports InvalidParameters), never ignored.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { DEFAULT_ACCESS_LOG, accessLogProblems, accessLogsFor } from "../../operator/src/translate/access-log";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";

function spec(yaml: string): EnvoyProxy["spec"] {
  return parse(yaml) as EnvoyProxy["spec"];
}

describe("access logs from EnvoyProxy telemetry.accessLog", () => {
  it("is Envoy Gateway's default (JSON on stdout) without an EnvoyProxy, telemetry or settings", () => {
    assert.deepEqual(accessLogsFor(undefined), [DEFAULT_ACCESS_LOG]);
    assert.deepEqual(accessLogsFor(spec("mergeGateways: true")), [DEFAULT_ACCESS_LOG]);
    assert.deepEqual(accessLogsFor(spec("telemetry: { accessLog: {} }")), [DEFAULT_ACCESS_LOG]);
    assert.deepEqual(DEFAULT_ACCESS_LOG, { path: "/dev/stdout", format: { type: "json" } });
  });

  it("is off with disable: true", () => {
    assert.deepEqual(accessLogsFor(spec("telemetry: { accessLog: { disable: true } }")), []);
  });

  it("follows File sinks with Text and JSON formats; a setting without sinks logs to stdout", () => {
    const s = spec(`
telemetry:
  accessLog:
    settings:
      - format: { type: Text, text: "%REQ(:PATH)% %RESPONSE_CODE%\\n" }
        sinks: [{ type: File, file: { path: /var/log/envoy/access.log } }]
      - format: { type: JSON, json: { status: "%RESPONSE_CODE%" } }
      - sinks: [{ type: File, file: { path: /dev/stderr } }]
`);
    assert.deepEqual(accessLogProblems(s), []);
    assert.deepEqual(accessLogsFor(s), [
      { path: "/var/log/envoy/access.log", format: { type: "text", line: "%REQ(:PATH)% %RESPONSE_CODE%\n" } },
      { path: "/dev/stdout", format: { type: "json", fields: { status: "%RESPONSE_CODE%" } } },
      { path: "/dev/stderr", format: { type: "json" } },
    ]);
  });

  it("keeps CEL matches and the Route/Listener type; a format with only text is Text", () => {
    const s = spec(`
telemetry:
  accessLog:
    settings:
      - format: { text: "%RESPONSE_CODE%\\n" }
        matches: ["response.code >= 400", "request.method == 'GET'"]
        type: Route
      - type: Listener
`);
    assert.deepEqual(accessLogProblems(s), []);
    assert.deepEqual(accessLogsFor(s), [
      {
        path: "/dev/stdout",
        format: { type: "text", line: "%RESPONSE_CODE%\n" },
        matches: ["response.code >= 400", "request.method == 'GET'"],
        type: "route",
      },
      { path: "/dev/stdout", format: { type: "json" }, type: "listener" },
    ]);
  });

  it("refuses what it does not implement, naming the field, and the EnvoyProxy is then invalid", () => {
    const s = spec(`
telemetry:
  accessLog:
    settings:
      - format: { type: Text }
        matches: ["response.code >=", "request.headers.exists(h, h == 'x')"]
        type: Upstream
        sinks: [{ type: Syslog }, { type: File, file: {} }]
`);
    const at = "spec.telemetry.accessLog.settings[0]";
    assert.deepEqual(accessLogProblems(s), [
      `${at}.format.text must be set when format.type is Text`,
      `${at}.matches[0]: invalid CEL expression: response.code >=`,
      `${at}.matches[1]: the all, exists, exists_one, map and filter macros (comprehensions) are not supported by Envoy 1.36's CEL runtime: request.headers.exists(h, h == 'x')`,
      `${at}.type (Upstream) is not implemented by egts: only Route and Listener are`,
      `${at}.sinks[0].type (Syslog) must be File, ALS or OpenTelemetry`,
      `${at}.sinks[1].file.path must be set for a File sink`,
    ]);
    assert.match(
      envoyProxyProblem(s, "GatewayClass") ?? "",
      /sinks\[0\]\.type \(Syslog\) must be File, ALS or OpenTelemetry/,
    );
    assert.equal(
      accessLogProblems(spec("telemetry: { accessLog: { disable: true, settings: [{ type: Upstream }] } }")).length,
      0,
    );
  });
});
