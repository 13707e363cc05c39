/** A route rule match attached to a listener: the unit the virtual host builder sorts. */
import type { RouteIr } from "../ir/xds-ir";

/** One (rule, match) of a route, attached to one listener for one hostname. */
export interface RouteEntry {
  /** Hostname it serves (`*` for any). */
  readonly hostname: string;
  /**
   * The route's own hostname that gave `hostname` (`*` when the route has none): among entries of equal
   * `hostname`, the more specific origin comes first (GatewayRouteHostnameIntersectionPrecedence).
   */
  readonly origin?: string;
  /** The IR route. */
  readonly route: RouteIr;
  /** Sort keys for the spec's precedence ties: creation time, `namespace/name`, rule and match index. */
  readonly tie: { readonly created: string; readonly key: string; readonly rule: number; readonly match: number };
  /**
   * Set for a GRPCRoute's entry: its precedence key (service, method, header matches; see grpcroute.ts),
   * compared element by element, larger first. Absent for an HTTPRoute's entry.
   */
  readonly grpc?: readonly number[];
}
