/**
 * BackendTrafficPolicy's per-route filter fields, stage by stage (testdata/backend-traffic-filters/X.in.yaml →
 * X.out.yaml): for each policy of the file, the problems found (`invalid`, which make the policy Accepted=False),
 * the route's RouteTrafficIr, and what the xDS builders make of it on a listener with that one route: the HCM's
 * http_filters and the route's typed_per_filter_config. Regenerate with UPDATE_GOLDEN=1 and review by eye.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { HttpFilter } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { Any } from "../../proto/gen/google/protobuf/any";
import { expandAny } from "../../proto/any";
import type { HttpListenerIr, RouteIr } from "../../operator/src/ir/xds-ir";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { BackendTrafficPolicySpec } from "../../operator/src/resources/backend-traffic-policy";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translateRouteFilters } from "../../operator/src/translate/policies/backend-traffic-filters";
import { buildHttpFilters, routePerFilterConfig } from "../../operator/src/xds/translate/filters";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

/** A listener with one forwarding route carrying `traffic`. */
export function listenerWith(traffic: RouteIr["traffic"]): HttpListenerIr {
  const route: RouteIr = {
    name: "httproute/default/app/rule/0/match/0",
    match: { path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [] },
    action: { kind: "forward", destinations: [{ cluster: "backend/default/app/0", weight: 1 }] },
    ...(traffic ? { traffic } : {}),
  };
  return {
    name: "default/eg/http",
    address: "0.0.0.0",
    port: 8080,
    virtualHosts: [{ name: "default/eg/http/*", domains: ["*"], routes: [route] }],
  } as unknown as HttpListenerIr;
}

/** The rate limit service of the global rate limit cases (as the EnvoyGateway configuration's `rateLimit` gives it). */
const RATE_LIMIT_SERVICE = { cluster: "ratelimit_cluster", timeoutMs: 20, failClosed: false };

/** Filters every listener has (the router, CORS, ...): left out of the goldens. */
const baseline = new Set(buildHttpFilters(listenerWith(undefined)).map((f) => f.name));

function render(inFile: string): string {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  const snapshot = snapshotFromObjects(objects);
  const docs = objects
    .filter((o) => o.kind === "BackendTrafficPolicy")
    .map((o) => {
      const invalid: string[] = [];
      const ns = o.metadata.namespace ?? "default";
      const spec = (o as unknown as { spec: BackendTrafficPolicySpec }).spec;
      const filters = translateRouteFilters(
        spec,
        { namespace: ns, policy: `${ns}/${o.metadata.name}`, snapshot, rateLimitService: RATE_LIMIT_SERVICE },
        invalid,
      );
      const traffic = filters ? { policy: `${ns}/${o.metadata.name}`, ...filters } : undefined;
      const listener = listenerWith(traffic);
      const route = listener.virtualHosts[0].routes[0];
      const perRoute = routePerFilterConfig(route, listener) ?? {};
      return {
        policy: `${ns}/${o.metadata.name}`,
        invalid,
        traffic: traffic ?? null,
        httpFilters: buildHttpFilters(listener)
          .filter((f) => !baseline.has(f.name))
          .map((f) => expandAny(HttpFilter.toJSON(f))),
        typedPerFilterConfig: Object.fromEntries(
          Object.entries(perRoute).map(([k, v]) => [k, expandAny(Any.toJSON(v))]),
        ),
      };
    });
  return docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

describe("BackendTrafficPolicy per-route filters: spec → RouteTrafficIr → HTTP filters (testdata/backend-traffic-filters)", () => {
  for (const inFile of goldenInputs(testdataDir("backend-traffic-filters"))) {
    it(caseName(inFile), () => checkGolden(inFile, render(inFile)));
  }
});
