/**
 * A bootstrap that holds a node's Envoy resources as static resources, for `envoy --mode validate`: Envoy then
 * checks them as it would an xDS update (the checks our schema cannot make: PGV rules, extension configs, regexes,
 * references between fields). Resources that reach each other over ADS are wired statically: an HCM's RDS name
 * becomes its inline route configuration (with `validate_clusters: false`, RDS's default), an EDS cluster gets its ClusterLoadAssignment inline (as a STATIC
 * cluster), an SDS reference to a node Secret drops its config source so the static Secret answers it. What is not
 * on the node stays on ADS (the bootstrap has an ADS source that validation never dials). Written as binary proto
 * through protobuf-es, so fields the schema does not know travel unchanged.
 */
import type { DescMessage, FileRegistry, Message } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { buildBootstrap } from "../../infra/bootstrap";
import type { NodeResources } from "../translate/resources";
import { xdsRegistry } from "./protojson";
import { protobufPackage, protobufWktPackage } from "../../optional-packages";

const T = {
  Listener: "envoy.config.listener.v3.Listener",
  Route: "envoy.config.route.v3.RouteConfiguration",
  Cluster: "envoy.config.cluster.v3.Cluster",
  Endpoint: "envoy.config.endpoint.v3.ClusterLoadAssignment",
  Secret: "envoy.extensions.transport_sockets.tls.v3.Secret",
  Hcm: "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  Sds: "envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig",
  Bootstrap: "envoy.config.bootstrap.v3.Bootstrap",
} as const;

/** Cluster.DiscoveryType values used here. */
const STATIC = 0;
const EDS = 3;

type Msg = Message & Record<string, unknown>;

/** The binary (`.pb`) bootstrap of node `nodeId` holding `resources` statically. */
export function validationBootstrap(nodeId: string, resources: NodeResources): Uint8Array {
  const reg = xdsRegistry();
  const decode = (type: string): Map<string, Msg> => {
    const desc = schema(reg, type);
    return new Map(
      [...(resources.get(`type.googleapis.com/${type}`) ?? new Map<string, Any>())].map(([name, any]) => [
        name,
        protobufPackage().fromBinary(desc, (any as { value: Uint8Array }).value) as Msg,
      ]),
    );
  };
  const routes = decode(T.Route);
  const endpoints = decode(T.Endpoint);
  const secrets = decode(T.Secret);
  const wire = (m: Msg): boolean => wireHcm(m, routes) || wireSds(m, secrets) || wireEds(m, endpoints);
  const listeners = [...decode(T.Listener).values()];
  const clusters = [...decode(T.Cluster).values()];
  for (const m of [...listeners, ...clusters, ...secrets.values()]) walk(m, reg, wire);
  const base = buildBootstrap({ nodeId, xdsHost: "127.0.0.1", xdsPort: 18000, adminPort: 0 });
  const dynamic = base.dynamic_resources as Record<string, unknown>;
  delete dynamic.lds_config; // listeners and clusters are static here
  delete dynamic.cds_config;
  const desc = schema(reg, T.Bootstrap);
  const bootstrap = protobufPackage().fromJson(desc, base as never, { registry: reg }) as Msg;
  const statics = bootstrap.staticResources as { listeners: Msg[]; clusters: Msg[]; secrets: Msg[] };
  statics.listeners.push(...listeners);
  statics.clusters.push(...clusters);
  statics.secrets.push(...secrets.values());
  return protobufPackage().toBinary(desc, bootstrap);
}

function schema(reg: FileRegistry, type: string): DescMessage {
  const desc = reg.getMessage(type);
  if (!desc) throw new Error(`the descriptor set lacks ${type}`);
  return desc;
}

/** An HCM reading a node RouteConfiguration over RDS → the same configuration inline. */
function wireHcm(m: Msg, routes: ReadonlyMap<string, Msg>): boolean {
  if (m.$typeName !== T.Hcm) return false;
  const spec = m.routeSpecifier as { case?: string; value?: { routeConfigName?: string } };
  const route = spec.case === "rds" ? routes.get(spec.value?.routeConfigName ?? "") : undefined;
  if (!route) return false;
  // Envoy checks a static route configuration's clusters unless told not to; over RDS it does not (its default).
  route.validateClusters = false;
  m.routeSpecifier = { case: "routeConfig", value: route };
  return true;
}

/** An SDS reference to a node Secret → no config source: the static Secret of that name answers it. */
function wireSds(m: Msg, secrets: ReadonlyMap<string, Msg>): boolean {
  if (m.$typeName !== T.Sds || !secrets.has(m.name as string) || m.sdsConfig === undefined) return false;
  m.sdsConfig = undefined;
  return true;
}

/** An EDS cluster whose ClusterLoadAssignment is on the node → a STATIC cluster carrying it. */
function wireEds(m: Msg, endpoints: ReadonlyMap<string, Msg>): boolean {
  if (m.$typeName !== T.Cluster) return false;
  const type = m.clusterDiscoveryType as { case?: string; value?: number };
  if (type.case !== "type" || type.value !== EDS) return false;
  const eds = m.edsClusterConfig as { serviceName?: string } | undefined;
  const cla = endpoints.get(eds?.serviceName || (m.name as string));
  if (!cla) return false;
  m.clusterDiscoveryType = { case: "type", value: STATIC };
  m.edsClusterConfig = undefined;
  m.loadAssignment = cla;
  return true;
}

/**
 * Calls `visit` on every message of a tree (`Any` payloads unpacked, and packed again when something in them
 * changed); returns whether anything changed.
 */
function walk(value: unknown, reg: FileRegistry, visit: (m: Msg) => boolean): boolean {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.map((v) => walk(v, reg, visit)).some(Boolean);
  const obj = value as Msg;
  if (obj.$typeName === "google.protobuf.Any") {
    const inner = protobufWktPackage().anyUnpack(obj as unknown as Any, reg) as Msg | undefined;
    if (!inner || !walk(inner, reg, visit)) return false;
    protobufWktPackage().anyPack(schema(reg, inner.$typeName), inner, obj as unknown as Any);
    return true;
  }
  let changed = typeof obj.$typeName === "string" && visit(obj);
  for (const [k, v] of Object.entries(obj)) if (k !== "$unknown" && walk(v, reg, visit)) changed = true;
  return changed;
}
