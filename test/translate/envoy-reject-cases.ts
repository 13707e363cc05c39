/**
 * Route values Envoy would reject (or the Gateway API CRD schema forbids), one case each: the rule YAML
 * (one item of an HTTPRoute's `rules`), the check that refuses it, and what the status message must name.
 * Shared by the translate table test and the real-Envoy proof (test/standalone/envoy-rejects.test.ts).
 */
import type { ValueCheck } from "../../operator/src/translate/validate-values";

/** One bad value. */
export interface RejectCase {
  /** Test name. */
  readonly name: string;
  /** One rule (YAML, indented for the `rules:` list), sending to Backend `web`. */
  readonly rule: string;
  /** The message must match (field path and value). */
  readonly message: RegExp;
  /** The check that refuses it (turned off to send the value to Envoy). */
  readonly check: ValueCheck;
  /** Envoy NACKs it (proved against real Envoy); false: only the CRD schema forbids it. */
  readonly envoyNacks: boolean;
}

const BACKEND = "backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]";

/** A rule with the given extra fields (YAML lines at rule level, indented by 6). */
function rule(fields: string): string {
  return `    - ${fields.trimStart()}\n      ${BACKEND}\n`;
}

/** A 26-way alternation repeated 8 times: RE2 program size 600+. */
export const TOO_BIG_REGEX = `^/(${Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i).repeat(3)).join("|")}){8}$`;

