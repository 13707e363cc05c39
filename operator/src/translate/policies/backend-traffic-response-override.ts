/**
 * BackendTrafficPolicy `responseOverride` → ResponseOverrideRuleIr list, checked as Envoy Gateway's CRD and
 * translator check it: each rule matches on status codes (a value, or a range with end > start) and/or response
 * headers, and answers with exactly one of a custom response (inline body or a ConfigMap's `response.body`, else
 * its first key; content type; status; headers set/added, none removed) or a redirect (scheme, hostname, port,
 * ReplaceFullPath only; 302 unless 301). `source: Local` / `Backend` needs Envoy 1.37's local-reply match input,
 * which egts does not write yet: refused; `All` is the default.
 */
import { defined } from "./backend-traffic-values";
import type {
  CustomRedirectIr,
  CustomResponseIr,
  ResponseOverrideRuleIr,
  StatusCodeMatchIr,
} from "../../ir/response-override-ir";
import type { HeaderModIr } from "../../ir/xds-ir";
import type { ResponseOverride } from "../../resources/backend-traffic-policy";
import type { CustomResponseBody } from "../../resources/policy-common";
import { compileHeaderModifier } from "../filters/header-modifier";
import { isFilterError } from "../filters/types";
import { configMapBody, RESPONSE_BODY_KEY } from "../configmap-body";
import { re2Problem } from "../regex";
import { formatStringProblem, headerNameProblem, quote } from "../validate-values";
import type { BackendTrafficContext } from "./backend-traffic-context";

const HEADER_MATCH_TYPES: readonly string[] = ["Exact", "Prefix", "Suffix", "RegularExpression"];

/** The route's override rules, if the policy sets any; problems go to `invalid`. */
export function translateResponseOverride(
  overrides: readonly ResponseOverride[],
  ctx: BackendTrafficContext,
  invalid: string[],
): ResponseOverrideRuleIr[] | undefined {
  if (overrides.length === 0) return undefined;
  const before = invalid.length;
  const rules = overrides.map((ro, i) => rule(ro, `spec.responseOverride[${i}]`, ctx, invalid));
  return invalid.length > before ? undefined : (rules as ResponseOverrideRuleIr[]);
}

function rule(
  ro: ResponseOverride,
  at: string,
  ctx: BackendTrafficContext,
  invalid: string[],
): ResponseOverrideRuleIr | undefined {
  if (ro.source !== undefined && ro.source !== "All") {
    invalid.push(
      `${at}.source: ${quote(String(ro.source))} is not implemented by egts yet (it needs Envoy 1.37's local-reply match input); use All`,
    );
  }
  const statusCodes = (ro.match?.statusCodes ?? []).map((c, j) =>
    statusCode(c, `${at}.match.statusCodes[${j}]`, invalid),
  );
  const responseHeaders = (ro.match?.responseHeaders ?? []).map((h, j) => {
    const where = `${at}.match.responseHeaders[${j}]`;
    const type = h.value?.type ?? "Exact";
    const bad = headerNameProblem(h.name);
    if (bad) invalid.push(`${where}.name: ${quote(h.name)} ${bad}`);
    if (!HEADER_MATCH_TYPES.includes(type))
      invalid.push(`${where}.value.type: ${quote(type)} is not one of ${HEADER_MATCH_TYPES.join(", ")}`);
    const re = type === "RegularExpression" ? re2Problem(h.value?.value ?? "") : undefined;
    if (re) invalid.push(`${where}.value.value: ${quote(h.value?.value ?? "")} ${re}`);
    return { name: h.name, type, value: h.value?.value ?? "" } as ResponseOverrideRuleIr["responseHeaders"][number];
  });
  if (statusCodes.length === 0 && responseHeaders.length === 0) {
    invalid.push(`${at}.match: at least one of statusCodes or responseHeaders must be specified`);
  }
  if ((ro.response === undefined) === (ro.redirect === undefined)) {
    invalid.push(`${at}: exactly one of response or redirect must be specified`);
    return undefined;
  }
  const base = { statusCodes: statusCodes.filter((c) => c !== undefined) as StatusCodeMatchIr[], responseHeaders };
  return ro.redirect
    ? { ...base, redirect: redirect(ro.redirect, `${at}.redirect`, invalid) as CustomRedirectIr }
    : {
        ...base,
        response: response(
          ro.response as NonNullable<ResponseOverride["response"]>,
          `${at}.response`,
          ctx,
          invalid,
        ) as CustomResponseIr,
      };
}

function statusCode(
  c: NonNullable<ResponseOverride["match"]["statusCodes"]>[number],
  at: string,
  invalid: string[],
): StatusCodeMatchIr | undefined {
  const ok = isStatus;
  if ((c.type ?? "Value") === "Value") {
    if (ok(c.value)) return { value: c.value as number };
    invalid.push(`${at}.value: ${String(c.value)} must be a status code from 100 to 599`);
    return undefined;
  }
  if (c.type !== "Range") {
    invalid.push(`${at}.type: ${quote(String(c.type))} is not one of Value, Range`);
    return undefined;
  }
  const r = c.range;
  if (r && ok(r.start) && ok(r.end) && r.end > r.start) return { start: r.start, end: r.end };
  invalid.push(`${at}.range: start and end must be status codes from 100 to 599 with end greater than start`);
  return undefined;
}

