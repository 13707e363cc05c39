/**
 * envoy.filters.http.credential_injector (rank 307), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (HTTPRouteFilter / BackendTrafficPolicy credential injection): one filter per route,
 * `envoy.filters.http.credential_injector/<route>`, with a generic credential read from an SDS secret, `disabled:
 * true`; the route turns it on with FilterConfig.
 */
import { CredentialInjector } from "../../../../../proto/gen/envoy/extensions/filters/http/credential_injector/v3/credential_injector";
import { Generic } from "../../../../../proto/gen/envoy/extensions/http/injected_credentials/generic/v3/generic";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef, packPartial, sampleSdsSecret } from "./registry";

/** CredentialInjector, registered for Any packing. */
export const CredentialInjectorType = registerType(CredentialInjector);
const GenericCredentialType = registerType(Generic);

/** The credential_injector filter's registry entry. */
export const credentialInjector: HttpFilterDef = {
  name: "envoy.filters.http.credential_injector",
  rank: 307,
  configType: CredentialInjectorType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  sampleConfig: () =>
    packPartial(CredentialInjectorType, {
      credential: {
        name: "envoy.http.injected_credentials.generic",
        typedConfig: packPartial(GenericCredentialType, { credential: sampleSdsSecret() }),
      },
    }),
};
