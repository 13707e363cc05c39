/**
 * An `ExtensionRef` filter naming an HTTPRouteFilter (gateway.envoyproxy.io) → the parts it adds to a rule:
 * a URL rewrite (regex path, Host from a header / the backend / the path), a direct response, a credential
 * injection, cookie matches. Envoy Gateway v1.9's checks and messages (`processExtensionRefHTTPFilter`): a
 * reference to nothing is unresolved (ResolvedRefs=False, the rule answers 500, GEP-1364); an invalid filter
 * makes the rule invalid.
 */
import type { CookieMatchIr, HeaderModIr, HostRewriteIr } from "../../ir/xds-ir";
import { ENVOY_GATEWAY_GROUP } from "../../resources/envoy-gateway";
import type {
  HTTPCredentialInjectionFilter,
  HTTPDirectResponseFilter,
  HTTPRouteFilterSpec,
  HTTPURLRewriteFilter,
} from "../../resources/http-route-filter";
import type { SecretObjectReference } from "../../resources/policy-common";
import { Reason } from "../conditions";
import { configMapBody, RESPONSE_BODY_KEY } from "../configmap-body";
import { re2Problem } from "../regex";
import { headerNameProblem, quote } from "../validate-values";
import type { ExtensionRefIndex } from "./extension-refs";
import { compileHeaderModifier } from "./header-modifier";
import {
  isFilterError,
  type CredentialTemplate,
  type DirectResponseTemplate,
  type FilterContext,
  type FilterError,
  type UrlRewriteTemplate,
} from "./types";

/** Envoy Gateway's HTTPRouteFilter kind name. */
export const HTTP_ROUTE_FILTER_KIND = "HTTPRouteFilter";

/** Envoy Gateway's Secret key of an injected credential. */
export const INJECTED_CREDENTIAL_KEY = "credential";

/** What one HTTPRouteFilter adds to a rule. */
export interface RouteFilterParts {
  /** `urlRewrite`. */
  readonly urlRewrite?: UrlRewriteTemplate;
  /** `directResponse`. */
  readonly directResponse?: DirectResponseTemplate;
  /** `credentialInjection`. */
  readonly credential?: CredentialTemplate;
  /** `matches`: cookie conditions, one list per alternative. */
  readonly cookieMatches?: readonly (readonly CookieMatchIr[])[];
  /**
   * An object of a kind the extension server owns: its JSON, for the extension server's Route hook on the rule's
   * routes (nothing is built for it here).
   */
  readonly extensionRefs?: readonly string[];
}

/**
 * Compiles the object an ExtensionRef filter names, or says why it cannot be used: an HTTPRouteFilter is compiled;
 * an object of a kind the extension server owns is passed on as JSON; a missing object, or a kind neither knows,
 * is an unresolved reference (Envoy Gateway's messages).
 */
export function compileExtensionRef(
  ref: { readonly group: string; readonly kind: string; readonly name: string } | undefined,
  ctx: FilterContext,
): RouteFilterParts | FilterError {
  const ns = ctx.namespace;
  if (!ref || ns === undefined || !ctx.extensions) {
    const what = ref ? `${ref.group}/${ref.kind} ${ref.name}` : "(no extensionRef)";
    return { error: `${ctx.where}: ExtensionRef filter ${what} is not supported here` };
  }
  if (ref.group === ENVOY_GATEWAY_GROUP && ref.kind === HTTP_ROUTE_FILTER_KIND) {
    const { routeFilters } = ctx.extensions;
    const hrf = routeFilters.httpRouteFilter(ns, ref.name);
    if (!hrf) return unresolved(`Unable to translate HTTPRouteFilter: ${ns}/${ref.name}`);
    return compileSpec(hrf.spec ?? {}, { ns, name: ref.name }, routeFilters);
  }
  const { owned } = ctx.extensions;
  const json = owned?.isFilterKind(ref.group, ref.kind) ? owned.find(ref.group, ref.kind, ns, ref.name) : undefined;
  if (json !== undefined) return { extensionRefs: [json] };
  return unresolved(`Reference ${ns}/${ref.name} not found for filter type: ${ref.kind}`);
}

