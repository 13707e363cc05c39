/**
 * envoy.filters.http.basic_auth (rank 8), placement `disabled`, fed by SecurityPolicy `basicAuth`
 * (RouteIr.security.basicAuth).
 *
 * As Envoy Gateway: one filter per policy, `envoy.filters.http.basic_auth/securitypolicy/<ns>/<name>`,
 * `disabled: true`, holding the users and `forward_username_header`; each route gets its users as
 * BasicAuthPerRoute under that name, which also turns the filter on. A changed users Secret changes both (LDS and
 * RDS update, no restart).
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type {
  BasicAuth,
  BasicAuthPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/basic_auth/v3/basic_auth";
import { registerLazyType } from "../../../../../proto/any";
import { namedInstances, type HttpFilterDef, packPartial } from "./registry";

/** BasicAuth, registered for Any packing. */
export const BasicAuthType = registerLazyType<BasicAuth>(
  "envoy/extensions/filters/http/basic_auth/v3/basic_auth",
  "BasicAuth",
);
/** BasicAuthPerRoute, registered for Any packing. */
export const BasicAuthPerRouteType = registerLazyType<BasicAuthPerRoute>(
  "envoy/extensions/filters/http/basic_auth/v3/basic_auth",
  "BasicAuthPerRoute",
);

const NAME = "envoy.filters.http.basic_auth";

/** The basic_auth filter's registry entry. */
export const basicAuth: HttpFilterDef = {
  name: NAME,
  rank: 8,
  configType: BasicAuthType.name,
  perRouteType: BasicAuthPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, NAME, (r) => (r.security?.basicAuth ? [r.security.basicAuth] : []))].map(
      ([name, b]) =>
        ({
          name,
          typedConfig: packPartial(BasicAuthType, {
            users: { inlineBytes: Buffer.from(b.users) },
            forwardUsernameHeader: b.forwardUsernameHeader ?? "",
          }),
          disabled: true,
        }) as HttpFilter,
    ),
  perRouteConfig: (r) => {
    const b = r.security?.basicAuth;
    if (!b) return undefined;
    return {
      [`${NAME}/${b.name}`]: packPartial(BasicAuthPerRouteType, { users: { inlineBytes: Buffer.from(b.users) } }),
    };
  },
  sampleConfig: () => packPartial(BasicAuthType, { users: { inlineString: "egts:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=" } }),
};
