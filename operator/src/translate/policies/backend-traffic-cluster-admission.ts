/**
 * BackendTrafficPolicy `admissionControl` → AdmissionControlIr, checked as Envoy Gateway v1.9's CRD checks it (the
 * file provider has no API server): samplingWindow at least 1s, minSuccessRate 1-100, rejectionAggression from 1,
 * minRequestRate from 0, maxRejectionPercent 0-100, HTTP success codes 100-599, gRPC success codes by name, and
 * only on HTTP targets (Gateway, ListenerSet, HTTPRoute, GRPCRoute). As in
 * Envoy Gateway, it is a cluster setting: Envoy's admission_control filter runs as an upstream HTTP filter of the
 * policy variant (it has no per-route config), so it measures the success rate of that variant's requests.
 */
import type { AdmissionControlIr } from "../../ir/backend-traffic-cluster-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { quote } from "../validate-values";
import { defined, durationOf, wholeOf } from "./backend-traffic-values";

/** The `admissionControl` paths implemented. */
export const ADMISSION_CONTROL_FIELDS: readonly string[] = ["admissionControl"];

const AT = "spec.admissionControl";

/** gRPC status codes by Envoy Gateway's names (grpc/doc/statuscodes.md). */
const GRPC_CODES: Readonly<Record<string, number>> = {
  Ok: 0,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
};

/** The target kinds Envoy Gateway's CRD allows a policy with `admissionControl` to have. */
const HTTP_TARGET_KINDS = ["Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute"];

/** The admission control of `spec`; undefined when unset or unusable (then reported). */
export function admissionControlOf(spec: BackendTrafficPolicySpec, invalid: string[]): AdmissionControlIr | undefined {
  const ac = spec.admissionControl;
  if (!ac) return undefined;
  const before = invalid.length;
  const targets = [
    ...(spec.targetRef ? [spec.targetRef] : []),
    ...(spec.targetRefs ?? []),
    ...(spec.targetSelectors ?? []),
  ];
  if (targets.some((r) => !HTTP_TARGET_KINDS.includes(String(r.kind)))) {
    invalid.push("spec: admissionControl can only be used with HTTPRoute, GRPCRoute, Gateway, or ListenerSet targets");
  }
  const criteria = ac.successCriteria;
  const out = defined<AdmissionControlIr>({
    samplingWindowMs: inEgWords("samplingWindow must be at least 1s", invalid, (scratch) =>
      durationOf(`${AT}.samplingWindow`, ac.samplingWindow, scratch, 1000),
    ),
    minSuccessRate: inEgWords("minSuccessRate must be between 1 and 100", invalid, (scratch) =>
      wholeOf(`${AT}.minSuccessRate`, ac.minSuccessRate, scratch, 1, 100),
    ),
    rejectionAggression: wholeOf(`${AT}.rejectionAggression`, ac.rejectionAggression, invalid, 1),
    minRequestRate: wholeOf(`${AT}.minRequestRate`, ac.minRequestRate, invalid),
    maxRejectionPercent: inEgWords("maxRejectionPercent must be between 0 and 100", invalid, (scratch) =>
      wholeOf(`${AT}.maxRejectionPercent`, ac.maxRejectionPercent, scratch, 0, 100),
    ),
    httpSuccessStatuses: httpCodes(criteria?.http?.statusCodes, invalid),
    grpcSuccessStatuses: grpcCodes(criteria?.grpc?.statusCodes, invalid),
  });
  return invalid.length > before ? undefined : out;
}

/** `check`'s value; a problem it finds is reported in Envoy Gateway's CRD message for that rule. */
function inEgWords<T>(message: string, invalid: string[], check: (scratch: string[]) => T | undefined): T | undefined {
  const scratch: string[] = [];
  const v = check(scratch);
  if (scratch.length > 0) invalid.push(`${AT}: ${message}`);
  return v;
}

/** HTTP success codes, in the given order; undefined when none (Envoy's default: every code below 500). */
function httpCodes(codes: readonly unknown[] | undefined, invalid: string[]): number[] | undefined {
  if (!codes || codes.length === 0) return undefined;
  return codes.map((c, i) => wholeOf(`${AT}.successCriteria.http.statusCodes[${i}]`, c, invalid, 100, 599) ?? 0);
}

/** gRPC success codes as numbers; undefined when none (Envoy's default: every code but a few server errors). */
function grpcCodes(codes: readonly unknown[] | undefined, invalid: string[]): number[] | undefined {
  if (!codes || codes.length === 0) return undefined;
  return codes.map((c, i) => {
    const code = typeof c === "string" ? GRPC_CODES[c] : undefined;
    if (code === undefined) {
      invalid.push(
        `${AT}.successCriteria.grpc.statusCodes[${i}]: ${quote(String(c))} must be one of ${Object.keys(GRPC_CODES).join(", ")}`,
      );
    }
    return code ?? 0;
  });
}
