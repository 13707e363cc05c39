/**
 * BackendTrafficPolicy `faultInjection` → FaultIr, checked as Envoy Gateway's CRD and Envoy check it: a delay or an
 * abort; an abort has exactly one of httpStatus (200–599: Envoy refuses 600, which the CRD lets through) and
 * grpcStatus (0–16); percentages 0–100, 100 when unset (the CRD's default: Envoy's own is 0); a delay longer than
 * zero.
 */
import type { FaultIr } from "../../ir/fault-ir";
import type { FaultInjection } from "../../resources/backend-traffic-policy";
import { parseDuration } from "../duration";
import { quote } from "../validate-values";

const FIELD = "spec.faultInjection";

/** The fault injection of `spec.faultInjection`; problems go to `invalid`. */
export function translateFault(fault: FaultInjection, invalid: string[]): FaultIr | undefined {
  const before = invalid.length;
  if (!fault.delay && !fault.abort) invalid.push(`${FIELD}: set at least one of delay and abort`);
  const out: FaultIr = {
    ...(fault.delay ? { delay: delay(fault.delay, invalid) } : {}),
    ...(fault.abort ? { abort: abort(fault.abort, invalid) } : {}),
  };
  return invalid.length > before ? undefined : out;
}

function delay(d: NonNullable<FaultInjection["delay"]>, invalid: string[]): NonNullable<FaultIr["delay"]> {
  const ms = parseDuration(String(d.fixedDelay));
  if (ms === undefined || ms <= 0) {
    invalid.push(`${FIELD}.delay.fixedDelay: ${quote(String(d.fixedDelay))} must be a duration of 1ms or more`);
  }
  return { fixedDelayMs: ms ?? 0, ...percent(d.percentage, "delay", invalid) };
}

function abort(a: NonNullable<FaultInjection["abort"]>, invalid: string[]): NonNullable<FaultIr["abort"]> {
  const http = a.httpStatus;
  const grpc = a.grpcStatus;
  if ((http === undefined) === (grpc === undefined)) {
    invalid.push(`${FIELD}.abort: set exactly one of httpStatus and grpcStatus`);
  } else if (http !== undefined && !(Number.isInteger(http) && http >= 200 && http <= 599)) {
    invalid.push(`${FIELD}.abort.httpStatus: ${String(http)} must be a status from 200 to 599`);
  } else if (grpc !== undefined && !(Number.isInteger(grpc) && grpc >= 0 && grpc <= 16)) {
    invalid.push(`${FIELD}.abort.grpcStatus: ${String(grpc)} must be a gRPC status from 0 to 16`);
  }
  return {
    ...(http !== undefined ? { httpStatus: http } : { grpcStatus: grpc }),
    ...percent(a.percentage, "abort", invalid),
  };
}

/** The percentage, 100 when unset (the CRD's default, which the API server fills in; standalone has none). */
function percent(p: number | undefined, where: string, invalid: string[]): { percentage: number } {
  if (p === undefined) return { percentage: 100 };
  if (typeof p !== "number" || !(p >= 0 && p <= 100)) {
    invalid.push(`${FIELD}.${where}.percentage: ${String(p)} must be a number from 0 to 100`);
  }
  return { percentage: p };
}
