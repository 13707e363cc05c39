/**
 * envoy.filters.http.basic_auth (rank 8), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `basicAuth`): one filter, `disabled: true`, built from the first route's users (the
 * HCM config does not matter); each route gets its users as BasicAuthPerRoute, which also turns it on.
 */
import {
  BasicAuth,
  BasicAuthPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/basic_auth/v3/basic_auth";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** BasicAuth, registered for Any packing. */
export const BasicAuthType = registerType(BasicAuth);
/** BasicAuthPerRoute, registered for Any packing. */
export const BasicAuthPerRouteType = registerType(BasicAuthPerRoute);

/** The basic_auth filter's registry entry. */
export const basicAuth: HttpFilterDef = {
  name: "envoy.filters.http.basic_auth",
  rank: 8,
  configType: BasicAuthType.name,
  perRouteType: BasicAuthPerRouteType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(BasicAuthType, { users: { inlineString: "egts:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=" } }),
};
