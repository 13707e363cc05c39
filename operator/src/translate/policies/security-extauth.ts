/**
 * SecurityPolicy `extAuth` → the route's external authorization, as Envoy Gateway v1.9 builds it.
 *
 * - The service: `grpc` (HTTP/2 cluster, Envoy's ext_authz gRPC protocol) xor `http` (HTTP/1.1 cluster, check
 *   requests to `http://<authority><path>` with the original path appended; the answer's `headersToBackend` are
 *   copied into the request). Its cluster is `securitypolicy/<ns>/<name>/extauth/0` (security-backends.ts).
 * - `timeout` (default 10 s; `backendSettings.timeout.http.requestTimeout` when `timeout` is unset),
 *   `headersToExtAuth`, `bodyToExtAuth.maxRequestBytes`, `failOpen`, `recomputeRoute`, `statusOnError`, and
 *   `contextExtensions` (a value inline, or from a ConfigMap or Secret key in the namespace of the policy that set
 *   the item; a Secret's value is base64-decoded once more after Kubernetes' own decoding, as Envoy Gateway does).
 *
 * `backendSettings.retry` becomes the check's retry (conditions, attempts, back-off).
 *
 * Refused, failing the policy closed: `http.pathOverride` (Envoy 1.37's HttpService has no `path_override`; the
 * check request would go to the wrong path), the retry settings a remote call's RetryPolicy lacks
 * (`perRetry.timeout`, `retryOn.httpStatusCodes`, `numAttemptsPerPriority`), and values Envoy would refuse
 * (header names, sizes, durations, status codes).
 *
 * References that do not resolve (the service's backendRefs, a context extension's ConfigMap or Secret) fail the
 * policy closed too, unless `failOpen` is set: then, as Envoy Gateway documents ("the External Authorization will
 * also be bypassed if its configuration is invalid"), the policy is still Accepted=False saying why, but its routes
 * are served with its other features and without external authorization.
 */
import type { ExtAuthIr } from "../../ir/security-ir";
import type { ContextExtension, ExtAuth, HTTPExtAuthService } from "../../resources/security-policy";
import type { BackendCluster, Retry } from "../../resources/backend-cluster";
import { secretValue } from "../listener-tls";
import { describe, headerNameProblem } from "../validate-values";
import { durationOf, wholeOf } from "./backend-traffic-values";
import { securityBackendService, type SecurityService } from "./security-backends";
import { securityIrName, type SecurityContext, type SecurityOwner } from "./security-context";
import { secretKeys } from "./security-refs";

/** Envoy Gateway's default check timeout. */
export const EXT_AUTH_DEFAULT_TIMEOUT_MS = 10_000;

/** Why `http.pathOverride` is refused. */
export const PATH_OVERRIDE_UNSUPPORTED =
  "http.pathOverride: not supported by Envoy 1.37 (ext_authz HttpService has no path_override): " +
  "the check request cannot be sent to that path; use http.path (a prefix of the request's path)";

/** The `backendSettings.retry` fields a check's retry (Envoy's core RetryPolicy) cannot carry, and why. */
const RETRY_REFUSED: readonly (readonly [string, (r: Retry) => unknown])[] = [
  ["perRetry.timeout", (r) => r.perRetry?.timeout],
  ["retryOn.httpStatusCodes", (r) => r.retryOn?.httpStatusCodes],
  ["numAttemptsPerPriority", (r) => r.numAttemptsPerPriority],
];

/**
 * The `backendSettings.retry` fields `retry` sets that the retry of a remote call (Envoy's core RetryPolicy, on a
 * gRPC or HTTP service) cannot carry.
 */
export function remoteRetryRefusals(retry: Retry | undefined): string[] {
  return retry ? RETRY_REFUSED.filter(([, get]) => get(retry) !== undefined).map(([field]) => field) : [];
}

