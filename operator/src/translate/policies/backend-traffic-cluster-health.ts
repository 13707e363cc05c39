/**
 * BackendTrafficPolicy `healthCheck` → HealthCheckIr: active probes (HTTP, TCP, gRPC), passive checks (Envoy's
 * outlier detection) and the panic threshold, with Envoy Gateway v1.9's defaults filled in (Envoy requires the
 * probe timings), and the active checks' event log (`active.healthCheckLog`, health-check-log.ts). Checks follow
 * Envoy Gateway's schema rules (the file provider has no API server) and
 * what Envoy refuses (a CONNECT probe, an empty payload, status codes outside 100-599).
 */
import type {
  ActiveHealthCheckIr,
  HealthCheckIr,
  HealthPayloadIr,
  OutlierDetectionIr,
} from "../../ir/backend-traffic-cluster-ir";
import type {
  ActiveHealthCheck,
  ActiveHealthCheckPayload,
  HealthCheck,
  HTTPActiveHealthChecker,
  PassiveHealthCheck,
} from "../../resources/backend-cluster";
import { hostnameProblem, quote, textProblem } from "../validate-values";
import { defined, durationOf, wholeOf } from "./backend-traffic-values";
import { healthCheckLogOf } from "./health-check-log";

/** The `healthCheck` paths implemented. */
export const HEALTH_CHECK_FIELDS: readonly string[] = [
  "healthCheck.panicThreshold",
  "healthCheck.passive",
  ...[
    "type",
    "timeout",
    "interval",
    "initialJitter",
    "unhealthyThreshold",
    "healthyThreshold",
    "http",
    "tcp",
    "grpc",
    "overrides.port",
    "healthCheckLog",
  ].map((f) => `healthCheck.active.${f}`),
];

const AT = "spec.healthCheck";
/** Methods Envoy's HTTP health checker sends (it refuses CONNECT). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"];

/** The health checking of `hc`; undefined when not set or unusable (then reported). */
export function healthCheckOf(hc: HealthCheck | undefined, invalid: string[]): HealthCheckIr | undefined {
  if (!hc) return undefined;
  const before = invalid.length;
  const out = defined<HealthCheckIr>({
    panicThreshold: wholeOf(`${AT}.panicThreshold`, hc.panicThreshold, invalid, 0, 100),
    active: hc.active ? activeOf(hc.active, invalid) : undefined,
    passive: hc.passive ? passiveOf(hc.passive, invalid) : undefined,
  });
  return invalid.length > before ? undefined : out;
}

function activeOf(a: ActiveHealthCheck, invalid: string[]): ActiveHealthCheckIr | undefined {
  const at = `${AT}.active`;
  const kinds = { HTTP: "http", TCP: "tcp", GRPC: "grpc" } as const;
  if (!(a.type in kinds)) {
    invalid.push(`${at}.type: ${quote(String(a.type))} must be one of HTTP, TCP, GRPC`);
    return undefined;
  }
  // Envoy Gateway's schema: the type's own field is set (optional for GRPC), the others are not.
  for (const [type, field] of Object.entries(kinds)) {
    const wrong = type === a.type ? field !== "grpc" && a[field] === undefined : a[field] !== undefined;
    if (wrong && field === "grpc")
      invalid.push(`${at}: The grpc field can only be set if the Health Checker type is GRPC.`);
    else if (wrong) invalid.push(`${at}: If Health Checker type is ${type}, ${field} field needs to be set.`);
  }
  return defined<ActiveHealthCheckIr>({
    ...timingOf(a, invalid),
    ...probeOf(a, invalid),
    log: healthCheckLogOf(`${at}.healthCheckLog`, a.healthCheckLog, invalid),
  });
}

/** Probe timings, with Envoy Gateway's defaults (Envoy requires them all). */
function timingOf(a: ActiveHealthCheck, invalid: string[]): Omit<ActiveHealthCheckIr, "http" | "tcp" | "grpc"> {
  const at = `${AT}.active`;
  return {
    timeoutMs: durationOf(`${at}.timeout`, a.timeout ?? "1s", invalid) ?? 1000,
    intervalMs: durationOf(`${at}.interval`, a.interval ?? "3s", invalid) ?? 3000,
    initialJitterMs: durationOf(`${at}.initialJitter`, a.initialJitter, invalid, 0),
    unhealthyThreshold: wholeOf(`${at}.unhealthyThreshold`, a.unhealthyThreshold ?? 3, invalid, 1) ?? 3,
    healthyThreshold: wholeOf(`${at}.healthyThreshold`, a.healthyThreshold ?? 1, invalid, 1) ?? 1,
    port: wholeOf(`${at}.overrides.port`, a.overrides?.port, invalid, 1, 65535),
  };
}

/** The HTTP, TCP or gRPC probe. */
function probeOf(a: ActiveHealthCheck, invalid: string[]): Pick<ActiveHealthCheckIr, "http" | "tcp" | "grpc"> {
  const at = `${AT}.active`;
  if (a.type === "HTTP") return a.http ? { http: httpOf(a.http, invalid) } : {};
  if (a.type === "TCP") {
    const send = payloadOf(`${at}.tcp.send`, a.tcp?.send, invalid);
    return { tcp: defined({ send, receive: payloadOf(`${at}.tcp.receive`, a.tcp?.receive, invalid) }) };
  }
  return { grpc: defined({ service: a.grpc?.service }) };
}

