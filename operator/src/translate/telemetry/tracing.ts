/**
 * EnvoyProxy `telemetry.tracing` → the tracing of every HTTP listener of a node, as Envoy Gateway v1.9 decides it:
 * one provider (OpenTelemetry over OTLP gRPC, Zipkin over HTTP JSON v2, Datadog) reached through the cluster
 * `tracing`; the sampling rate from `samplingRate` (percent) or `samplingFraction` (100% when neither is set),
 * `clientSamplingFraction` (0 when unset: client-forced tracing is ignored) and `overallSamplingFraction`; span tags
 * from `customTags` (Literal, Environment, RequestHeader) and `tags` (Envoy format strings, which win on the same
 * key); the service name `<gateway>.<namespace>` (the GatewayClass name for merged Gateways) unless
 * `provider.serviceName` says otherwise; the OpenTelemetry resource attributes and sampler (with a sampler the
 * random sampling is 100%, so the sampler alone decides, as Envoy Gateway). {@link tracingProblems} refuses what
 * the API server would have refused.
 */
import type { OTelSamplerIr, RouteTracingIr, TracingIr, TracingTagIr } from "../../ir/telemetry-ir";
import { percentOf } from "../policies/security-cors-csrf";
import type { BackendIndex } from "../backends";
import { sinkDestination, type SinkDestination, type SinkTarget, type TelemetryOwner } from "./destination";
import { headersOf, type ProxyHeader } from "./headers";

/** Envoy Gateway's name of the tracing cluster. */
export const TRACING_CLUSTER = "tracing";

/** A `gateway.networking.k8s.io` Fraction. */
interface Fraction {
  readonly numerator: number;
  readonly denominator?: number;
}

/** One `customTags` entry. */
interface CustomTag {
  readonly type?: string;
  readonly literal?: { readonly value?: string };
  readonly environment?: { readonly name?: string; readonly defaultValue?: string };
  readonly requestHeader?: { readonly name?: string; readonly defaultValue?: string };
}

/** `telemetry.tracing` of an EnvoyProxy (the fields egts reads). */
export interface ProxyTracing {
  readonly samplingRate?: number;
  readonly samplingFraction?: Fraction;
  readonly clientSamplingFraction?: Fraction;
  readonly overallSamplingFraction?: Fraction;
  readonly customTags?: Readonly<Record<string, CustomTag>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly spanName?: { readonly client: string; readonly server: string };
  readonly provider?: SinkTarget & {
    readonly type?: string;
    readonly serviceName?: string;
    readonly zipkin?: { readonly enable128BitTraceId?: boolean; readonly disableSharedSpanContext?: boolean };
    readonly openTelemetry?: {
      readonly headers?: readonly ProxyHeader[];
      readonly resourceAttributes?: Readonly<Record<string, string>>;
      readonly sampler?: { readonly type?: string; readonly samplingPercentage?: Fraction };
    };
  };
}

const PROVIDERS: ReadonlySet<string> = new Set(["OpenTelemetry", "Zipkin", "Datadog"]);

/** What in `tracing` egts cannot do or the API forbids, one message per field (empty when none). */
export function tracingProblems(tracing: ProxyTracing | undefined): string[] {
  if (!tracing) return [];
  const at = "spec.telemetry.tracing";
  const out = providerProblems(tracing.provider, `${at}.provider`);
  if (tracing.samplingRate !== undefined && tracing.samplingFraction !== undefined)
    out.push(`${at}: only one of samplingRate or samplingFraction can be specified`);
  if (tracing.samplingRate !== undefined && (tracing.samplingRate < 0 || tracing.samplingRate > 100))
    out.push(`${at}.samplingRate (${tracing.samplingRate}) must be between 0 and 100`);
  out.push(...customTagProblems(tracing.customTags, at));
  return out;
}

/** What in the provider egts cannot do or the API forbids. */
function providerProblems(p: ProxyTracing["provider"], at: string): string[] {
  const out: string[] = [];
  const type = p?.type ?? "OpenTelemetry";
  if (!PROVIDERS.has(type)) out.push(`${at}.type (${type}) must be OpenTelemetry, Zipkin or Datadog`);
  const otel = p?.openTelemetry;
  if (otel !== undefined && type !== "OpenTelemetry")
    out.push(`${at}.openTelemetry can only be used with type OpenTelemetry`);
  if (otel?.sampler !== undefined) out.push(...samplerProblems(otel.sampler, `${at}.openTelemetry.sampler`));
  return out;
}

