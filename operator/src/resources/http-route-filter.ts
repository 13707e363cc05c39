/**
 * HTTPRouteFilter spec (gateway.envoyproxy.io/v1alpha1): filters beyond the Gateway API's, used from an
 * HTTPRoute rule through an `ExtensionRef` filter (regex URL rewrites, direct responses, credential injection).
 * Field names, enums, bounds and defaults follow Envoy Gateway v1.9's API reference.
 */
import type { CustomResponseBody, GatewayHTTPHeaderFilter, SecretObjectReference } from "./policy-common";

/** HTTPRouteFilter spec. */
export interface HTTPRouteFilterSpec {
  /** Rewrite the host or the path. */
  readonly urlRewrite?: HTTPURLRewriteFilter;
  /** Answer the request directly. */
  readonly directResponse?: HTTPDirectResponseFilter;
  /** Add a credential from a Secret to the request. */
  readonly credentialInjection?: HTTPCredentialInjectionFilter;
  /** Extra request conditions of the rule using this filter; any one matches. @maxItems 8 */
  readonly matches?: readonly HTTPRouteMatchFilter[];
}

/** Extra request conditions. */
export interface HTTPRouteMatchFilter {
  /** Cookies; all must match. @minItems 1 @maxItems 16 */
  readonly cookies?: readonly HTTPCookieMatch[];
}

/** How a cookie is compared. */
export type CookieMatchType = "Exact" | "RegularExpression";

/** A cookie condition. */
export interface HTTPCookieMatch {
  /** How to compare. @default Exact */
  readonly type?: CookieMatchType;
  /** Cookie name. @minLength 1 @maxLength 256 */
  readonly name: string;
  /** Value to compare with. @minLength 1 @maxLength 4096 */
  readonly value: string;
}

/** A URL rewrite. */
export interface HTTPURLRewriteFilter {
  /** New host. */
  readonly hostname?: HTTPHostnameModifier;
  /** New path. */
  readonly path?: HTTPPathModifier;
  /** Add the original host in `X-Forwarded-Host`. @default true */
  readonly appendXForwardedHost?: boolean;
}

/** Where the new host comes from. */
export interface HTTPHostnameModifier {
  /** A request header, the backend's address, or a regex rewrite of the path. */
  readonly type: "Header" | "Backend" | "PathRegex";
  /** Header holding the new host (type Header). */
  readonly header?: string;
  /** Regex rewrite producing the new host from the path (type PathRegex). */
  readonly pathRegex?: HostnamePathRegexRewrite;
}

/** A host taken from the path by a regex. */
export interface HostnamePathRegexRewrite {
  /** RE2 regex matched against the path. @minLength 1 */
  readonly pattern: string;
  /** The host, with `\N` capture groups. @minLength 1 @pattern ^[^\r\n\x00]*$ */
  readonly substitution: string;
}

/** A path rewrite. */
export interface HTTPPathModifier {
  /** Kind of rewrite. */
  readonly type: "ReplaceRegexMatch";
  /** Regex rewrite (type ReplaceRegexMatch). */
  readonly replaceRegexMatch?: ReplaceRegexMatch;
}

/** A regex rewrite. */
export interface ReplaceRegexMatch {
  /** RE2 regex. @minLength 1 */
  readonly pattern: string;
  /** Replacement, with `\N` capture groups. */
  readonly substitution: string;
}

/** A direct response. */
export interface HTTPDirectResponseFilter {
  /** Content-Type of the body. */
  readonly contentType?: string;
  /** The body. */
  readonly body?: CustomResponseBody;
  /** Status code. @default 200 */
  readonly statusCode?: number;
  /** Header changes. */
  readonly header?: GatewayHTTPHeaderFilter;
}

/** Credential injection. */
export interface HTTPCredentialInjectionFilter {
  /** Header the credential goes in. @default Authorization */
  readonly header?: string;
  /** Replace a credential already in the request. @default false */
  readonly overwrite?: boolean;
  /** The credential. */
  readonly credential: InjectedCredential;
}

/** An injected credential. */
export interface InjectedCredential {
  /** Secret holding the value in key `credential`. */
  readonly valueRef: SecretObjectReference;
}