function httpOf(h: HTTPActiveHealthChecker, invalid: string[]): NonNullable<ActiveHealthCheckIr["http"]> {
  const at = `${AT}.active.http`;
  const pathProblem =
    typeof h.path !== "string" || h.path === ""
      ? "must be set"
      : h.path.length > 1024
        ? "is longer than 1024 characters"
        : textProblem(h.path);
  if (pathProblem) invalid.push(`${at}.path: ${quote(String(h.path))} ${pathProblem}`);
  const hostProblem = h.hostname === undefined ? undefined : hostnameProblem(h.hostname);
  if (hostProblem) invalid.push(`${at}.hostname: ${quote(String(h.hostname))} ${hostProblem}`);
  const method = h.method === undefined ? undefined : String(h.method).toUpperCase();
  if (method !== undefined && !METHODS.includes(method)) {
    invalid.push(`${at}.method: ${quote(String(h.method))} must be one of ${METHODS.join(", ")}`);
  }
  if (h.requestBody !== undefined && method !== "POST" && method !== "PUT") {
    invalid.push(`${at}.requestBody: The requestBody field can only be set when method is POST or PUT.`);
  }
  const retriable = statusesOf(`${at}.retriableStatuses`, h.retriableStatuses, invalid);
  return defined({
    host: h.hostname,
    path: h.path,
    method,
    expectedStatuses: statusesOf(`${at}.expectedStatuses`, h.expectedStatuses, invalid) ?? [200],
    retriableStatuses: retriable,
    expectedResponse: payloadOf(`${at}.expectedResponse`, h.expectedResponse, invalid),
    requestBody: payloadOf(`${at}.requestBody`, h.requestBody, invalid),
  });
}

/** Status codes 100-599, sorted and unique; undefined when none are given. */
function statusesOf(at: string, codes: readonly number[] | undefined, invalid: string[]): number[] | undefined {
  if (!codes || codes.length === 0) return undefined;
  const ok = codes.filter((c, i) => wholeOf(`${at}[${i}]`, c, invalid, 100, 599) !== undefined);
  return [...new Set(ok)].sort((a, b) => a - b);
}

/** A Text or Binary payload (Envoy Gateway's schema rules); Envoy refuses an empty one. */
function payloadOf(
  at: string,
  p: ActiveHealthCheckPayload | undefined,
  invalid: string[],
): HealthPayloadIr | undefined {
  if (p === undefined) return undefined;
  const before = invalid.length;
  for (const [type, field] of [
    ["Text", "text"],
    ["Binary", "binary"],
  ] as const) {
    if ((p.type === type) !== (p[field] !== undefined)) {
      invalid.push(`${at}: If payload type is ${type}, ${field} field needs to be set.`);
    }
  }
  if (p.type !== "Text" && p.type !== "Binary")
    invalid.push(`${at}.type: ${quote(String(p.type))} must be Text or Binary`);
  if (invalid.length > before) return undefined;
  if (p.type === "Text") {
    if (typeof p.text === "string" && p.text !== "") return { text: p.text };
    invalid.push(`${at}.text: must not be empty`);
    return undefined;
  }
  const b64 = String(p.binary);
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length > 0 && bytes.toString("base64").replace(/=+$/, "") === b64.replace(/=+$/, ""))
    return { binaryBase64: b64 };
  invalid.push(`${at}.binary: ${quote(b64)} must be non-empty base64`);
  return undefined;
}

function passiveOf(p: PassiveHealthCheck, invalid: string[]): OutlierDetectionIr {
  const at = `${AT}.passive`;
  return defined<OutlierDetectionIr>({
    intervalMs: durationOf(`${at}.interval`, p.interval ?? "3s", invalid) ?? 3000,
    baseEjectionTimeMs: durationOf(`${at}.baseEjectionTime`, p.baseEjectionTime ?? "30s", invalid) ?? 30_000,
    consecutive5xx: wholeOf(`${at}.consecutive5XxErrors`, p.consecutive5XxErrors ?? 5, invalid) ?? 5,
    consecutiveLocalOriginFailures:
      wholeOf(`${at}.consecutiveLocalOriginFailures`, p.consecutiveLocalOriginFailures ?? 5, invalid) ?? 5,
    splitExternalLocalOriginErrors: p.splitExternalLocalOriginErrors === true,
    maxEjectionPercent: wholeOf(`${at}.maxEjectionPercent`, p.maxEjectionPercent ?? 10, invalid, 0, 100) ?? 10,
    consecutiveGatewayErrors: wholeOf(`${at}.consecutiveGatewayErrors`, p.consecutiveGatewayErrors, invalid),
    failurePercentageThreshold: wholeOf(
      `${at}.failurePercentageThreshold`,
      p.failurePercentageThreshold,
      invalid,
      0,
      100,
    ),
    alwaysEjectOneEndpoint: p.alwaysEjectOneEndpoint,
  });
}