const SAMPLERS: readonly string[] = [
  "AlwaysOn",
  "AlwaysOff",
  "TraceIdRatio",
  "ParentBasedAlwaysOn",
  "ParentBasedAlwaysOff",
  "ParentBasedTraceIdRatio",
] satisfies OTelSamplerIr["type"][];
const RATIO_SAMPLERS: readonly string[] = ["TraceIdRatio", "ParentBasedTraceIdRatio"];

/** What Envoy Gateway's CRD would refuse in a sampler: an unknown type, a percentage another type cannot take. */
function samplerProblems(
  s: NonNullable<NonNullable<ProxyTracing["provider"]>["openTelemetry"]>["sampler"],
  at: string,
): string[] {
  const type = s?.type ?? "AlwaysOn";
  if (!SAMPLERS.includes(type)) return [`${at}.type (${type}) must be one of ${SAMPLERS.join(", ")}`];
  const pct = s?.samplingPercentage;
  if (pct === undefined) return [];
  if (!RATIO_SAMPLERS.includes(type))
    return [`${at}: samplingPercentage can only be set with TraceIdRatio or ParentBasedTraceIdRatio`];
  const d = pct.denominator ?? 100;
  const ok = Number.isInteger(pct.numerator) && Number.isInteger(d) && pct.numerator >= 0 && d >= 1;
  return ok && pct.numerator <= d
    ? []
    : [`${at}.samplingPercentage: numerator must be 0 or more and at most denominator (at least 1)`];
}

/**
 * The OpenTelemetry sampler of `p`, if it sets one, with the random sampling at 100% so that every request
 * reaches the sampler (Envoy Gateway's rule).
 */
function samplerOf(p: NonNullable<ProxyTracing["provider"]>): Partial<Pick<TracingIr, "sampler" | "samplingPercent">> {
  const s = p.openTelemetry?.sampler;
  if (s === undefined) return {};
  const type = (s.type ?? "AlwaysOn") as OTelSamplerIr["type"];
  const f = s.samplingPercentage;
  const sampler = { type, ...(f ? { percentage: percentOf(f.numerator, f.denominator ?? 100) } : {}) };
  return { sampler, samplingPercent: 100 };
}

/** Custom tags of an unknown type or without the value their type reads. */
function customTagProblems(tags: Readonly<Record<string, CustomTag>> | undefined, at: string): string[] {
  const out: string[] = [];
  for (const [key, tag] of Object.entries(tags ?? {})) {
    const t = tag.type ?? "Literal";
    const field = { Literal: tag.literal, Environment: tag.environment, RequestHeader: tag.requestHeader }[t];
    if (!["Literal", "Environment", "RequestHeader"].includes(t))
      out.push(`${at}.customTags.${key}.type (${t}) must be Literal, Environment or RequestHeader`);
    else if (field === undefined)
      out.push(`${at}.customTags.${key}.${t.charAt(0).toLowerCase()}${t.slice(1)} must be set for type ${t}`);
  }
  return out;
}

/** A fraction as a percentage in [0, 100] (denominator 100 by default), as Envoy Gateway computes it. */
export function fractionPercent(f: Fraction): number {
  const value = (f.numerator * 100) / (f.denominator ?? 100);
  return Math.min(100, Math.max(0, value));
}

/** The span tag of one custom tag. */
function customTagOf(tag: string, t: CustomTag): TracingTagIr {
  const type = t.type ?? "Literal";
  if (type === "Literal") return { tag, literal: t.literal?.value ?? "" };
  const source = type === "Environment" ? t.environment : t.requestHeader;
  const value = { name: source?.name ?? "", defaultValue: source?.defaultValue ?? "" };
  return type === "Environment" ? { tag, environment: value } : { tag, requestHeader: value };
}

