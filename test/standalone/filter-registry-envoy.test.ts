/**
 * The HTTP filter registry against real Envoy: one HTTP connection manager carrying every registered filter
 * that has a sample config, in the registry's order, each `disabled: true` (the router on), is served over
 * our delta xDS server and ACKed (Envoy builds every filter's typed config when it accepts a listener). A
 * route enables the disabled ext_authz filter with `envoy.config.route.v3.FilterConfig` (Envoy Gateway's
 * pattern), and traffic shows it: that route is refused (its authorization service is unreachable), the
 * others are answered with every filter off.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, scan, timeout } from "rxjs";
import { pack } from "../../proto/any";
import { Cluster, Cluster_DiscoveryType } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";
import { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { Secret } from "../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { HostRunner } from "../../operator/src/infra/host/host-runner";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { XdsServer, type XdsEvent } from "../../operator/src/xds/server";
import { adsConfigSource } from "../../operator/src/xds/translate/config-source";
import { HTTP_FILTERS } from "../../operator/src/xds/translate/filters";
import {
  enableOnRoute,
  SAMPLE_CLUSTER,
  SAMPLE_SECRET,
  sortHttpFilters,
} from "../../operator/src/xds/translate/filters/registry";
import {
  ClusterType,
  HcmType,
  HttpProtocolOptionsType,
  ListenerType,
  RouteType,
  SecretType,
  TypeUrl,
} from "../../operator/src/xds/types";
import { requireEnvoy } from "../support/envoy";

const NODE = "default/filter-registry";
const LISTENER = "filter-registry";
/** The listener and route types, whose ACKs the test waits for. */
const WATCHED = new Set<string>([TypeUrl.Listener, TypeUrl.Route]);
const EXT_AUTHZ = "envoy.filters.http.ext_authz/securitypolicy/default/sample";

/** The instance name Envoy Gateway would give a filter (indexed ones end with /0, ext_authz per policy). */
function instanceName(name: string, indexed: boolean | undefined): string {
  if (name === "envoy.filters.http.ext_authz") return EXT_AUTHZ;
  return indexed ? `${name}/sample/0` : name;
}

/** Every registered filter with a sample config, in the registry's order, disabled except the router. */
function registryFilters(): { name: string; typedConfig: Any; disabled: boolean }[] {
  const filters = HTTP_FILTERS.flatMap((d) => {
    const sample = d.sampleConfig?.();
    if (!sample) return [];
    return [{ name: instanceName(d.name, d.indexed), typedConfig: sample, disabled: d.placement !== "listener" }];
  });
  // Listener-placed filters (health_check, header_mutation, ratelimit, ...) are disabled too, so the test's
  // requests only meet what a route enables; the router stays on.
  return sortHttpFilters(HTTP_FILTERS, filters).map((f) => ({
    ...f,
    disabled: f.name !== "envoy.filters.http.router",
  }));
}

function listener(): Any {
  const hcm = HttpConnectionManager.fromPartial({
    statPrefix: "filter-registry",
    rds: { routeConfigName: LISTENER, configSource: adsConfigSource() },
    httpFilters: registryFilters(),
  } as never);
  return pack(
    ListenerType,
    Listener.fromPartial({
      name: LISTENER,
      address: { socketAddress: { address: "127.0.0.1", portValue: 0 } },
      filterChains: [
        { filters: [{ name: "envoy.filters.network.http_connection_manager", typedConfig: pack(HcmType, hcm) }] },
      ],
    } as never),
  );
}

function routes(): Any {
  const route = (prefix: string, perFilter: Record<string, Any>): object => ({
    match: { prefix },
    directResponse: { status: 200, body: { inlineString: `${prefix} answered` } },
    typedPerFilterConfig: perFilter,
  });
  return pack(
    RouteType,
    RouteConfiguration.fromPartial({
      name: LISTENER,
      virtualHosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [route("/authz", { [EXT_AUTHZ]: enableOnRoute() }), route("/", {})],
        },
      ],
    } as never),
  );
}

