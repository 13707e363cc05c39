/**
 * envoy.filters.http.custom_response (rank 0), placement `disabled`, fed by BackendTrafficPolicy `responseOverride`
 * (`RouteIr.traffic.responseOverride`).
 *
 * As Envoy Gateway: one filter per policy, `envoy.filters.http.custom_response/backendtrafficpolicy/<ns>/<name>`,
 * holding the rules as a matcher list (first match wins), `disabled: true` on the HCM; a route turns it on with
 * FilterConfig. Placed first so it sees local replies too. A rule's predicate is the AND of: any of its status
 * codes (the code as text, compared exactly; a range as an RE2 pattern over the three digits, where Envoy Gateway
 * uses a CEL matcher) and all of its response headers. Its action is a LocalResponsePolicy (body as a text
 * format, Content-Type, status, headers) or a RedirectPolicy. A further distinct set of rules under one policy
 * name on a listener gets its own `/N` instance.
 */
import type { CustomResponse } from "../../../../../proto/gen/envoy/extensions/filters/http/custom_response/v3/custom_response";
import type { LocalResponsePolicy } from "../../../../../proto/gen/envoy/extensions/http/custom_response/local_response_policy/v3/local_response_policy";
import type { RedirectPolicy } from "../../../../../proto/gen/envoy/extensions/http/custom_response/redirect_policy/v3/redirect_policy";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { HttpResponseHeaderMatchInput } from "../../../../../proto/gen/envoy/type/matcher/v3/http_inputs";
import type { HttpResponseStatusCodeMatchInput } from "../../../../../proto/gen/envoy/type/matcher/v3/status_code_input";
import { HeaderValueOption_HeaderAppendAction } from "../../../../../proto/gen/envoy/config/core/v3/base";
import { registerLazyType } from "../../../../../proto/any";
import type { ResponseOverrideRuleIr, StatusCodeMatchIr } from "../../../ir/response-override-ir";
import type { HttpListenerIr, RouteIr } from "../../../ir/xds-ir";
import { headerOptions } from "../route-filters";
import {
  enableOnRoute,
  FilterConfigType,
  filterInstances,
  type FilterInstance,
  type HttpFilterDef,
  instanceKey,
  packPartial,
} from "./registry";

/** CustomResponse, registered for Any packing. */
export const CustomResponseType = registerLazyType<CustomResponse>(
  "envoy/extensions/filters/http/custom_response/v3/custom_response",
  "CustomResponse",
);
const LocalResponsePolicyType = registerLazyType<LocalResponsePolicy>(
  "envoy/extensions/http/custom_response/local_response_policy/v3/local_response_policy",
  "LocalResponsePolicy",
);
const RedirectPolicyType = registerLazyType<RedirectPolicy>(
  "envoy/extensions/http/custom_response/redirect_policy/v3/redirect_policy",
  "RedirectPolicy",
);
const StatusCodeInputType = registerLazyType<HttpResponseStatusCodeMatchInput>(
  "envoy/type/matcher/v3/status_code_input",
  "HttpResponseStatusCodeMatchInput",
);
const HeaderInputType = registerLazyType<HttpResponseHeaderMatchInput>(
  "envoy/type/matcher/v3/http_inputs",
  "HttpResponseHeaderMatchInput",
);

const NAME = "envoy.filters.http.custom_response";

/** The custom_response filter's registry entry. */
export const customResponse: HttpFilterDef = {
  name: NAME,
  rank: 0,
  configType: CustomResponseType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...instances(listener).values()].map(
      (i) =>
        ({
          name: i.name,
          typedConfig: packPartial(CustomResponseType, config(i.config.prefix, i.config.rules)),
          disabled: true,
        }) as HttpFilter,
    ),
  // perRouteConfig names the listener's instance of the route's setting.
  routeContext: (listener) => [...instances(listener)].map(([key, i]) => [key, i.name]),
  perRouteConfig: (route, listener) => {
    const c = routeConfig(route);
    if (!c) return undefined;
    const instance = instances(listener).get(instanceKey(`${NAME}/${c.prefix}`, c));
    return instance ? { [instance.name]: enableOnRoute() } : undefined;
  },
  sampleConfig: () => packPartial(CustomResponseType, {}),
};

interface OverrideConfig {
  /** `backendtrafficpolicy/<ns>/<name>` of the route's (most specific) policy. */
  readonly prefix: string;
  readonly rules: readonly ResponseOverrideRuleIr[];
}

function routeConfig(route: RouteIr): OverrideConfig | undefined {
  const rules = route.traffic?.responseOverride;
  if (!rules) return undefined;
  // `policy` is `ns/name`, or the merged chain `ns/name+ns/parent`: the most specific policy names the instance.
  const policy = route.traffic?.policy.split("+")[0] ?? "";
  return { prefix: `backendtrafficpolicy/${policy}`, rules };
}