function unresolved(message: string): FilterError {
  return { error: message, reason: Reason.UnsupportedValue, unresolved: true };
}

/** Envoy Gateway's message for an HTTPRouteFilter whose content cannot be used. */
function invalid(why: string): FilterError {
  return { error: `invalid filter ${HTTP_ROUTE_FILTER_KIND}: ${why}`, reason: Reason.UnsupportedValue };
}

/** The HTTPRouteFilter being compiled. */
interface FilterId {
  readonly ns: string;
  readonly name: string;
}

type Body = NonNullable<HTTPDirectResponseFilter["body"]>;
type Host = NonNullable<HTTPURLRewriteFilter["hostname"]>;

/** Envoy Gateway's CRD (CEL) rules on `directResponse.body`, `urlRewrite.hostname` and `urlRewrite.path`. */
const CEL_RULES: readonly {
  readonly field: string;
  readonly message: string;
  readonly broken: (s: HTTPRouteFilterSpec) => boolean;
}[] = [
  {
    field: "directResponse.body",
    message: "inline must be set for type Inline",
    broken: (s) => bodyIs(s, (b) => (b.type ?? "Inline") === "Inline" && b.inline === undefined),
  },
  {
    field: "directResponse.body",
    message: "valueRef must be set for type ValueRef",
    broken: (s) => bodyIs(s, (b) => b.type === "ValueRef" && !b.valueRef),
  },
  {
    field: "directResponse.body",
    message: "only ConfigMap is supported for ValueRef",
    broken: (s) => bodyIs(s, (b) => !!b.valueRef && (b.valueRef.kind ?? "ConfigMap") !== "ConfigMap"),
  },
  {
    field: "directResponse.header",
    message: "header.remove is not supported for DirectResponse",
    broken: (s) => (s.directResponse?.header?.remove?.length ?? 0) > 0,
  },
  {
    field: "urlRewrite.hostname",
    message: "header must be nil if the type is not Header",
    broken: (s) => hostIs(s, (h) => h.type !== "Header" && h.header !== undefined),
  },
  {
    field: "urlRewrite.hostname",
    message: "header must be specified for Header type",
    broken: (s) => hostIs(s, (h) => h.type === "Header" && h.header === undefined),
  },
  {
    field: "urlRewrite.hostname",
    message: "pathRegex must be nil if the type is not PathRegex",
    broken: (s) => hostIs(s, (h) => h.type !== "PathRegex" && h.pathRegex !== undefined),
  },
  {
    field: "urlRewrite.hostname",
    message: "pathRegex must be specified for PathRegex type",
    broken: (s) => hostIs(s, (h) => h.type === "PathRegex" && h.pathRegex === undefined),
  },
  {
    field: "urlRewrite.path",
    message: "If HTTPPathModifier type is ReplaceRegexMatch, replaceRegexMatch field needs to be set.",
    broken: (s) => s.urlRewrite?.path?.type === "ReplaceRegexMatch" && !s.urlRewrite.path.replaceRegexMatch,
  },
];

function bodyIs(s: HTTPRouteFilterSpec, pred: (b: Body) => boolean): boolean {
  const b = s.directResponse?.body;
  return b !== undefined && pred(b);
}

function hostIs(s: HTTPRouteFilterSpec, pred: (h: Host) => boolean): boolean {
  const h = s.urlRewrite?.hostname;
  return h !== undefined && pred(h);
}

/**
 * The first of Envoy Gateway's CRD (CEL) rules the spec breaks, named by field: our CRDs do not carry them
 * (docs/policy-cel-validations.md), so the translator checks them.
 */
function celProblem(spec: HTTPRouteFilterSpec): FilterError | undefined {
  const hit = CEL_RULES.find((r) => r.broken(spec));
  return hit ? invalid(`spec.${hit.field}: ${hit.message}`) : undefined;
}

