/** HttpListenerIr → Envoy Listener with an HTTP connection manager that fetches its routes over RDS. */
import { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import {
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
} from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { pack } from "../../../../proto/any";
import type { HttpListenerIr } from "../../ir/xds-ir";
import { HcmType, RouterType } from "../types";
import { adsConfigSource } from "./config-source";

/**
 * Builds the Listener. It only names its RouteConfiguration, so route changes never touch the
 * listener (a listener update drains connections; a route update does not).
 */
export function buildHttpListener(ir: HttpListenerIr): Listener {
  const hcm = HttpConnectionManager.fromPartial({
    statPrefix: `http-${ir.port}`,
    codecType: HttpConnectionManager_CodecType.AUTO,
    rds: { routeConfigName: ir.name, configSource: adsConfigSource() },
    httpFilters: [
      { name: "envoy.filters.http.router", typedConfig: pack(RouterType, RouterType.codec.fromPartial({} as never)) },
    ],
  } as never);
  return Listener.fromPartial({
    name: ir.name,
    address: { socketAddress: { address: ir.address, portValue: ir.port } },
    filterChains: [
      { filters: [{ name: "envoy.filters.network.http_connection_manager", typedConfig: pack(HcmType, hcm) }] },
    ],
  } as never);
}
