/**
 * envoy.filters.http.ext_proc (rank 100 + index), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (EnvoyExtensionPolicy `extProc`): one filter per processor,
 * `envoy.filters.http.ext_proc/<policy>/<index>`, `disabled: true`, ranked 100 + index; a route turns it on with
 * FilterConfig.
 */
import { ExternalProcessor } from "../../../../../proto/gen/envoy/extensions/filters/http/ext_proc/v3/ext_proc";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef, packPartial, sampleGrpcService } from "./registry";

/** ExternalProcessor, registered for Any packing. */
export const ExtProcType = registerType(ExternalProcessor);

/** The ext_proc filter's registry entry. */
export const extProc: HttpFilterDef = {
  name: "envoy.filters.http.ext_proc",
  rank: 100,
  indexed: true,
  configType: ExtProcType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(ExtProcType, { grpcService: sampleGrpcService() }),
};
