/** Small builders for the parts of an Envoy Route that come from HTTPRoute filters, timeouts and retries. */
import type { Duration } from "../../../../proto/gen/google/protobuf/duration";
import {
  HeaderValueOption_HeaderAppendAction,
  type HeaderValueOption,
} from "../../../../proto/gen/envoy/config/core/v3/base";
import {
  RedirectAction_RedirectResponseCode,
  type RedirectAction,
  type RetryPolicy,
  type RouteAction,
  type RouteAction_RequestMirrorPolicy,
} from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { PreviousHostsPredicate } from "../../../../proto/gen/envoy/extensions/retry/host/previous_hosts/v3/previous_hosts";
import { PreviousPrioritiesConfig } from "../../../../proto/gen/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config";
import type { RegexMatchAndSubstitute } from "../../../../proto/gen/envoy/type/matcher/v3/regex";
import { pack, registerLazyType, registerType } from "../../../../proto/any";
import { FractionalPercent_DenominatorType } from "../../../../proto/gen/envoy/type/v3/percent";
import type {
  HeaderModIr,
  MirrorIr,
  PathModifierIr,
  RedirectIr,
  RetryIr,
  TimeoutsIr,
  UrlRewriteIr,
} from "../../ir/xds-ir";

/** PreviousHostsPredicate, registered for Any packing (BackendTrafficPolicy retries). */
const PreviousHostsType = registerLazyType<PreviousHostsPredicate>(
  "envoy/extensions/retry/host/previous_hosts/v3/previous_hosts",
  "PreviousHostsPredicate",
);
/** PreviousPrioritiesConfig, registered for Any packing (BackendTrafficPolicy `retry.numAttemptsPerPriority`). */
const PreviousPrioritiesType = registerType(PreviousPrioritiesConfig);

const RESPONSE_CODE: Readonly<Record<RedirectIr["statusCode"], RedirectAction_RedirectResponseCode>> = {
  301: RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY,
  302: RedirectAction_RedirectResponseCode.FOUND,
  303: RedirectAction_RedirectResponseCode.SEE_OTHER,
  307: RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT,
  308: RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT,
};

/** Envoy's retry back-off base interval must be more than 1 ms. */
const MIN_BACKOFF_MS = 2;

/** Milliseconds → protobuf Duration. */
export function duration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** RequestRedirect → RedirectAction. */
export function redirectAction(r: RedirectIr): RedirectAction {
  const out: Partial<RedirectAction> = { responseCode: RESPONSE_CODE[r.statusCode] };
  if (r.scheme !== undefined) out.schemeRedirect = r.scheme;
  if (r.hostname !== undefined) out.hostRedirect = r.hostname;
  if (r.port !== undefined) out.portRedirect = r.port;
  if (r.path?.type === "ReplaceFullPath") out.pathRedirect = r.path.value;
  else if (r.path) out.regexRewrite = pathRewrite(r.path);
  return out as RedirectAction;
}

/**
 * A path change as an RE2 rewrite of the path (Envoy keeps the query string). A prefix replacement
 * swaps whole segments: the route matched the prefix as a path-separated prefix, so the pattern only has
 * to anchor it; an empty replacement also eats the slashes after the prefix and puts one back.
 */
export function pathRewrite(p: PathModifierIr): RegexMatchAndSubstitute {
  if (p.type === "ReplaceFullPath")
    return { pattern: { regex: "^/.*$" }, substitution: p.value } as RegexMatchAndSubstitute;
  if (p.type === "ReplaceRegexMatch") return regexSubstitute(p.pattern, p.substitution);
  return prefixRewrite(p);
}

/** An RE2 match-and-substitute (HTTPRouteFilter regex path and host rewrites). */
function regexSubstitute(pattern: string, substitution: string): RegexMatchAndSubstitute {
  return { pattern: { regex: pattern }, substitution } as RegexMatchAndSubstitute;
}

function prefixRewrite(p: Extract<PathModifierIr, { type: "ReplacePrefixMatch" }>): RegexMatchAndSubstitute {
  const prefix = escapeRegex(p.prefix.replace(/\/+$/, ""));
  const value = p.value.replace(/\/+$/, "");
  return (
    value === ""
      ? { pattern: { regex: `^${prefix}/*` }, substitution: "/" }
      : { pattern: { regex: `^${prefix}` }, substitution: value.replace(/\\/g, "\\\\") }
  ) as RegexMatchAndSubstitute;
}

/** `s` with RE2's special characters escaped (a literal inside a pattern). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * URLRewrite (and HTTPRouteFilter `urlRewrite`) → the RouteAction fields that rewrite the Host header and the
 * path. A host rewrite appends the client's Host to X-Forwarded-Host (as Envoy Gateway does, unless the
 * HTTPRouteFilter turns it off), so the backend still sees what was asked.
 */
export function rewriteFields(rw: UrlRewriteIr | undefined): Partial<RouteAction> {
  if (!rw) return {};
  const host = hostRewrite(rw);
  return {
    ...(host ? { ...host, appendXForwardedHost: rw.appendXForwardedHost ?? true } : {}),
    ...(rw.path ? { regexRewrite: pathRewrite(rw.path) } : {}),
  };
}

/** The RouteAction's host rewrite specifier, if the rewrite changes the Host. */
function hostRewrite(rw: UrlRewriteIr): Partial<RouteAction> | undefined {
  if (rw.hostname !== undefined) return { hostRewriteLiteral: rw.hostname };
  const h = rw.host;
  if (!h) return undefined;
  if (h.type === "Header") return { hostRewriteHeader: h.header };
  if (h.type === "Backend") return { autoHostRewrite: true } as unknown as Partial<RouteAction>;
  return { hostRewritePathRegex: regexSubstitute(h.pattern, h.substitution) };
}