function instances(listener: HttpListenerIr): Map<string, FilterInstance<OverrideConfig>> {
  return filterInstances(listener, (r) => {
    const c = routeConfig(r);
    return c ? [{ base: `${NAME}/${c.prefix}`, config: c }] : [];
  });
}

function config(prefix: string, rules: readonly ResponseOverrideRuleIr[]): object {
  return {
    customResponseMatcher: {
      matcherList: {
        matchers: rules.map((r, i) => ({
          predicate: all([
            ...(r.statusCodes.length > 0 ? [any(r.statusCodes.map(statusPredicate))] : []),
            ...r.responseHeaders.map((h) =>
              single(
                "http-response-header-match-input",
                packPartial(HeaderInputType, { headerName: h.name }),
                stringMatcher(h.type, h.value),
              ),
            ),
          ]),
          onMatch: { action: { name: `${prefix}/responseoverride/rule/${i}`, typedConfig: action(r) } },
        })),
      },
    },
  };
}

function all(predicates: object[]): object {
  return predicates.length === 1 ? predicates[0] : { andMatcher: { predicate: predicates } };
}

function any(predicates: object[]): object {
  return predicates.length === 1 ? predicates[0] : { orMatcher: { predicate: predicates } };
}

function single(inputName: string, input: object, valueMatch: object): object {
  return { singlePredicate: { input: { name: inputName, typedConfig: input }, valueMatch } };
}

function statusPredicate(c: StatusCodeMatchIr): object {
  const input = packPartial(StatusCodeInputType, {});
  const match =
    "value" in c
      ? { exact: String(c.value) }
      : { safeRegex: re2(`^(?:${rangePattern(c.start, c.end, 3).join("|")})$`) };
  return single("http-response-status-code-match-input", input, match);
}

/** An xds RegexMatcher: unlike Envoy's own, it requires the engine to be named. */
function re2(regex: string): object {
  return { googleRe2: {}, regex };
}

function stringMatcher(type: string, value: string): object {
  if (type === "Prefix") return { prefix: value };
  if (type === "Suffix") return { suffix: value };
  if (type === "RegularExpression") return { safeRegex: re2(value) };
  return { exact: value };
}

/**
 * RE2 alternatives matching exactly the `width`-digit numbers from `lo` to `hi` (e.g. 404–503 → `40[4-9]`,
 * `4[1-9][0-9]`, `50[0-3]`): a handful of character-class terms, far below Envoy's regex program size limit.
 */
export function rangePattern(lo: number, hi: number, width: number): string[] {
  if (width === 0) return [""];
  const p = 10 ** (width - 1);
  const [loDigit, hiDigit, loRest, hiRest] = [Math.floor(lo / p), Math.floor(hi / p), lo % p, hi % p];
  if (loDigit === hiDigit) return rangePattern(loRest, hiRest, width - 1).map((r) => `${loDigit}${r}`);
  const out: string[] = [];
  let first = loDigit;
  let last = hiDigit;
  if (loRest !== 0) {
    out.push(...rangePattern(loRest, p - 1, width - 1).map((r) => `${loDigit}${r}`));
    first++;
  }
  const tail = hiRest !== p - 1 ? rangePattern(0, hiRest, width - 1).map((r) => `${hiDigit}${r}`) : [];
  if (hiRest !== p - 1) last--;
  if (first <= last) out.push(`${first === last ? first : `[${first}-${last}]`}${"[0-9]".repeat(width - 1)}`);
  return [...out, ...tail];
}

function action(r: ResponseOverrideRuleIr): object {
  if (r.redirect) {
    const d = r.redirect;
    return packPartial(RedirectPolicyType, {
      redirectAction: {
        ...(d.scheme !== undefined ? { schemeRedirect: d.scheme } : {}),
        ...(d.hostname !== undefined ? { hostRedirect: d.hostname } : {}),
        ...(d.port !== undefined ? { portRedirect: d.port } : {}),
        ...(d.path !== undefined ? { pathRedirect: d.path } : {}),
      },
      statusCode: d.statusCode,
    });
  }
  const c = r.response ?? {};
  return packPartial(LocalResponsePolicyType, {
    ...(c.body !== undefined && c.body !== "" ? { bodyFormat: { textFormat: c.body } } : {}),
    ...(c.statusCode !== undefined ? { statusCode: c.statusCode } : {}),
    responseHeadersToAdd: [
      ...(c.contentType
        ? [
            {
              header: { key: "Content-Type", value: c.contentType },
              appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
            },
          ]
        : []),
      ...(c.headers ? headerOptions(c.headers) : []),
    ],
  });
}