function response(
  r: NonNullable<ResponseOverride["response"]>,
  at: string,
  ctx: BackendTrafficContext,
  invalid: string[],
): CustomResponseIr | undefined {
  const bodyText = r.body ? body(r.body, `${at}.body`, ctx, invalid) : undefined;
  const bad = bodyText !== undefined ? formatStringProblem(bodyText) : undefined;
  if (bad) invalid.push(`${at}.body: ${bad.replace("header values", "a response body")}`);
  if (r.statusCode !== undefined && !isStatus(r.statusCode)) {
    invalid.push(`${at}.statusCode: ${String(r.statusCode)} must be a status code from 100 to 599`);
  }
  const headers = responseHeaders(r.header, `${at}.header`, invalid);
  return {
    ...(bodyText !== undefined ? { body: bodyText } : {}),
    ...(r.contentType ? { contentType: r.contentType } : {}),
    ...(r.statusCode !== undefined ? { statusCode: r.statusCode } : {}),
    ...(headers ? { headers } : {}),
  };
}

function isStatus(n: unknown): boolean {
  return Number.isInteger(n) && (n as number) >= 100 && (n as number) <= 599;
}

/** The headers set and added on the custom response (removing is not supported), if any. */
function responseHeaders(
  h: NonNullable<ResponseOverride["response"]>["header"],
  at: string,
  invalid: string[],
): HeaderModIr | undefined {
  if (!h) return undefined;
  if (h.remove?.length) invalid.push(`${at}.remove: not supported for a custom response`);
  const mod = compileHeaderModifier(h, { where: at, matches: [] }, "header");
  if (isFilterError(mod)) {
    invalid.push(mod.error);
    return undefined;
  }
  return mod.set.length > 0 || mod.add.length > 0 ? mod : undefined;
}

/** The body text: inline, or from a ConfigMap in the policy's namespace (Envoy Gateway's key, else its first key). */
function body(b: CustomResponseBody, at: string, ctx: BackendTrafficContext, invalid: string[]): string | undefined {
  if ((b.type ?? "Inline") === "Inline") {
    if (b.inline === undefined) invalid.push(`${at}.inline: must be set for type Inline`);
    return b.inline;
  }
  const ref = b.valueRef;
  if (!ref?.name || (ref.kind !== undefined && ref.kind !== "ConfigMap")) {
    invalid.push(`${at}.valueRef: must name a ConfigMap for type ValueRef`);
    return undefined;
  }
  const cm = ctx.snapshot.configMaps.find(
    (c) => c.metadata.name === ref.name && (c.metadata.namespace ?? "default") === ctx.namespace,
  );
  if (!cm) {
    invalid.push(`${at}.valueRef: ConfigMap ${ctx.namespace}/${ref.name} not found`);
    return undefined;
  }
  const text = configMapBody(cm);
  if (text !== undefined) return text;
  invalid.push(
    `${at}.valueRef: ConfigMap ${ctx.namespace}/${ref.name} has no ${RESPONSE_BODY_KEY} key (nor any other)`,
  );
  return undefined;
}

function redirect(
  r: NonNullable<ResponseOverride["redirect"]>,
  at: string,
  invalid: string[],
): CustomRedirectIr | undefined {
  const status = r.statusCode ?? 302;
  const problems: [boolean, string][] = [
    [
      r.scheme !== undefined && r.scheme !== "http" && r.scheme !== "https",
      `scheme: ${quote(String(r.scheme))} is not one of http, https`,
    ],
    [r.path !== undefined && r.path.type !== "ReplaceFullPath", "path.type: only ReplaceFullPath is supported"],
    [status !== 301 && status !== 302, `statusCode: ${String(status)} is not one of 301, 302`],
    [
      r.port !== undefined && !(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535),
      `port: ${String(r.port)} must be a port from 1 to 65535`,
    ],
  ];
  for (const [bad, why] of problems) if (bad) invalid.push(`${at}.${why}`);
  return {
    ...defined({ scheme: r.scheme, hostname: r.hostname, port: r.port, path: r.path?.replaceFullPath }),
    statusCode: status,
  };
}

/**
 * `spec` with every `responseOverride` ConfigMap body read in `ctx.namespace` and written inline, for a merge
 * (`mergeType`) across namespaces: the merged spec is translated in the most specific policy's namespace, but a
 * ConfigMap belongs to the policy that names it. Unresolvable references are left as they are and their
 * problems returned, to be reported with the merged translation (a same-named ConfigMap in the other namespace
 * must not stand in for them).
 */
export function withInlineBodies<S extends { readonly responseOverride?: readonly ResponseOverride[] }>(
  spec: S,
  ctx: BackendTrafficContext,
): { readonly spec: S; readonly problems: readonly string[] } {
  const overrides = spec.responseOverride;
  if (!overrides?.some((o) => o.response?.body?.type === "ValueRef")) return { spec, problems: [] };
  const problems: string[] = [];
  const responseOverride = overrides.map((o, i): ResponseOverride => {
    const b = o.response?.body;
    if (!o.response || b?.type !== "ValueRef") return o;
    const text = body(b, `spec.responseOverride[${i}].response.body`, ctx, problems);
    return text === undefined ? o : { ...o, response: { ...o.response, body: { type: "Inline", inline: text } } };
  });
  return { spec: { ...spec, responseOverride }, problems };
}
