/**
 * EnvoyProxy `telemetry.requestID` and `telemetry.healthCheckLog`: values the API forbids refuse the EnvoyProxy,
 * naming the field; the four request ID actions map to Envoy's UUID extension as Envoy Gateway maps them.
 */
import assert from "node:assert/strict";
import { telemetryProblems } from "../../operator/src/translate/telemetry";
import { requestIdFor } from "../../operator/src/translate/telemetry/request-id";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";

const withTelemetry = (telemetry: Record<string, unknown>): EnvoyProxy["spec"] =>
  ({ telemetry }) as unknown as EnvoyProxy["spec"];

describe("EnvoyProxy telemetry.requestID and telemetry.healthCheckLog", () => {
  it("map PackAndSample (and unset) to Envoy's default, Pack, Sample and Disable to the UUID extension", () => {
    assert.equal(requestIdFor(undefined), undefined);
    assert.equal(requestIdFor({ tracing: "PackAndSample" }), undefined);
    assert.deepEqual(requestIdFor({ tracing: "Pack" }), { packTraceReason: true, useRequestIdForTraceSampling: false });
    assert.deepEqual(requestIdFor({ tracing: "Sample" }), {
      packTraceReason: false,
      useRequestIdForTraceSampling: true,
    });
    assert.deepEqual(requestIdFor({ tracing: "Disable" }), {
      packTraceReason: false,
      useRequestIdForTraceSampling: false,
    });
  });

  it("refuse what the CRD would not admit, naming the field", () => {
    assert.deepEqual(telemetryProblems(withTelemetry({ requestID: { tracing: "Always" } })), [
      'spec.telemetry.requestID.tracing: "Always" must be one of PackAndSample, Pack, Sample, Disable',
    ]);
    assert.deepEqual(telemetryProblems(withTelemetry({ healthCheckLog: { matches: ["Failure"] } })), [
      "spec.telemetry.healthCheckLog.matches: a failure type and a success type must both be specified together",
    ]);
    assert.deepEqual(telemetryProblems(withTelemetry({ requestID: { tracing: "Pack" }, healthCheckLog: {} })), []);
  });
});