function compileSpec(spec: HTTPRouteFilterSpec, id: FilterId, refs: ExtensionRefIndex): RouteFilterParts | FilterError {
  const { ns } = id;
  const cel = celProblem(spec);
  if (cel) return cel;
  const urlRewrite = spec.urlRewrite ? compileRewrite(spec.urlRewrite) : undefined;
  if (isFilterError(urlRewrite)) return urlRewrite;
  const directResponse = spec.directResponse ? compileDirectResponse(spec.directResponse, ns, refs) : undefined;
  if (isFilterError(directResponse)) return directResponse;
  const credential = spec.credentialInjection ? compileCredential(spec.credentialInjection, id, refs) : undefined;
  if (isFilterError(credential)) return credential;
  const cookieMatches = spec.matches?.length ? compileCookieMatches(spec.matches) : undefined;
  if (isFilterError(cookieMatches)) return cookieMatches;
  return {
    ...(urlRewrite ? { urlRewrite } : {}),
    ...(directResponse ? { directResponse } : {}),
    ...(credential ? { credential } : {}),
    ...(cookieMatches ? { cookieMatches } : {}),
  };
}

function compileRewrite(rw: HTTPURLRewriteFilter): UrlRewriteTemplate | FilterError {
  let path: UrlRewriteTemplate["path"];
  if (rw.path) {
    const r = rw.path.replaceRegexMatch;
    if (rw.path.type !== "ReplaceRegexMatch" || !r?.pattern) {
      return plain('ReplaceRegexMatch Pattern must be set when rewrite path type is "ReplaceRegexMatch"');
    }
    if (re2Problem(r.pattern)) return plain("ReplaceRegexMatch must be a valid RE2 regular expression");
    path = { type: "ReplaceRegexMatch", pattern: r.pattern, substitution: r.substitution ?? "" };
  }
  const host = rw.hostname ? compileHost(rw.hostname) : undefined;
  if (isFilterError(host)) return host;
  return {
    ...(path ? { path } : {}),
    ...(host ? { host } : {}),
    ...(rw.appendXForwardedHost !== undefined ? { appendXForwardedHost: rw.appendXForwardedHost } : {}),
  };
}

function compileHost(h: NonNullable<HTTPURLRewriteFilter["hostname"]>): HostRewriteIr | FilterError {
  if (h.type === "Header") {
    if (!h.header) return plain('Header must be set when rewrite path type is "Header"');
    const bad = headerNameProblem(h.header);
    if (bad) return plain(`hostname header ${quote(h.header)} ${bad}`);
    return { type: "Header", header: h.header };
  }
  if (h.type === "Backend") return { type: "Backend" };
  const p = h.pathRegex;
  if (!p?.pattern || !p.substitution) {
    return plain('PathRegex Pattern and Substitution must be set when rewrite hostname type is "PathRegex"');
  }
  if (re2Problem(p.pattern)) return plain("PathRegex must be a valid RE2 regular expression");
  return { type: "PathRegex", pattern: p.pattern, substitution: p.substitution };
}

/** An HTTPRouteFilter problem Envoy Gateway reports with its own words only. */
function plain(error: string): FilterError {
  return { error, reason: Reason.UnsupportedValue };
}

function compileDirectResponse(
  dr: HTTPDirectResponseFilter,
  ns: string,
  refs: ExtensionRefIndex,
): DirectResponseTemplate | FilterError {
  const body = dr.body ? bodyOf(dr.body, ns, refs) : undefined;
  if (isFilterError(body)) return body;
  const header = dr.header
    ? compileHeaderModifier(dr.header, { where: "directResponse", matches: [] }, "header")
    : undefined;
  if (isFilterError(header)) return invalid(header.error);
  const contentType = dr.contentType !== undefined ? [{ name: "Content-Type", value: dr.contentType }] : [];
  const headers: HeaderModIr = {
    set: [...contentType, ...(header?.set ?? [])],
    add: [...(header?.add ?? [])],
    remove: [],
  };
  return { status: dr.statusCode ?? 200, ...(body !== undefined ? { body } : {}), headers };
}

