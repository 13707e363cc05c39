/**
 * The BackendTrafficPolicy cluster-settings cases of testdata/btp-cluster: each policy of an input file through
 * translateClusterSettings, then buildCluster (a variant of an EDS backend cluster, or of a DNS one for `dns`)
 * and the route hash policies.
 * Shared by the golden test and the test that serves the results to real Envoy.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import type { RouteAction_HashPolicy } from "../../proto/gen/envoy/config/route/v3/route_components";
import type { ClusterPolicyIr } from "../../operator/src/ir/backend-traffic-ir";
import type { ClusterIr, EndpointIr } from "../../operator/src/ir/xds-ir";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { BackendTrafficPolicySpec } from "../../operator/src/resources/backend-traffic-policy";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translateClusterSettings } from "../../operator/src/translate/policies/backend-traffic-cluster";
import { buildCluster } from "../../operator/src/xds/translate/cluster";
import { routeHashPolicies } from "../../operator/src/xds/translate/cluster-policy-lb";
import "../../operator/src/xds/types";

/** The backend cluster the variants belong to. */
export const BASE_CLUSTER = "service/default/web/80/http";

/** The endpoints of a zone-aware case's variant: two in zone a, one in zone b, one without a zone. */
export const ZONED_ENDPOINTS: readonly EndpointIr[] = [
  { host: "10.0.0.1", port: 8080, zone: "a" },
  { host: "10.0.0.2", port: 8080, zone: "a" },
  { host: "10.0.0.3", port: 8080, zone: "b" },
  { host: "10.0.0.4", port: 8080 },
];

/** One policy's cluster settings, translated and built. */
export interface ClusterCase {
  /** The policy's name. */
  readonly name: string;
  /** Problems reported (the policy would be Accepted=False). */
  readonly invalid: readonly string[];
  /** The IR; undefined when nothing usable is set. */
  readonly policy?: ClusterPolicyIr;
  /** The variant's IR. */
  readonly ir: ClusterIr;
  /** The variant cluster `<BASE_CLUSTER>/btp-<name>`. */
  readonly cluster: Cluster;
  /** The hash policies of the routes sent to it. */
  readonly hashPolicies: RouteAction_HashPolicy[];
}

/** The cases of one input file, in file order. */
export function clusterCases(inFile: string): ClusterCase[] {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  const snapshot = snapshotFromObjects([]);
  return objects.map((o) => {
    const invalid: string[] = [];
    const spec = (o as unknown as { spec: BackendTrafficPolicySpec }).spec;
    const policy = translateClusterSettings(
      spec,
      { namespace: "default", policy: `default/${o.metadata.name}`, snapshot },
      invalid,
    );
    // `dns` acts on hostname backends: their variant is a STRICT_DNS cluster (no shared EDS resource).
    const dns = policy?.dns !== undefined;
    const ir: ClusterIr = {
      name: `${BASE_CLUSTER}/btp-${o.metadata.name}`,
      discovery: dns ? "dns" : "static",
      endpoints: dns ? [{ host: "localhost", port: 1 }] : policy?.loadBalancer?.zoneAware ? ZONED_ENDPOINTS : [],
      // A gRPC health check needs an HTTP/2 backend (variantProblem); `http2` acts on HTTP/2 backends only.
      protocol: policy?.healthCheck?.active?.grpc || policy?.http2 ? "h2c" : "http1",
      ...(policy ? { policy } : {}),
    };
    return {
      name: o.metadata.name,
      invalid,
      ...(policy ? { policy } : {}),
      ir,
      cluster: buildCluster(ir),
      hashPolicies: routeHashPolicies(policy?.loadBalancer?.hashKeys),
    };
  });
}
