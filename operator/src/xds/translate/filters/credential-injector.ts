/**
 * envoy.filters.http.credential_injector (rank 307), placement `disabled`, fed by HTTPRouteFilter
 * `credentialInjection` (RouteIr.credentialInjection, or WeightedDestinationIr.credentialInjection for a backendRef's).
 *
 * As in Envoy Gateway: one HCM filter per HTTPRouteFilter, `envoy.filters.http.credential_injector/httproutefilter/
 * <ns>/<name>`, `disabled: true`, with a generic credential read from an SDS secret over ADS
 * (`credential_injector/credential/httproutefilter/<ns>/<name>`, in GatewayXdsIr.secrets); a route (or one weighted
 * cluster of it) turns it on with an empty FilterConfig.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { CredentialInjector } from "../../../../../proto/gen/envoy/extensions/filters/http/credential_injector/v3/credential_injector";
import type { Generic } from "../../../../../proto/gen/envoy/extensions/http/injected_credentials/generic/v3/generic";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import { registerLazyType } from "../../../../../proto/any";
import type { CredentialInjectionIr, RouteIr } from "../../../ir/xds-ir";
import {
  enableOnRoute,
  FilterConfigType,
  type HttpFilterDef,
  namedInstances,
  packPartial,
  sampleSdsSecret,
} from "./registry";

/** CredentialInjector, registered for Any packing. */
export const CredentialInjectorType = registerLazyType<CredentialInjector>(
  "envoy/extensions/filters/http/credential_injector/v3/credential_injector",
  "CredentialInjector",
);
const GenericCredentialType = registerLazyType<Generic>(
  "envoy/extensions/http/injected_credentials/generic/v3/generic",
  "Generic",
);

const NAME = "envoy.filters.http.credential_injector";

/** The credential injections a route uses: its own and its weighted destinations'. */
function injectionsOf(r: RouteIr): CredentialInjectionIr[] {
  const own = r.credentialInjection ? [r.credentialInjection] : [];
  const dests = r.action.kind === "forward" ? r.action.destinations : [];
  return [...own, ...dests.flatMap((d) => (d.credentialInjection ? [d.credentialInjection] : []))];
}

/** The HCM-level config of one injection. */
function injectorConfig(c: CredentialInjectionIr): Any {
  return packPartial(CredentialInjectorType, {
    overwrite: c.overwrite,
    credential: {
      name: "envoy.http.injected_credentials.generic",
      typedConfig: packPartial(GenericCredentialType, {
        credential: sampleSdsSecret(c.secret),
        ...(c.header ? { header: c.header } : {}),
      }),
    },
  });
}

/** The `typed_per_filter_config` entry that turns an injection on (a route or a weighted cluster). */
export function credentialPerRoute(c: CredentialInjectionIr): Record<string, Any> {
  return { [`${NAME}/${c.name}`]: enableOnRoute() };
}

/** The credential_injector filter's registry entry. */
export const credentialInjector: HttpFilterDef = {
  name: NAME,
  rank: 307,
  configType: CredentialInjectorType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, NAME, injectionsOf)].map(
      ([name, c]) => ({ name, typedConfig: injectorConfig(c), disabled: true }) as HttpFilter,
    ),
  perRouteConfig: (r) => (r.credentialInjection ? credentialPerRoute(r.credentialInjection) : undefined),
  sampleConfig: () =>
    packPartial(CredentialInjectorType, {
      credential: {
        name: "envoy.http.injected_credentials.generic",
        typedConfig: packPartial(GenericCredentialType, { credential: sampleSdsSecret() }),
      },
    }),
};
