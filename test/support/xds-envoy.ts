/**
 * Serves a hand-built set of xDS resources to one real Envoy (our delta ADS server, our host runner) and
 * reports Envoy's verdict: for tests that have Envoy check configs the translator does not produce yet.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, scan, timeout } from "rxjs";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { HostRunner } from "../../operator/src/infra/host/host-runner";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { XdsServer, type XdsEvent } from "../../operator/src/xds/server";
import { pack } from "../../proto/any";
import { Cluster, Cluster_DiscoveryType } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";
import { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import {
  ClusterType,
  HcmType,
  HttpProtocolOptionsType,
  ListenerType,
  RouteType,
  TypeUrl,
} from "../../operator/src/xds/types";
import { adsConfigSource } from "../../operator/src/xds/translate/config-source";
import { requireEnvoy } from "./envoy";

/** Resources by type URL, then name (types left out are served empty). */
export type Resources = Partial<Record<keyof typeof TypeUrl, ReadonlyMap<string, Any>>>;

/** One Envoy fed by our xDS server. */
export interface XdsEnvoy {
  /** Envoy's admin URL. */
  readonly admin: string;
  /** Stops Envoy and the server, removes the state folder. */
  close(): Promise<void>;
}

/**
 * Starts the server and Envoy (node `nodeId`) with `resources`, and resolves once Envoy ACKed every type in
 * `waitFor`; rejects with Envoy's error on the first NACK, or after 30 s.
 */
export async function serveToEnvoy(
  nodeId: string,
  resources: Resources,
  waitFor: readonly (keyof typeof TypeUrl)[],
): Promise<XdsEnvoy> {
  const stateDir = await mkdtemp(join(tmpdir(), "egts-xds-envoy-"));
  const cache = new XdsCache();
  const server = new XdsServer(cache, { logger: () => undefined });
  let runner: HostRunner | undefined;
  const close = async (): Promise<void> => {
    await runner?.stop();
    await server.stop(0);
    cache.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const port = await server.start("127.0.0.1:0");
    const watched = new Set<string>(waitFor.map((k) => TypeUrl[k]));
    const verdict = firstValueFrom(
      server.events$.pipe(
        filter((e: XdsEvent) => e.kind === "nack" || (e.kind === "ack" && watched.has(e.typeUrl ?? ""))),
        scan((seen: XdsEvent[], e) => [...seen, e], []),
        filter(
          (seen) => seen.some((e) => e.kind === "nack") || new Set(seen.map((e) => e.typeUrl)).size === watched.size,
        ),
        timeout(30_000),
      ),
    );
    const all = Object.keys(TypeUrl) as (keyof typeof TypeUrl)[];
    cache.setNode(nodeId, new Map(all.map((k) => [TypeUrl[k], new Map(resources[k] ?? [])])));
    runner = new HostRunner({
      envoyBin: requireEnvoy(),
      xdsHost: "127.0.0.1",
      xdsPort: port,
      stateDir,
      envoyOutput: "ignore",
    });
    await runner.reconcile([{ name: nodeId, namespace: "", gatewayName: nodeId, ports: [] }]);
    const nack = (await verdict).find((e) => e.kind === "nack");
    if (nack) throw new Error(`Envoy NACKed ${nack.typeUrl}: ${nack.error ?? ""}`);
    return { admin: await runner.adminUrl(nodeId), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The port Envoy bound for a listener configured with port 0. */
export async function boundPort(admin: string, listener: string): Promise<number> {
  const body = (await (await fetch(`${admin}/listeners?format=json`)).json()) as {
    listener_statuses?: { name: string; local_address: { socket_address: { port_value: number } } }[];
  };
  const l = body.listener_statuses?.find((s) => s.name === listener);
  if (!l) throw new Error(`Envoy does not list ${listener}: ${JSON.stringify(body)}`);
  return l.local_address.socket_address.port_value;
}

/**
 * A Listener on 127.0.0.1, port 0 (see {@link boundPort}) whose one filter chain is an HTTP connection manager
 * with the given fields, its routes over ADS from the RouteConfiguration `routeConfigName`.
 */
export function hcmListener(name: string, routeConfigName: string, hcmFields: object): Any {
  const hcm = HttpConnectionManager.fromPartial({
    statPrefix: name,
    rds: { routeConfigName, configSource: adsConfigSource() },
    ...hcmFields,
  } as never);
  return pack(
    ListenerType,
    Listener.fromPartial({
      name,
      address: { socketAddress: { address: "127.0.0.1", portValue: 0 } },
      filterChains: [
        { filters: [{ name: "envoy.filters.network.http_connection_manager", typedConfig: pack(HcmType, hcm) }] },
      ],
    } as never),
  );
}

/** Cluster fields for an upstream that speaks HTTP/2 (gRPC services). */
export function http2Upstream(): object {
  return {
    typedExtensionProtocolOptions: {
      [HttpProtocolOptionsType.name]: pack(
        HttpProtocolOptionsType,
        HttpProtocolOptionsType.codec.fromPartial({ explicitHttpConfig: { http2ProtocolOptions: {} } } as never),
      ),
    },
  };
}

/** A STATIC cluster to 127.0.0.1:`port` (1: nothing listens) with `extra` fields, e.g. {@link http2Upstream}. */
export function localCluster(name: string, port: number, extra: object = {}): Any {
  return pack(
    ClusterType,
    Cluster.fromPartial({
      name,
      type: Cluster_DiscoveryType.STATIC,
      connectTimeout: { seconds: 1, nanos: 0 },
      loadAssignment: {
        clusterName: name,
        endpoints: [
          { lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "127.0.0.1", portValue: port } } } }] },
        ],
      },
      ...extra,
    } as never),
  );
}

/** A RouteConfiguration `name` with one virtual host for every domain, holding `routes`. */
export function anyHostRoutes(name: string, routes: readonly object[]): Any {
  return pack(
    RouteType,
    RouteConfiguration.fromPartial({
      name,
      virtualHosts: [{ name: "all", domains: ["*"], routes }],
    } as never),
  );
}
