/** What a rule's (or backendRef's) filters compile to, before the rule's matches and listeners are known. */
import type { CorsIr, HeaderModIr, RedirectIr } from "../../ir/xds-ir";
import type { BackendRef, HTTPRouteMatch } from "../../resources/gateway-api";
import type { ExtensionObjects } from "../extension-objects";

/** A path change whose matched prefix is filled in per match. */
export type PathTemplate =
  | { readonly type: "ReplaceFullPath"; readonly value: string }
  | { readonly type: "ReplacePrefixMatch"; readonly value: string };

/** A redirect whose port depends on the listener it is served on. */
export interface RedirectTemplate {
  /** Scheme of the Location; absent keeps the request's. */
  readonly scheme?: "http" | "https";
  /** Host of the Location. */
  readonly hostname?: string;
  /** Explicit port of the Location. */
  readonly port?: number;
  /** Path change. */
  readonly path?: PathTemplate;
  /** Status code. */
  readonly statusCode: RedirectIr["statusCode"];
}

/** A mirror whose backend is resolved later (it needs the backend index and may fail). */
export interface MirrorRequest {
  /** The backend to copy requests to. */
  readonly backendRef: BackendRef;
  /** Share mirrored, in millionths. */
  readonly perMillion: number;
}

/** The compiled filters of one rule. */
export interface RuleFilters {
  /** RequestHeaderModifier. */
  requestHeaders?: HeaderModIr;
  /** ResponseHeaderModifier. */
  responseHeaders?: HeaderModIr;
  /** RequestRedirect. */
  redirect?: RedirectTemplate;
  /** URLRewrite. */
  urlRewrite?: { readonly hostname?: string; readonly path?: PathTemplate };
  /** RequestMirror (may repeat). */
  mirrors: MirrorRequest[];
  /** CORS. */
  cors?: CorsIr;
  /** ExtensionRef filters naming extension-owned objects: their JSON (may repeat). */
  extensionRefs?: string[];
}

/** What a filter compiler needs to know about where the filter is. */
export interface FilterContext {
  /** Where the filter is, for messages, e.g. `rule 0` or `rule "login" backendRef 1`. */
  readonly where: string;
  /** The rule's matches (defaulted). */
  readonly matches: readonly HTTPRouteMatch[];
  /** The route's namespace (where ExtensionRef objects are looked up). @default "default" */
  readonly namespace?: string;
  /** The extension-owned objects ExtensionRef filters may name. @default none */
  readonly extensions?: ExtensionObjects;
}

/** A filter the translator cannot program: the route is not accepted, with this message. */
export interface FilterError {
  /** What is wrong and how to fix it. */
  readonly error: string;
  /** Condition reason (UnsupportedValue unless said otherwise). */
  readonly reason?: string;
}

/** True when a compile result is an error. */
export function isFilterError(x: unknown): x is FilterError {
  return typeof x === "object" && x !== null && typeof (x as FilterError).error === "string";
}
