/**
 * EnvoyProxy `spec.filterOrder` against real Envoy. First, what the golden (testdata/xds/envoyproxy-filter-order)
 * translates to: Envoy ACKs the reordered HTTP connection manager, and its live listener has stateful_session,
 * cors, router (Envoy Gateway's own order is cors first). Second, the order on the wire: two listeners carry
 * basic_auth and cors (the route to an echo backend has a CORS policy allowing https://www.example.com); one in Envoy Gateway's order
 * (cors, rank 3, before basic_auth, rank 8), the other moved by an EnvoyProxy's filterOrder (cors after basic_auth),
 * read through the translator's own `filterOrderFor` and `applyFilterOrder`. A CORS preflight without credentials
 * is answered by cors on the first (200, Access-Control-Allow-Origin), and refused by basic_auth on the second (401).
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Any } from "../../proto/gen/google/protobuf/any";
import type { GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import { parseManifests } from "../../operator/src/provider/file/parse";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { filterOrderFor } from "../../operator/src/translate/filter-order";
import { translate } from "../../operator/src/translate/translate";
import { TypeUrl } from "../../operator/src/xds/types";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { HTTP_FILTERS } from "../../operator/src/xds/translate/filters";
import { basicAuth } from "../../operator/src/xds/translate/filters/basic-auth";
import { cors, corsPerFilterConfig } from "../../operator/src/xds/translate/filters/cors";
import { applyFilterOrder, sortHttpFilters } from "../../operator/src/xds/translate/filters/registry";
import { router } from "../../operator/src/xds/translate/filters/router";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { testdataDir } from "../support/golden";
import { httpGet, type HttpResult } from "../support/http";
import {
  anyHostRoutes,
  boundPort,
  hcmListener,
  localCluster,
  serveToEnvoy,
  type Resources,
  type XdsEnvoy,
} from "../support/xds-envoy";

const ORIGIN = "https://www.example.com";

/** The golden's IR with every HTTP listener on 127.0.0.1, port 0. */
function goldenIr(): GatewayXdsIr {
  const file = join(testdataDir("xds"), "envoyproxy-filter-order.in.yaml");
  const { objects, errors } = parseManifests(file, readFileSync(file, "utf8"));
  assert.deepEqual(errors, []);
  const [ir] = translate(snapshotFromObjects(objects)).xdsIr;
  return { ...ir, http: ir.http.map((l) => ({ ...l, address: "127.0.0.1", port: 0 })) };
}

/** The http_filters names of a listener's HCM in Envoy's config dump of dynamic listeners. */
function hcmFilterNames(dump: unknown, listener: string): string[] {
  const listeners = (dump as { configs: unknown[] }).configs as {
    name: string;
    active_state?: {
      listener: { default_filter_chain: { filters: { typed_config: { http_filters?: { name: string }[] } }[] } };
    };
  }[];
  const l = listeners.find((x) => x.name === listener);
  assert.ok(l?.active_state, `Envoy has listener ${listener} active`);
  return (l.active_state.listener.default_filter_chain.filters[0].typed_config.http_filters ?? []).map((f) => f.name);
}

/** basic_auth (sample users, on) and cors, in Envoy Gateway's order, then moved by `filterOrder`. */
function orderedFilters(filterOrder: unknown): { name: string; typedConfig: Any }[] {
  const positions = filterOrderFor({ filterOrder } as EnvoyProxy["spec"]);
  const filters = [router, basicAuth, cors].map((d) => {
    const typedConfig = d.sampleConfig?.();
    assert.ok(typedConfig, `${d.name} has a sample config`);
    return { name: d.name, typedConfig };
  });
  return applyFilterOrder(sortHttpFilters(HTTP_FILTERS, filters), positions);
}

function corsRoutes(): Any {
  const policy = corsPerFilterConfig({
    allowOrigins: [{ type: "Exact", value: ORIGIN }],
    allowMethods: ["GET"],
    allowHeaders: [],
    exposeHeaders: [],
    maxAgeSeconds: 60,
    allowCredentials: false,
  });
  return anyHostRoutes("cors", [{ match: { prefix: "/" }, route: { cluster: "app" }, typedPerFilterConfig: policy }]);
}

describe("EnvoyProxy filterOrder against real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;
  let backend: EchoBackend | undefined;

  afterEach(async () => {
    await envoy?.close();
    await backend?.close();
    envoy = undefined;
    backend = undefined;
  });

  it("Envoy ACKs the golden's reordered HCM: stateful_session, cors, router", async () => {
    const ir = goldenIr();
    assert.ok(ir.http[0]?.filterOrder, "the HTTP listener carries the EnvoyProxy's filterOrder");
    const built = buildNodeResources(ir);
    const resources: Resources = Object.fromEntries(
      (Object.keys(TypeUrl) as (keyof typeof TypeUrl)[]).map((k) => [k, built.get(TypeUrl[k]) as Map<string, Any>]),
    );
    envoy = await serveToEnvoy(ir.name, resources, ["Listener", "Route", "Cluster"]);
    const dump: unknown = await (await fetch(`${envoy.admin}/config_dump?resource=dynamic_listeners`)).json();
    assert.deepEqual(hcmFilterNames(dump, ir.http[0].name), [
      "envoy.filters.http.stateful_session",
      "envoy.filters.http.cors",
      "envoy.filters.http.router",
    ]);
  });

  it("a CORS preflight is answered by cors in Envoy Gateway's order, refused by basic_auth once cors is moved after it", async () => {
    const moved = [{ name: "envoy.filters.http.cors", after: "envoy.filters.http.basic_auth" }];
    const egOrder = orderedFilters(undefined);
    const reordered = orderedFilters(moved);
    assert.deepEqual(
      egOrder.map((f) => f.name),
      ["envoy.filters.http.cors", "envoy.filters.http.basic_auth", "envoy.filters.http.router"],
    );
    assert.deepEqual(
      reordered.map((f) => f.name),
      ["envoy.filters.http.basic_auth", "envoy.filters.http.cors", "envoy.filters.http.router"],
    );
    backend = await startEchoBackend({ name: "app" });
    envoy = await serveToEnvoy(
      "default/filter-order",
      {
        Cluster: new Map([["app", localCluster("app", backend.port)]]),
        Listener: new Map([
          ["eg-order", hcmListener("eg-order", "cors", { httpFilters: egOrder })],
          ["reordered", hcmListener("reordered", "cors", { httpFilters: reordered })],
        ]),
        Route: new Map([["cors", corsRoutes()]]),
      },
      ["Cluster", "Listener", "Route"],
    );
    const preflight = async (l: string): Promise<HttpResult> =>
      httpGet(await boundPort(envoy?.admin ?? "", l), "cors.example", "/", {
        method: "OPTIONS",
        headers: { origin: ORIGIN, "access-control-request-method": "GET" },
      });
    const first = await preflight("eg-order");
    assert.equal(first.status, 200, `cors answers the preflight before basic_auth sees it: ${first.body}`);
    assert.equal(first.headers["access-control-allow-origin"], ORIGIN);
    const second = await preflight("reordered");
    assert.equal(second.status, 401, "basic_auth refuses the preflight before cors sees it");
    assert.equal(second.headers["access-control-allow-origin"], undefined);
  });
});
