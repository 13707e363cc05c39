/**
 * The HTTP filter registry against real Envoy: one HTTP connection manager carrying every registered filter
 * that has a sample config, in the registry's order, each `disabled: true` (the router on), is served over
 * our delta xDS server and ACKed (Envoy builds every filter's typed config when it accepts a listener). Routes
 * enable the disabled ext_authz and api_key_auth filters with `envoy.config.route.v3.FilterConfig` (Envoy
 * Gateway's pattern), and traffic shows it: the ext_authz route is refused (its authorization service is
 * unreachable), the api_key_auth route wants the sample key, the others are answered with every filter off.
 */
import assert from "node:assert/strict";
import { pack } from "../../proto/any";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { Secret } from "../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import type { Any } from "../../proto/gen/google/protobuf/any";
import { adsConfigSource } from "../../operator/src/xds/translate/config-source";
import { HTTP_FILTERS } from "../../operator/src/xds/translate/filters";
import {
  enableOnRoute,
  SAMPLE_CLUSTER,
  SAMPLE_SECRET,
  sortHttpFilters,
} from "../../operator/src/xds/translate/filters/registry";
import { HcmType, ListenerType, SecretType } from "../../operator/src/xds/types";
import {
  anyHostRoutes,
  boundPort,
  http2Upstream,
  localCluster,
  serveToEnvoy,
  type XdsEnvoy,
} from "../support/xds-envoy";

const NODE = "default/filter-registry";
const LISTENER = "filter-registry";
const EXT_AUTHZ = "envoy.filters.http.ext_authz/securitypolicy/default/sample";
const API_KEY_AUTH = "envoy.filters.http.api_key_auth";

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
  return anyHostRoutes(LISTENER, [
    route("/authz", { [EXT_AUTHZ]: enableOnRoute() }),
    route("/apikey", { [API_KEY_AUTH]: enableOnRoute() }),
    route("/", {}),
  ]);
}

/** The service the sample configs point at: nothing listens on its port. */
function sampleCluster(): Any {
  return localCluster(SAMPLE_CLUSTER, 1, http2Upstream());
}

function sampleSecret(): Any {
  return pack(
    SecretType,
    Secret.fromPartial({ name: SAMPLE_SECRET, genericSecret: { secret: { inlineString: "egts-sample" } } } as never),
  );
}

describe("HTTP filter registry against real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;

  after(async () => {
    await envoy?.close();
  });

  it("ACKs an HCM with every registered filter present and disabled; a route enables ext_authz with FilterConfig", async () => {
    const filters = registryFilters();
    const without = HTTP_FILTERS.filter((d) => !d.sampleConfig).map((d) => d.name.replace("envoy.filters.http.", ""));
    assert.deepEqual(without, ["wasm", "dynamic_modules", "geoip"], "filters without a sample config");
    assert.equal(filters.length, HTTP_FILTERS.length - without.length);

    envoy = await serveToEnvoy(
      NODE,
      {
        Cluster: new Map([[SAMPLE_CLUSTER, sampleCluster()]]),
        Secret: new Map([[SAMPLE_SECRET, sampleSecret()]]),
        Listener: new Map([[LISTENER, listener()]]),
        Route: new Map([[LISTENER, routes()]]),
      },
      ["Listener", "Route"],
    );
    const dump = await (await fetch(`${envoy.admin}/config_dump?resource=dynamic_listeners`)).text();
    for (const f of filters) assert.ok(dump.includes(`"${f.name}"`), `Envoy's listener has ${f.name}`);

    const port = await boundPort(envoy.admin, LISTENER);
    const get = async (path: string, headers: Record<string, string> = {}): Promise<number> =>
      (await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(10_000) })).status;
    assert.equal(await get("/"), 200, "every filter is off on a route that enables none");
    assert.equal(await get("/authz"), 403, "the route enabling ext_authz is refused: its service is unreachable");
    assert.equal(await get("/apikey"), 401, "the route enabling api_key_auth wants the sample key");
    assert.equal(await get("/apikey", { "x-api-key": "wrong" }), 401, "a wrong key is refused");
    assert.equal(await get("/apikey", { "x-api-key": "egts-sample-key" }), 200, "the sample key passes");
  });
});