function bodyOf(
  b: NonNullable<HTTPDirectResponseFilter["body"]>,
  ns: string,
  refs: ExtensionRefIndex,
): string | undefined | FilterError {
  if ((b.type ?? "Inline") !== "ValueRef") return b.inline;
  const name = b.valueRef?.name ?? "";
  const cm = refs.configMap(ns, name);
  if (!cm) return invalid(`can't find the referenced configmap ${ns}/${name}`);
  const text = configMapBody(cm);
  if (text === undefined) {
    return invalid(`can't find the key ${RESPONSE_BODY_KEY} in the referenced configmap ${ns}/${name}`);
  }
  return text;
}

function compileCredential(
  c: HTTPCredentialInjectionFilter,
  id: FilterId,
  refs: ExtensionRefIndex,
): CredentialTemplate | FilterError {
  if (c.header !== undefined) {
    const bad = headerNameProblem(c.header);
    if (bad) return invalid(`credentialInjection.header ${quote(c.header)} ${bad}`);
  }
  const value = credentialValue(c.credential?.valueRef, id.ns, refs);
  if (isFilterError(value)) return value;
  // Envoy Gateway's names: the filter instance `…/httproutefilter/<ns>/<name>`, its SDS secret
  // `credential_injector/credential/httproutefilter/<ns>/<name>`.
  const name = `httproutefilter/${id.ns}/${id.name}`;
  const secretName = `credential_injector/credential/${name}`;
  return {
    ir: {
      name,
      ...(c.header !== undefined ? { header: c.header } : {}),
      overwrite: c.overwrite ?? false,
      secret: secretName,
    },
    secret: { name: secretName, kind: "generic", value: value.toString("base64") },
  };
}

/**
 * The credential in key `credential` of the Secret `ref` names (a Secret in another namespace needs a
 * ReferenceGrant from HTTPRouteFilters of `ns`), or Envoy Gateway's message.
 */
function credentialValue(
  ref: SecretObjectReference | undefined,
  ns: string,
  refs: ExtensionRefIndex,
): Buffer | FilterError {
  if (!ref?.name) return invalid("credential.valueRef must name a Secret");
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Secret") !== "Secret") {
    return invalid("credential.valueRef must name a Secret (group empty, kind Secret)");
  }
  const secretNs = ref.namespace || ns;
  const from = { group: ENVOY_GATEWAY_GROUP, kind: HTTP_ROUTE_FILTER_KIND, namespace: ns };
  if (!refs.grants.allows(from, { group: "", kind: "Secret", namespace: secretNs, name: ref.name })) {
    return invalid(`ref to Secret ${secretNs}/${ref.name} not permitted by any ReferenceGrant`);
  }
  const secret = refs.secret(secretNs, ref.name);
  if (!secret) return invalid(`secret ${secretNs}/${ref.name} does not exist`);
  const plainValue = secret.stringData?.[INJECTED_CREDENTIAL_KEY];
  const b64 = secret.data?.[INJECTED_CREDENTIAL_KEY];
  const value = plainValue !== undefined ? Buffer.from(plainValue, "utf8") : Buffer.from(b64 ?? "", "base64");
  if (value.length === 0) {
    return invalid(`credential key ${INJECTED_CREDENTIAL_KEY} not found in secret ${secretNs}/${ref.name}`);
  }
  return value;
}

function compileCookieMatches(
  matches: NonNullable<HTTPRouteFilterSpec["matches"]>,
): (readonly CookieMatchIr[])[] | FilterError {
  const out: CookieMatchIr[][] = [];
  for (const m of matches) {
    const cookies: CookieMatchIr[] = [];
    for (const c of m.cookies ?? []) {
      const type = c.type ?? "Exact";
      if (type === "RegularExpression" && re2Problem(c.value)) {
        return plain(`cookie ${quote(c.name)}: ${quote(c.value)} is not a valid RE2 regular expression`);
      }
      cookies.push({ name: c.name, type, value: c.value });
    }
    out.push(cookies);
  }
  return out;
}
