/**
 * envoy.filters.http.buffer (rank 12), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `requestBuffer`): one Buffer on the HCM from the first route's limit,
 * `disabled: true`; each route's limit as BufferPerRoute, which also turns it on.
 */
import { Buffer, BufferPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/buffer/v3/buffer";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** Buffer, registered for Any packing. */
export const BufferType = registerType(Buffer);
/** BufferPerRoute, registered for Any packing. */
export const BufferPerRouteType = registerType(BufferPerRoute);

/** The buffer filter's registry entry. */
export const buffer: HttpFilterDef = {
  name: "envoy.filters.http.buffer",
  rank: 12,
  configType: BufferType.name,
  perRouteType: BufferPerRouteType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(BufferType, { maxRequestBytes: 1024 }),
};
