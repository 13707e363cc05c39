/**
 * envoy.filters.http.buffer (rank 12), placement `disabled`, fed by BackendTrafficPolicy `requestBuffer`
 * (`RouteIr.traffic.requestBufferBytes`).
 *
 * As Envoy Gateway: one Buffer on the HCM from the first such route's limit, `disabled: true`, when some route of
 * the listener buffers requests; each route's limit as BufferPerRoute, which also turns it on. A request whose
 * body exceeds the limit is answered 413 by Envoy; others reach the backend whole.
 */
import type { Buffer, BufferPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/buffer/v3/buffer";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** Buffer, registered for Any packing. */
export const BufferType = registerLazyType<Buffer>("envoy/extensions/filters/http/buffer/v3/buffer", "Buffer");
/** BufferPerRoute, registered for Any packing. */
export const BufferPerRouteType = registerLazyType<BufferPerRoute>(
  "envoy/extensions/filters/http/buffer/v3/buffer",
  "BufferPerRoute",
);

const NAME = "envoy.filters.http.buffer";

/** The buffer filter's registry entry. */
export const buffer: HttpFilterDef = {
  name: NAME,
  rank: 12,
  configType: BufferType.name,
  perRouteType: BufferPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) => {
    const first = listener.virtualHosts
      .flatMap((vh) => vh.routes)
      .find((r) => r.traffic?.requestBufferBytes !== undefined)?.traffic?.requestBufferBytes;
    return first === undefined
      ? []
      : [
          {
            name: NAME,
            typedConfig: packPartial(BufferType, { maxRequestBytes: first }),
            disabled: true,
          } as HttpFilter,
        ];
  },
  perRouteConfig: (route) => {
    const bytes = route.traffic?.requestBufferBytes;
    return bytes === undefined
      ? undefined
      : { [NAME]: packPartial(BufferPerRouteType, { buffer: { maxRequestBytes: bytes } }) };
  },
  sampleConfig: () => packPartial(BufferType, { maxRequestBytes: 1024 }),
};