/** The service the sample configs point at: nothing listens on its port. */
function sampleCluster(): Any {
  return pack(
    ClusterType,
    Cluster.fromPartial({
      name: SAMPLE_CLUSTER,
      type: Cluster_DiscoveryType.STATIC,
      connectTimeout: { seconds: 1, nanos: 0 },
      loadAssignment: {
        clusterName: SAMPLE_CLUSTER,
        endpoints: [
          { lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "127.0.0.1", portValue: 1 } } } }] },
        ],
      },
      typedExtensionProtocolOptions: {
        [HttpProtocolOptionsType.name]: pack(
          HttpProtocolOptionsType,
          HttpProtocolOptionsType.codec.fromPartial({ explicitHttpConfig: { http2ProtocolOptions: {} } } as never),
        ),
      },
    } as never),
  );
}

function sampleSecret(): Any {
  return pack(
    SecretType,
    Secret.fromPartial({ name: SAMPLE_SECRET, genericSecret: { secret: { inlineString: "egts-sample" } } } as never),
  );
}

/** The port Envoy bound for the listener (asked for port 0). */
async function boundPort(admin: string): Promise<number> {
  const body = (await (await fetch(`${admin}/listeners?format=json`)).json()) as {
    listener_statuses?: { name: string; local_address: { socket_address: { port_value: number } } }[];
  };
  const l = body.listener_statuses?.find((s) => s.name === LISTENER);
  assert.ok(l, `Envoy lists ${LISTENER}: ${JSON.stringify(body)}`);
  return l.local_address.socket_address.port_value;
}

describe("HTTP filter registry against real Envoy", function () {
  this.timeout(60_000);
  let cache: XdsCache;
  let server: XdsServer;
  let runner: HostRunner | undefined;
  let stateDir: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "egts-filter-registry-"));
    cache = new XdsCache();
    server = new XdsServer(cache, { logger: () => undefined });
  });

  after(async () => {
    await runner?.stop();
    await server?.stop(0);
    cache?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("ACKs an HCM with every registered filter present and disabled; a route enables ext_authz with FilterConfig", async () => {
    const filters = registryFilters();
    const without = HTTP_FILTERS.filter((d) => !d.sampleConfig).map((d) => d.name.replace("envoy.filters.http.", ""));
    assert.deepEqual(without, ["api_key_auth", "wasm", "dynamic_modules", "geoip"], "filters without a sample config");
    assert.equal(filters.length, HTTP_FILTERS.length - without.length);

    const port = await server.start("127.0.0.1:0");
    // Every NACK, and the ACKs of the listener and its routes, until a NACK or both ACKs.
    const outcomes = firstValueFrom(
      server.events$.pipe(
        filter((e: XdsEvent) => e.kind === "nack" || (e.kind === "ack" && WATCHED.has(e.typeUrl ?? ""))),
        scan((seen: XdsEvent[], e) => [...seen, e], []),
        filter((seen) => seen.some((e) => e.kind === "nack") || new Set(seen.map((e) => e.typeUrl)).size === 2),
        timeout(30_000),
      ),
    );
    cache.setNode(
      NODE,
      new Map([
        [TypeUrl.Cluster, new Map([[SAMPLE_CLUSTER, sampleCluster()]])],
        [TypeUrl.Endpoint, new Map()],
        [TypeUrl.Secret, new Map([[SAMPLE_SECRET, sampleSecret()]])],
        [TypeUrl.Listener, new Map([[LISTENER, listener()]])],
        [TypeUrl.Route, new Map([[LISTENER, routes()]])],
      ]),
    );
    runner = new HostRunner({
      envoyBin: requireEnvoy(),
      xdsHost: "127.0.0.1",
      xdsPort: port,
      stateDir,
      envoyOutput: "ignore",
    });
    await runner.reconcile([{ name: NODE, namespace: "default", gatewayName: "filter-registry", ports: [] }]);
    const seen = await outcomes;
    for (const e of seen) assert.equal(e.kind, "ack", `Envoy NACKed ${e.typeUrl}: ${e.error ?? ""}`);

    const admin = await runner.adminUrl(NODE);
    const dump = await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text();
    for (const f of filters) assert.ok(dump.includes(`"${f.name}"`), `Envoy's listener has ${f.name}`);

    const listenerPort = await boundPort(admin);
    const get = async (path: string): Promise<number> =>
      (await fetch(`http://127.0.0.1:${listenerPort}${path}`, { signal: AbortSignal.timeout(10_000) })).status;
    assert.equal(await get("/"), 200, "every filter is off on a route that enables none");
    assert.equal(await get("/authz"), 403, "the route enabling ext_authz is refused: its service is unreachable");
  });
});
