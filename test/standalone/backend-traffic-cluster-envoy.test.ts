/**
 * Every valid case of testdata/btp-cluster against real Envoy: the variant clusters (with their
 * ClusterLoadAssignments) and one route per variant carrying its hash policies. Envoy ACKs them all,
 * and lists each variant with the thresholds the policy set (admin /clusters).
 */
import * as assert from "node:assert/strict";
import { pack } from "../../proto/any";
import { buildLoadAssignment } from "../../operator/src/xds/translate/cluster";
import { ClusterType, EndpointType, RouterType } from "../../operator/src/xds/types";
import { BASE_CLUSTER, clusterCases, type ClusterCase } from "../support/btp-cluster";
import { goldenInputs, testdataDir } from "../support/golden";
import { anyHostRoutes, hcmListener, serveToEnvoy, type XdsEnvoy } from "../support/xds-envoy";
import { ROUTER_FILTER } from "../../operator/src/xds/translate/filters/router";

const ROUTES = "btp-cluster";

describe("standalone: BackendTrafficPolicy variant clusters in real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;
  const cases: ClusterCase[] = goldenInputs(testdataDir("btp-cluster"))
    .flatMap(clusterCases)
    .filter((c) => c.policy !== undefined && c.invalid.length === 0);

  after(async () => envoy?.close());

  it("Envoy ACKs every valid case's cluster and route hash policies", async () => {
    assert.ok(cases.length >= 10, `${cases.length} valid cases`);
    const endpoints = cases
      .filter((c) => c.ir.discovery === "static")
      .map((c) => {
        const withEndpoint = { ...c.ir, endpoints: [{ host: "127.0.0.1", port: 1 }] };
        return [c.ir.name, pack(EndpointType, buildLoadAssignment(withEndpoint))] as const;
      });
    const routes = cases.map((c) => ({
      name: c.name,
      match: { prefix: `/${c.name}` },
      route: { cluster: c.cluster.name, hashPolicy: c.hashPolicies },
    }));
    envoy = await serveToEnvoy(
      "btp-cluster",
      {
        Cluster: new Map(cases.map((c) => [c.cluster.name, pack(ClusterType, c.cluster)])),
        Endpoint: new Map(endpoints),
        Listener: new Map([
          [
            "l",
            hcmListener("l", ROUTES, {
              httpFilters: [
                { name: ROUTER_FILTER, typedConfig: pack(RouterType, RouterType.codec.fromPartial({} as never)) },
              ],
            }),
          ],
        ]),
        Route: new Map([[ROUTES, anyHostRoutes(ROUTES, routes)]]),
      },
      ["Cluster", "Endpoint", "Listener", "Route"],
    );
    const clusters = (await (await fetch(`${envoy.admin}/clusters?format=json`)).json()) as {
      cluster_statuses: {
        name: string;
        circuit_breakers?: { thresholds: { max_connections?: number; max_retries?: number }[] };
      }[];
    };
    const limits = clusters.cluster_statuses.find((s) => s.name === `${BASE_CLUSTER}/btp-all-limits`);
    assert.equal(limits?.circuit_breakers?.thresholds[0].max_connections, 10, JSON.stringify(limits));
    assert.equal(limits?.circuit_breakers?.thresholds[0].max_retries, 5);
    for (const c of cases) {
      assert.ok(
        clusters.cluster_statuses.some((s) => s.name === c.cluster.name),
        `Envoy lists ${c.cluster.name}`,
      );
    }
  });
});