/** RequestMirror → one mirror policy per mirror, with its share as a runtime fraction. */
export function mirrorPolicies(mirrors: readonly MirrorIr[] | undefined): RouteAction_RequestMirrorPolicy[] {
  return (mirrors ?? []).map(
    (m) =>
      ({
        cluster: m.cluster,
        ...(m.perMillion < 1_000_000
          ? {
              runtimeFraction: {
                defaultValue: { numerator: m.perMillion, denominator: FractionalPercent_DenominatorType.MILLION },
              },
            }
          : {}),
      }) as RouteAction_RequestMirrorPolicy,
  );
}

/**
 * Timeouts and retries → RouteAction fields. `timeouts.request` is the route timeout (all attempts);
 * `timeouts.backendRequest` is the per-attempt timeout, which Envoy keeps in the retry policy (with no
 * retry configured, a policy with 0 retries carries it). With only a backendRequest timeout, the whole
 * request is bounded by its attempts, so the route timeout is turned off.
 */
export function timeoutAndRetryFields(t: TimeoutsIr | undefined, retry: RetryIr | undefined): Partial<RouteAction> {
  const out: Partial<RouteAction> = {};
  const perTry = t?.backendRequestMs;
  if (t?.requestMs !== undefined) out.timeout = duration(t.requestMs);
  else if (perTry !== undefined) out.timeout = duration(0);
  if (t?.streamIdleMs !== undefined) out.idleTimeout = duration(t.streamIdleMs);
  if (t?.maxStreamDurationMs !== undefined) {
    out.maxStreamDuration = { maxStreamDuration: duration(t.maxStreamDurationMs) } as RouteAction["maxStreamDuration"];
  }
  if (retry || (perTry !== undefined && perTry > 0)) {
    out.retryPolicy = retryPolicy(retry, perTry !== undefined && perTry > 0 ? perTry : undefined);
  }
  return out;
}

/**
 * The spec asks for retries when the connection failed or the backend refused the request before
 * processing it, and on the configured status codes. It also asks that an attempt reaching the
 * backendRequest timeout be retried (after the backoff): Envoy retries a per-try timeout only under
 * "reset", which also covers a connection reset after the request was sent, so "reset" is on only when
 * both retries and a backendRequest timeout are configured. Envoy's backoff is fully jittered: the
 * N-th retry waits a random time in [0, 2^(N-1) × backoff), capped at 10 × backoff.
 */
function retryPolicy(retry: RetryIr | undefined, perTryMs: number | undefined): RetryPolicy {
  if (retry?.policy) return policyRetry(retry, retry.policy, perTryMs);
  const on = ["connect-failure", "refused-stream", "reset-before-request"];
  if (retry && retry.codes.length > 0) on.push("retriable-status-codes");
  if (retry && perTryMs !== undefined) on.push("reset");
  return {
    retryOn: on.join(","),
    numRetries: retry?.attempts ?? 0,
    retriableStatusCodes: [...(retry?.codes ?? [])],
    ...(retry?.backoffMs !== undefined
      ? { retryBackOff: { baseInterval: duration(Math.max(retry.backoffMs, MIN_BACKOFF_MS)) } }
      : {}),
    ...(perTryMs !== undefined ? { perTryTimeout: duration(perTryMs) } : {}),
  } as Partial<RetryPolicy> as RetryPolicy;
}

/**
 * A BackendTrafficPolicy's retry, as Envoy Gateway builds it: its retry_on conditions and status codes, its
 * attempts, the previous_hosts predicate (a retry goes to another endpoint when there is one, up to 5 picks), the
 * previous_priorities retry priority when attempts per priority are set, its per-try timeout (else the route rule's backendRequest timeout) and back-off.
 */
function policyRetry(
  retry: RetryIr,
  p: NonNullable<RetryIr["policy"]>,
  routePerTryMs: number | undefined,
): RetryPolicy {
  const perTry = p.perTryTimeoutMs ?? routePerTryMs;
  const backOff =
    retry.backoffMs !== undefined || p.maxBackoffMs !== undefined
      ? {
          retryBackOff: {
            ...(retry.backoffMs !== undefined ? { baseInterval: duration(retry.backoffMs) } : {}),
            ...(p.maxBackoffMs !== undefined ? { maxInterval: duration(p.maxBackoffMs) } : {}),
          },
        }
      : {};
  return {
    retryOn: p.retryOn.join(","),
    numRetries: retry.attempts,
    retriableStatusCodes: [...retry.codes],
    retryHostPredicate: [
      { name: "envoy.retry_host_predicates.previous_hosts", typedConfig: pack(PreviousHostsType, {}) },
    ],
    hostSelectionRetryMaxAttempts: 5,
    ...(p.attemptsPerPriority !== undefined
      ? {
          retryPriority: {
            name: "envoy.retry_priorities.previous_priorities",
            typedConfig: pack(
              PreviousPrioritiesType,
              PreviousPrioritiesConfig.fromPartial({ updateFrequency: p.attemptsPerPriority }),
            ),
          },
        }
      : {}),
    ...backOff,
    ...(perTry !== undefined ? { perTryTimeout: duration(perTry) } : {}),
  } as Partial<RetryPolicy> as RetryPolicy;
}

/** Header set/add → Envoy header options (set overwrites, add appends). */
export function headerOptions(mod: HeaderModIr): HeaderValueOption[] {
  return [
    ...mod.set.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
    })),
    ...mod.add.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
    })),
  ] as HeaderValueOption[];
}