/** The status codes `statusOnError` accepts (the CRD's enum of SecurityPolicy extAuth and EnvoyExtensionPolicy extProc). */
export const STATUS_ON_ERROR = new Set([
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426,
  428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/**
 * SecurityPolicy `extAuth` → the route's ext auth; undefined when unset or not applicable. Problems that fail the
 * policy closed go to `problems`; unresolved references go to `bypassed` instead when `failOpen` is set (the
 * policy is reported invalid but its routes are served without ext auth).
 */
export function translateExtAuth(
  spec: ExtAuth | undefined,
  ctx: SecurityContext,
  problems: string[],
  bypassed: string[] = problems,
): ExtAuthIr | undefined {
  if (!spec) return undefined;
  const before = problems.length;
  const values = checkValues(spec, problems);
  if (problems.length > before) return undefined;
  const refProblems: string[] = [];
  const service = resolveService(spec, ctx, refProblems);
  const contextExtensions = resolveContextExtensions(spec.contextExtensions ?? [], ctx, refProblems);
  if (refProblems.length > 0 || !service) {
    (spec.failOpen === true ? bypassed : problems).push(...refProblems);
    return undefined;
  }
  ctx.clusters.push(service.service.cluster);
  return {
    name: securityIrName(ctx.ownerOf("extAuth")),
    service: service.ir,
    timeoutMs: values.timeoutMs ?? service.service.timeoutMs ?? EXT_AUTH_DEFAULT_TIMEOUT_MS,
    failOpen: spec.failOpen === true,
    recomputeRoute: spec.recomputeRoute === true,
    ...(spec.includeRouteMetadata === true ? { includeRouteMetadata: true } : {}),
    allowedHeaders: spec.headersToExtAuth ?? [],
    ...(values.bodyMaxBytes !== undefined ? { bodyMaxBytes: values.bodyMaxBytes } : {}),
    ...(spec.statusOnError !== undefined ? { statusOnError: spec.statusOnError } : {}),
    contextExtensions,
    ...(service.service.retry ? { retry: service.service.retry } : {}),
  };
}

/** The checked plain values (no references); the reasons they cannot be used go to `problems`. */
function checkValues(spec: ExtAuth, problems: string[]): { timeoutMs?: number; bodyMaxBytes?: number } {
  serviceShapeProblems(spec, problems);
  headerNamesProblems(spec, problems);
  if (spec.statusOnError !== undefined && !STATUS_ON_ERROR.has(spec.statusOnError))
    problems.push(`statusOnError: ${JSON.stringify(spec.statusOnError)} must be a 4xx or 5xx status of the CRD's enum`);
  const timeoutMs = durationOf("timeout", spec.timeout, problems);
  const bodyMaxBytes = wholeOf("bodyToExtAuth.maxRequestBytes", spec.bodyToExtAuth?.maxRequestBytes, problems, 1);
  if (spec.bodyToExtAuth !== undefined && spec.bodyToExtAuth.maxRequestBytes === undefined)
    problems.push("bodyToExtAuth.maxRequestBytes must be set");
  contextExtensionShapeProblems(spec.contextExtensions ?? [], problems);
  return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(bodyMaxBytes !== undefined ? { bodyMaxBytes } : {}) };
}

/** grpc xor http, the HTTP path fields, and the settings egts does not translate. */
function serviceShapeProblems(spec: ExtAuth, problems: string[]): void {
  if (!spec.grpc && !spec.http) problems.push("one of grpc or http must be specified");
  if (spec.grpc && spec.http) problems.push("only one of grpc or http can be specified");
  if (spec.http) httpPathProblems(spec.http, problems);
  const service: BackendCluster | undefined = spec.grpc ?? spec.http;
  for (const field of remoteRetryRefusals(service?.backendSettings?.retry))
    problems.push(
      `backendSettings.retry.${field}: not supported for an ext auth service (the check's retry is Envoy's ` +
        "RetryPolicy of a remote call, which has no such setting)",
    );
}

/** `path` and `pathOverride` of an HTTP service. */
function httpPathProblems(http: HTTPExtAuthService, problems: string[]): void {
  if (http.path !== undefined && http.pathOverride !== undefined)
    problems.push("only one of path or pathOverride can be specified");
  if (http.pathOverride !== undefined) problems.push(PATH_OVERRIDE_UNSUPPORTED);
  if (http.path !== undefined && !http.path.startsWith("/"))
    problems.push(`http.path: ${JSON.stringify(http.path)} must start with "/"`);
}

/** Header names Envoy would refuse (with the whole listener). */
function headerNamesProblems(spec: ExtAuth, problems: string[]): void {
  for (const [field, names] of [
    ["headersToExtAuth", spec.headersToExtAuth],
    ["http.headersToBackend", spec.http?.headersToBackend],
  ] as const) {
    for (const [i, name] of (names ?? []).entries()) {
      const bad = describe(`${field}[${i}]`, name, headerNameProblem(name));
      if (bad) problems.push(bad);
    }
  }
}

/** The service's cluster and its IR, or undefined with the reasons in `problems`. */
function resolveService(
  spec: ExtAuth,
  ctx: SecurityContext,
  problems: string[],
): { service: SecurityService; ir: ExtAuthIr["service"] } | undefined {
  const grpc = spec.grpc !== undefined;
  const cfg = (spec.grpc ?? spec.http) as BackendCluster;
  const owner = ctx.ownerOf(grpc ? "extAuth.grpc" : "extAuth.http");
  const service = securityBackendService(
    cfg,
    { use: "extauth/0", protocol: grpc ? "h2c" : "http1" },
    owner,
    ctx,
    problems,
  );
  if (!service) return undefined;
  if (grpc) return { service, ir: { grpc: { cluster: service.cluster.name, authority: service.authority } } };
  const http = spec.http as HTTPExtAuthService;
  return {
    service,
    ir: {
      http: {
        cluster: service.cluster.name,
        uri: `http://${service.authority}${http.path ?? ""}`,
        ...(http.path !== undefined && http.path !== "" ? { pathPrefix: http.path } : {}),
        headersToBackend: http.headersToBackend ?? [],
      },
    },
  };
}

/** The CRD rules on context extensions (the file provider has no API server to check them). */
function contextExtensionShapeProblems(exts: readonly ContextExtension[], problems: string[]): void {
  const names = new Set<string>();
  for (const [i, e] of exts.entries()) {
    const at = `contextExtensions[${i}]`;
    if (!e.name) problems.push(`${at}.name must be set`);
    else if (names.has(e.name)) problems.push(`${at}: duplicate name ${JSON.stringify(e.name)}`);
    names.add(e.name);
    const type = e.type ?? "Value";
    const ok =
      (type === "Value" && e.value !== undefined && e.valueRef === undefined) ||
      (type === "ValueRef" && e.value === undefined && e.valueRef !== undefined);
    if (!ok) problems.push(`${at}: Exactly one of value or valueRef must be set with correct type.`);
    const ref = e.valueRef;
    if (
      ref &&
      (!["ConfigMap", "Secret"].includes(ref.kind) || !["", "v1"].includes((ref.group as string | undefined) ?? ""))
    )
      problems.push(
        `${at}.valueRef: Only a reference to an object of kind ConfigMap or Secret belonging to default v1 API group is supported.`,
      );
  }
}

/** The context extensions' values (references read in their owner's namespace), reasons in `problems`. */
function resolveContextExtensions(
  exts: readonly ContextExtension[],
  ctx: SecurityContext,
  problems: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of exts) {
    // After a StrategicMerge the list holds the items of several policies (merged by name): each item's
    // references resolve in the namespace of the policy that set it.
    const owner = ctx.ownerOf(
      "extAuth.contextExtensions",
      (v) => Array.isArray(v) && v.some((x) => nameOf(x) === e.name),
    );
    const value = e.valueRef ? refValue(e.valueRef, owner, ctx, problems) : e.value;
    if (value !== undefined) out[e.name] = value;
  }
  return out;
}

