/**
 * EnvoyProxy `spec.filterOrder`: moves of HTTP filters away from Envoy Gateway's order, carried onto every HTTP
 * listener of the proxies the EnvoyProxy customises (xds/translate/filters/registry.ts `applyFilterOrder` applies
 * them). Envoy Gateway's CRD admits only its `EnvoyFilter` names and exactly one of `before` and `after`; egts
 * also reads EnvoyProxies from files, so the same rules are checked here and a violation refuses the EnvoyProxy
 * ({@link filterOrderProblems}, reported by envoy-proxy.ts `envoyProxyProblem`) instead of reaching Envoy.
 */
import type { FilterPositionIr, GatewayXdsIr } from "../ir/xds-ir";
import type { EnvoyFilter, EnvoyProxy } from "../resources/envoy-proxy";

/** Envoy Gateway's (v1.9.1) `EnvoyFilter` enum: the filters `filterOrder` may name. */
export const ORDERABLE_FILTERS: readonly EnvoyFilter[] = [
  "envoy.filters.http.custom_response",
  "envoy.filters.http.health_check",
  "envoy.filters.http.fault",
  "envoy.filters.http.cors",
  "envoy.filters.http.csrf",
  "envoy.filters.http.header_mutation",
  "envoy.filters.http.ext_authz",
  "envoy.filters.http.api_key_auth",
  "envoy.filters.http.basic_auth",
  "envoy.filters.http.oauth2",
  "envoy.filters.http.jwt_authn",
  "envoy.filters.http.stateful_session",
  "envoy.filters.http.buffer",
  "envoy.filters.http.lua",
  "envoy.filters.http.ext_proc",
  "envoy.filters.http.wasm",
  "envoy.filters.http.dynamic_modules",
  "envoy.filters.http.geoip",
  "envoy.filters.http.rbac",
  "envoy.filters.http.local_ratelimit",
  "envoy.filters.http.ratelimit",
  "envoy.filters.http.bandwidth_limit",
  "envoy.filters.http.grpc_web",
  "envoy.filters.http.grpc_stats",
  "envoy.filters.http.credential_injector",
  "envoy.filters.http.compressor",
  "envoy.filters.http.dynamic_forward_proxy",
];

const FIELD = "spec.filterOrder";

/** `spec.filterOrder` as written (anything: EnvoyProxies from files are not schema-checked). */
function rawFilterOrder(spec: EnvoyProxy["spec"] | undefined): unknown {
  return spec?.["filterOrder"];
}

/** Why `spec.filterOrder` cannot be applied, one message per problem (empty: it can). */
export function filterOrderProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const raw = rawFilterOrder(spec);
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [`${FIELD}: must be a list of {name, before | after}`];
  const out = raw.flatMap((p: unknown, i): string[] => {
    const at = `${FIELD}[${i}]`;
    if (typeof p !== "object" || p === null) return [`${at}: must be an object {name, before | after}`];
    const { name, before, after } = p as Record<string, unknown>;
    const out = [
      ...filterNameProblem(`${at}.name`, name, true),
      ...filterNameProblem(`${at}.before`, before, false),
      ...filterNameProblem(`${at}.after`, after, false),
    ];
    // Envoy Gateway's CRD rules and messages.
    if (before === undefined && after === undefined) out.push(`${at}: one of before or after must be specified`);
    if (before !== undefined && after !== undefined) out.push(`${at}: only one of before or after can be specified`);
    return out;
  });
  if (out.some((m) => m.endsWith(NOT_A_FILTER))) out.push(`the EnvoyFilter names are ${ORDERABLE_FILTERS.join(", ")}`);
  return out;
}

const NOT_A_FILTER = "is not an EnvoyFilter name";

function filterNameProblem(at: string, value: unknown, required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (typeof value === "string" && (ORDERABLE_FILTERS as readonly string[]).includes(value)) return [];
  return [`${at}: ${JSON.stringify(value ?? null)} ${NOT_A_FILTER}`];
}

/** The positions of a valid `spec.filterOrder`, in order (empty when absent; callers refuse invalid ones first). */
export function filterOrderFor(spec: EnvoyProxy["spec"] | undefined): readonly FilterPositionIr[] {
  if (filterOrderProblems(spec).length > 0) return [];
  const raw = (rawFilterOrder(spec) ?? []) as readonly FilterPositionIr[];
  return raw.map((p) => ({ name: p.name, ...(p.before !== undefined ? { before: p.before } : { after: p.after }) }));
}

/** The node's IR with `filterOrder` on each HTTP listener (none: the listeners are left as they are). */
export function withFilterOrder(ir: GatewayXdsIr, filterOrder: readonly FilterPositionIr[]): GatewayXdsIr {
  return filterOrder.length > 0 ? { ...ir, http: ir.http.map((l) => ({ ...l, filterOrder })) } : ir;
}
