/** RequestIdIr → the HTTP connection manager's request_id_extension (Envoy's UUID extension). */
import type { HttpConnectionManager } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { pack } from "../../../../proto/any";
import type { RequestIdIr } from "../../ir/xds-ir";
import { UuidRequestIdType } from "../extension-types";

/** The HCM field of `r`; none (Envoy's default extension) when absent. */
export function requestIdField(r: RequestIdIr | undefined): Partial<HttpConnectionManager> {
  if (!r) return {};
  return {
    requestIdExtension: {
      typedConfig: pack(
        UuidRequestIdType,
        UuidRequestIdType.codec.fromPartial({
          packTraceReason: r.packTraceReason,
          useRequestIdForTraceSampling: r.useRequestIdForTraceSampling,
        } as never),
      ),
    },
  };
}