export const REJECT_CASES: readonly RejectCase[] = [
  {
    name: "path regex over RE2's program size limit",
    rule: rule(`matches: [{ path: { type: RegularExpression, value: "${TOO_BIG_REGEX}" } }]`),
    message: /matches\[0\]\.path\.value: the regular expression "\^\/\(aaa\|bbb.*too complex for Envoy.*limit of 100/,
    check: "regex",
    envoyNacks: true,
  },
  {
    name: "path regex with \\Z (not RE2 syntax)",
    rule: rule(`matches: [{ path: { type: RegularExpression, value: "^/end\\\\Z" } }]`),
    message: /matches\[0\]\.path\.value: the regular expression "\^\/end\\\\Z" does not parse as RE2.*\\Z/,
    check: "regex",
    envoyNacks: true,
  },
  {
    name: "header regex with a possessive quantifier",
    rule: rule(`matches: [{ headers: [{ name: x-v, type: RegularExpression, value: "a++" }] }]`),
    message: /matches\[0\]\.headers\[0\]\.value \(x-v\): the regular expression "a\+\+" does not parse as RE2/,
    check: "regex",
    envoyNacks: true,
  },
  {
    name: "PathPrefix with ?",
    rule: rule(`matches: [{ path: { type: PathPrefix, value: "/a?b=1" } }]`),
    message: /matches\[0\]\.path\.value "\/a\?b=1" must not contain "\?" or "#"/,
    check: "path",
    envoyNacks: true,
  },
  {
    name: "header match name with LF",
    rule: rule(`matches: [{ headers: [{ name: "x-a\\nb", value: v }] }]`),
    message: /matches\[0\]\.headers\[0\]\.name "x-a\\nb" contains the control character \\n/,
    check: "header",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier set value with CR LF",
    rule: rule(
      `filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-a, value: "v\\r\\nx-injected: 1" }] } }]`,
    ),
    message: /RequestHeaderModifier\.set\[0\]\.value "v\\r\\nx-injected: 1" contains the control character \\r/,
    check: "text",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier set value with a lone % (Envoy format string)",
    rule: rule(
      `filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-a, value: "50%" }] } }]`,
    ),
    message:
      /RequestHeaderModifier\.set\[0\]\.value "50%" has a "%" at position 2 that starts no Envoy command operator.*"%%"/,
    check: "format",
    envoyNacks: true,
  },
  {
    name: "ResponseHeaderModifier add value with an unknown command operator",
    rule: rule(
      `filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: x-a, value: "%FOO%" }] } }]`,
    ),
    message:
      /ResponseHeaderModifier\.add\[0\]\.value "%FOO%" uses the command operator %FOO%, which egts does not accept/,
    check: "format",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier add value with an unterminated operator",
    rule: rule(
      `filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { add: [{ name: x-a, value: "%REQ(x-b" }] } }]`,
    ),
    message:
      /RequestHeaderModifier\.add\[0\]\.value "%REQ\(x-b" has a "%" at position 0 that starts no Envoy command operator/,
    check: "format",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier add name with NUL",
    rule: rule(
      `filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { add: [{ name: "x-a\\0", value: v }] } }]`,
    ),
    message: /RequestHeaderModifier\.add\[0\]\.name "x-a\\u0000" contains the control character \\u0000/,
    check: "header",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier removes Host",
    rule: rule(`filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { remove: [Host] } }]`),
    message: /RequestHeaderModifier\.remove\[0\] "Host" cannot be modified by a header modifier/,
    check: "header",
    envoyNacks: true,
  },
  {
    name: "ResponseHeaderModifier sets :status",
    rule: rule(
      `filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: ":status", value: "200" }] } }]`,
    ),
    message: /ResponseHeaderModifier\.set\[0\]\.name ":status" is not a valid header name/,
    check: "header",
    envoyNacks: true,
  },
  {
    name: "URLRewrite hostname with LF",
    rule: rule(`filters: [{ type: URLRewrite, urlRewrite: { hostname: "a.example\\nx-injected: 1" } }]`),
    message: /URLRewrite hostname "a\.example\\nx-injected: 1" contains the control character \\n/,
    check: "text",
    envoyNacks: true,
  },
  {
    name: "URLRewrite ReplacePrefixMatch with NUL",
    rule: rule(
      `filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: "/x\\0y" } } }]`,
    ),
    message: /URLRewrite path\.replacePrefixMatch "\/x\\u0000y" contains the control character \\u0000/,
    check: "text",
    envoyNacks: true,
  },
  {
    name: "RequestRedirect hostname with CR",
    rule: `    - filters: [{ type: RequestRedirect, requestRedirect: { hostname: "a.example\\r" } }]\n`,
    message: /RequestRedirect hostname "a\.example\\r" contains the control character \\r/,
    check: "text",
    envoyNacks: true,
  },
  {
    name: "RequestRedirect ReplaceFullPath with LF",
    rule: `    - filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: "/a\\nb" } } }]\n`,
    message: /RequestRedirect path\.replaceFullPath "\/a\\nb" contains the control character \\n/,
    check: "text",
    envoyNacks: true,
  },
  {
    name: "RequestHeaderModifier header name with a space (CRD pattern)",
    rule: rule(
      `filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: "x a", value: v }] } }]`,
    ),
    message: /RequestHeaderModifier\.set\[0\]\.name "x a" is not a valid header name \(RFC 7230 token/,
    check: "header",
    envoyNacks: false,
  },
  {
    name: "RequestRedirect hostname with a space (CRD pattern)",
    rule: `    - filters: [{ type: RequestRedirect, requestRedirect: { hostname: "a b.example" } }]\n`,
    message: /RequestRedirect hostname "a b\.example" is not a valid hostname \(RFC 1123/,
    check: "text",
    envoyNacks: false,
  },
  {
    name: "URLRewrite ReplaceFullPath with a space",
    rule: rule(
      `filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: "/a b" } } }]`,
    ),
    message: /URLRewrite path\.replaceFullPath "\/a b" contains whitespace/,
    check: "text",
    envoyNacks: false,
  },
  {
    name: "CORS allowHeaders with a space (CRD pattern)",
    rule: rule(`filters: [{ type: CORS, cors: { allowOrigins: ["https://a.example"], allowHeaders: ["x y"] } }]`),
    message: /CORS allowHeaders\[0\] "x y" is not a valid header name/,
    check: "header",
    envoyNacks: false,
  },
  {
    name: "query parameter match name with a space (CRD pattern)",
    rule: rule(`matches: [{ queryParams: [{ name: "a b", value: v }] }]`),
    message: /matches\[0\]\.queryParams\[0\]\.name "a b" is not a valid header name/,
    check: "header",
    envoyNacks: false,
  },
];