/** The span tags: `customTags` by type, then `tags` (format strings) replacing the same keys; sorted by tag. */
export function tagsOf(tracing: Pick<ProxyTracing, "customTags" | "tags">): TracingTagIr[] {
  const out = new Map<string, TracingTagIr>();
  for (const [tag, t] of Object.entries(tracing.customTags ?? {})) out.set(tag, customTagOf(tag, t));
  for (const [tag, format] of Object.entries(tracing.tags ?? {})) out.set(tag, { tag, format });
  return [...out.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/** The sampling percentages: `samplingRate` or `samplingFraction` (100 when neither), client and overall ones. */
function samplingOf(
  t: ProxyTracing,
): Pick<TracingIr, "samplingPercent" | "clientSamplingPercent" | "overallSamplingPercent"> {
  return {
    samplingPercent: t.samplingRate ?? (t.samplingFraction ? fractionPercent(t.samplingFraction) : 100),
    ...(t.clientSamplingFraction ? { clientSamplingPercent: fractionPercent(t.clientSamplingFraction) } : {}),
    ...(t.overallSamplingFraction ? { overallSamplingPercent: fractionPercent(t.overallSamplingFraction) } : {}),
  };
}

/** The OpenTelemetry tracer's resource attributes, sorted by name (absent when none). */
function resourceAttributesOf(
  attributes: Readonly<Record<string, string>> | undefined,
): Pick<TracingIr, "resourceAttributes"> {
  const entries = Object.entries(attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? { resourceAttributes: Object.fromEntries(entries) } : {};
}

/** The Zipkin settings (128-bit trace ids off, shared span context on, by default). */
function zipkinOf(
  z: NonNullable<ProxyTracing["provider"]>["zipkin"],
): Pick<TracingIr, "zipkinTraceId128" | "zipkinSharedSpanContext"> {
  return {
    zipkinTraceId128: z?.enable128BitTraceId === true,
    zipkinSharedSpanContext: z?.disableSharedSpanContext !== true,
  };
}

/** Envoy Gateway's service name of a node: `<gateway>.<namespace>`, or the class name of merged Gateways. */
export function tracingServiceName(node: string): string {
  const slash = node.indexOf("/");
  return slash < 0 ? node : `${node.slice(slash + 1)}.${node.slice(0, slash)}`;
}

/**
 * The tracing of node `node` and the cluster it sends to, or undefined (no tracing, or problems pushed on
 * `problems`, each prefixed with the field).
 */
export function tracingFor(
  tracing: ProxyTracing | undefined,
  node: string,
  owner: TelemetryOwner,
  backends: BackendIndex,
  problems: string[],
): { tracing: TracingIr; destination: SinkDestination } | undefined {
  const p = tracing?.provider;
  if (!tracing || !p) return undefined;
  const provider = (p.type ?? "OpenTelemetry") as TracingIr["provider"];
  const own: string[] = [];
  const grpc = provider === "OpenTelemetry";
  const destination = sinkDestination(p, TRACING_CLUSTER, grpc, { owner, backends, problems: own });
  problems.push(...own.map((m) => `spec.telemetry.tracing.provider: ${m}`));
  if (!destination) return undefined;
  const headers = headersOf(p.openTelemetry?.headers);
  const ir: TracingIr = {
    provider,
    cluster: TRACING_CLUSTER,
    authority: destination.authority,
    serviceName: p.serviceName ?? tracingServiceName(node),
    ...samplingOf(tracing),
    tags: tagsOf(tracing),
    ...(headers ? { headers } : {}),
    ...resourceAttributesOf(p.openTelemetry?.resourceAttributes),
    ...(provider === "OpenTelemetry" ? samplerOf(p) : {}),
    ...(provider === "Zipkin" ? zipkinOf(p.zipkin) : {}),
    ...(tracing.spanName ? { spanName: { client: tracing.spanName.client, server: tracing.spanName.server } } : {}),
  };
  return { tracing: ir, destination };
}

/**
 * A BackendTrafficPolicy's `telemetry.tracing` → the route's tracing, as Envoy Gateway writes it on the route:
 * client sampling 0% unless `clientSamplingFraction` is set, random and overall sampling only when set (else the
 * listener's) and the tags (`customTags` then `tags`). Problems go to `invalid`. (`spanName` is refused: Envoy
 * 1.37's Route.tracing has no operation names.)
 */
export function routeTracingOf(
  tracing: Pick<
    ProxyTracing,
    "samplingFraction" | "clientSamplingFraction" | "overallSamplingFraction" | "customTags" | "tags"
  >,
  invalid: string[],
): RouteTracingIr {
  invalid.push(...customTagProblems(tracing.customTags, "spec.telemetry.tracing"));
  const pct = (f: Fraction | undefined): ReturnType<typeof percentOf> | undefined =>
    f ? percentOf(f.numerator, f.denominator ?? 100) : undefined;
  const random = pct(tracing.samplingFraction);
  const overall = pct(tracing.overallSamplingFraction);
  return {
    clientSampling: pct(tracing.clientSamplingFraction) ?? { numerator: 0, denominator: "HUNDRED" },
    ...(random ? { randomSampling: random } : {}),
    ...(overall ? { overallSampling: overall } : {}),
    tags: tagsOf(tracing),
  };
}
