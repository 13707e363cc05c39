/**
 * BackendTrafficPolicy `responseOverride`, normalized for Envoy's custom_response filter
 * (xds/translate/filters/custom-response.ts): ordered rules, the first whose match holds replaces the response.
 */
import type { HeaderModIr } from "./xds-ir";

/** A status code, or an inclusive range of them. */
export type StatusCodeMatchIr = { readonly value: number } | { readonly start: number; readonly end: number };

/** A response header condition. */
export interface ResponseHeaderMatchIr {
  /** Header name. */
  readonly name: string;
  /** How the value is compared. */
  readonly type: "Exact" | "Prefix" | "Suffix" | "RegularExpression";
  /** Value or RE2 pattern. */
  readonly value: string;
}

/** A response sent instead. */
export interface CustomResponseIr {
  /** Body (an Envoy format string, as Envoy Gateway passes it); absent keeps the original body. */
  readonly body?: string;
  /** Content-Type set on the response. */
  readonly contentType?: string;
  /** Status sent instead of the original. */
  readonly statusCode?: number;
  /** Response headers set and added (none removed). */
  readonly headers?: HeaderModIr;
}

/** A redirect sent instead. */
export interface CustomRedirectIr {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly port?: number;
  /** The whole new path. */
  readonly path?: string;
  /** 301 or 302. */
  readonly statusCode: number;
}

/**
 * One override rule. The filter instance and its rules are named after the route's policy (`RouteTrafficIr.policy`,
 * the most specific one) as Envoy Gateway names them: `backendtrafficpolicy/<ns>/<name>[/responseoverride/rule/<i>]`.
 */
export interface ResponseOverrideRuleIr {
  /** Status conditions, any one (none: not checked). */
  readonly statusCodes: readonly StatusCodeMatchIr[];
  /** Header conditions, all of them (none: not checked). */
  readonly responseHeaders: readonly ResponseHeaderMatchIr[];
  /** Exactly one of response and redirect. */
  readonly response?: CustomResponseIr;
  readonly redirect?: CustomRedirectIr;
}
