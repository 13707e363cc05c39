/** What a rule's (or backendRef's) filters compile to, before the rule's matches and listeners are known. */
import type {
  CookieMatchIr,
  CorsIr,
  CredentialInjectionIr,
  GenericSecretIr,
  HeaderModIr,
  HostRewriteIr,
  RedirectIr,
} from "../../ir/xds-ir";
import type { ExtensionRefIndex } from "./extension-refs";
import type { BackendRef, HTTPRouteMatch } from "../../resources/gateway-api";
import type { ExtensionObjects } from "../extension-objects";

/** A path change whose matched prefix is filled in per match. */
export type PathTemplate =
  | { readonly type: "ReplaceFullPath"; readonly value: string }
  | { readonly type: "ReplacePrefixMatch"; readonly value: string }
  | { readonly type: "ReplaceRegexMatch"; readonly pattern: string; readonly substitution: string };

/** A URL rewrite (URLRewrite, or an HTTPRouteFilter's `urlRewrite`) before the matched prefix is known. */
export interface UrlRewriteTemplate {
  /** New Host (URLRewrite). */
  readonly hostname?: string;
  /** New Host from a header, the backend or the path (HTTPRouteFilter). */
  readonly host?: HostRewriteIr;
  /** Path change. */
  readonly path?: PathTemplate;
  /** With a Host rewrite: add the original Host to X-Forwarded-Host (HTTPRouteFilter). @default true */
  readonly appendXForwardedHost?: boolean;
}

/** A direct response (HTTPRouteFilter `directResponse`). */
export interface DirectResponseTemplate {
  /** Status code. */
  readonly status: number;
  /** Body; absent: none. */
  readonly body?: string;
  /** Response headers (Content-Type, `header.set`, `header.add`). */
  readonly headers: HeaderModIr;
}

/** Credential injection (HTTPRouteFilter `credentialInjection`), with the secret it reads. */
export interface CredentialTemplate {
  /** What the route carries. */
  readonly ir: CredentialInjectionIr;
  /** The generic SDS secret to serve. */
  readonly secret: GenericSecretIr;
}

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
  /** URLRewrite, and HTTPRouteFilter `urlRewrite`. */
  urlRewrite?: UrlRewriteTemplate;
  /** RequestMirror (may repeat). */
  mirrors: MirrorRequest[];
  /** CORS. */
  cors?: CorsIr;
  /** HTTPRouteFilter `directResponse`: the rule answers it instead of forwarding. */
  directResponse?: DirectResponseTemplate;
  /** HTTPRouteFilter `credentialInjection`. */
  credential?: CredentialTemplate;
  /** HTTPRouteFilter `matches`: cookie conditions, one list per alternative, ANDed with each rule match. */
  cookieMatches?: readonly (readonly CookieMatchIr[])[];
  /** ExtensionRef filters naming extension-owned objects: their JSON (may repeat). */
  extensionRefs?: string[];
}

/** What a filter compiler needs to know about where the filter is. */
export interface FilterContext {
  /** Where the filter is, for messages, e.g. `rule 0` or `rule "login" backendRef 1`. */
  readonly where: string;
  /** The rule's matches (defaulted). */
  readonly matches: readonly HTTPRouteMatch[];
  /** The route's namespace (where an ExtensionRef's object is looked up); absent: ExtensionRef is refused. */
  readonly namespace?: string;
  /** What ExtensionRef filters refer to; absent: ExtensionRef is refused. */
  readonly extensions?: ExtensionRefTargets;
}

/** What an ExtensionRef filter may name. */
export interface ExtensionRefTargets {
  /** HTTPRouteFilters (gateway.envoyproxy.io) and what they read. */
  readonly routeFilters: ExtensionRefIndex;
  /** Objects of the kinds the extension server owns (`extensionManager.resources`). @default none */
  readonly owned?: ExtensionObjects;
}

/** A filter the translator cannot program: the route is not accepted, with this message. */
export interface FilterError {
  /** What is wrong and how to fix it. */
  readonly error: string;
  /** Condition reason (UnsupportedValue unless said otherwise). */
  readonly reason?: string;
  /**
   * An unresolved reference (an ExtensionRef naming nothing): the route stays Accepted with ResolvedRefs=False and
   * this message, and the rule answers 500 (GEP-1364), instead of the rule being dropped. @default false
   */
  readonly unresolved?: boolean;
}

/** True when a compile result is an error. */
export function isFilterError(x: unknown): x is FilterError {
  return typeof x === "object" && x !== null && typeof (x as FilterError).error === "string";
}
