/**
 * EnvoyProxy `telemetry.requestID.tracing` → the UUID request ID extension of every HTTP listener, as Envoy
 * Gateway v1.9 maps it: PackAndSample (the default, also when unset) leaves Envoy's default extension alone;
 * Pack packs the trace decision into the UUID only, Sample only samples traces by `x-request-id`, Disable does
 * neither.
 */
import type { RequestIdIr } from "../../ir/xds-ir";
import { quote } from "../validate-values";

const ACTIONS: Readonly<Record<string, RequestIdIr | undefined>> = {
  PackAndSample: undefined,
  Pack: { packTraceReason: true, useRequestIdForTraceSampling: false },
  Sample: { packTraceReason: false, useRequestIdForTraceSampling: true },
  Disable: { packTraceReason: false, useRequestIdForTraceSampling: false },
};

/** The EnvoyProxy `telemetry.requestID` field. */
export interface ProxyRequestId {
  readonly tracing?: string;
}

/** What in `telemetry.requestID` the API forbids (empty when none). */
export function requestIdProblems(r: ProxyRequestId | undefined): string[] {
  const action = r?.tracing;
  if (action === undefined || Object.hasOwn(ACTIONS, action)) return [];
  return [
    `spec.telemetry.requestID.tracing: ${quote(String(action))} must be one of ${Object.keys(ACTIONS).join(", ")}`,
  ];
}

/** The listeners' request ID extension; undefined for Envoy's default (PackAndSample, or unset). */
export function requestIdFor(r: ProxyRequestId | undefined): RequestIdIr | undefined {
  const action = r?.tracing;
  return action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
}