/** The `name` of a context extension item (unknown JSON). */
function nameOf(item: unknown): unknown {
  return typeof item === "object" && item !== null ? (item as { name?: unknown }).name : undefined;
}

/** A ConfigMap's or Secret's key in `owner`'s namespace, with Envoy Gateway's messages. */
function refValue(
  ref: NonNullable<ContextExtension["valueRef"]>,
  owner: SecurityOwner,
  ctx: SecurityContext,
  problems: string[],
): string | undefined {
  const ns = owner.namespace;
  const name = JSON.stringify(ref.name);
  const key = JSON.stringify(ref.key);
  if (ref.kind === "ConfigMap") {
    const cm = ctx.refs.configMap(`${ns}/${ref.name}`);
    if (!cm) {
      problems.push(`can't find the referenced configmap ${name} in namespace ${JSON.stringify(ns)}`);
      return undefined;
    }
    const v = cm.data?.[ref.key];
    if (v === undefined) problems.push(`can't find the key ${key} in the referenced configmap ${name}`);
    return v;
  }
  const secret = ctx.refs.secret(`${ns}/${ref.name}`);
  if (!secret) {
    problems.push(`can't find the referenced secret ${name} in namespace ${JSON.stringify(ns)}`);
    return undefined;
  }
  if (!secretKeys(secret).includes(ref.key)) {
    problems.push(`can't find the key ${key} in the referenced secret ${name}`);
    return undefined;
  }
  // Envoy Gateway decodes the Secret's (already decoded) value as base64 once more.
  const once = secretValue(secret, ref.key) ?? "";
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(once)) {
    problems.push(
      `error decoding the base64 value of the key ${key} in the referenced secret ${name}: the value (after ` +
        "Kubernetes' own decoding) must itself be standard base64",
    );
    return undefined;
  }
  return Buffer.from(once, "base64").toString("utf8");
}
