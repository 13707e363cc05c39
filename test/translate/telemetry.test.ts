/**
 * EnvoyProxy telemetry translation (translate/telemetry/): Envoy Gateway's sampling arithmetic, tag precedence and
 * service names, and a `telemetry` of the wrong shape (the CRD keeps it as written) refusing the EnvoyProxy with a
 * message instead of throwing.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";
import { telemetryProblems } from "../../operator/src/translate/telemetry";
import { fractionPercent, tagsOf, tracingServiceName } from "../../operator/src/translate/telemetry/tracing";

function spec(yaml: string): EnvoyProxy["spec"] {
  return parse(yaml) as EnvoyProxy["spec"];
}

describe("EnvoyProxy telemetry translation", () => {
  it("turns fractions into percentages as Envoy Gateway (denominator 100 by default, clamped to 0..100)", () => {
    assert.equal(fractionPercent({ numerator: 1, denominator: 8 }), 12.5);
    assert.equal(fractionPercent({ numerator: 30 }), 30);
    assert.equal(fractionPercent({ numerator: 5, denominator: 2 }), 100);
  });

  it("lets `tags` replace the custom tag of the same key, and sorts tags by name", () => {
    const tags = tagsOf({
      customTags: {
        b: { type: "Literal", literal: { value: "x" } },
        a: { type: "RequestHeader", requestHeader: { name: "h" } },
      },
      tags: { b: "%REQ(:PATH)%" },
    });
    assert.deepEqual(tags, [
      { tag: "a", requestHeader: { name: "h", defaultValue: "" } },
      { tag: "b", format: "%REQ(:PATH)%" },
    ]);
  });

  it("names the service <gateway>.<namespace>, or the class of merged Gateways", () => {
    assert.equal(tracingServiceName("team-a/web"), "web.team-a");
    assert.equal(tracingServiceName("eg"), "eg");
  });

  it("refuses a telemetry field of the wrong shape with a message, never an exception", () => {
    for (const yaml of [
      "telemetry: { metrics: { sinks: [null] } }",
      "telemetry: { accessLog: { settings: [{ sinks: [null] }] } }",
      "telemetry: { tracing: { customTags: { a: null } } }",
    ]) {
      const problems = telemetryProblems(spec(yaml));
      assert.equal(problems.length, 1, `${yaml}: ${JSON.stringify(problems)}`);
      assert.match(problems[0], /^spec\.telemetry has a field of the wrong type/);
      assert.match(
        envoyProxyProblem(spec(yaml), "GatewayClass") ?? "",
        /spec\.telemetry has a field of the wrong type/,
      );
    }
  });
});
